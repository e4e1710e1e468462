"""Cases, their timeline, attachments and the periods their SLA clocks stand still."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from supportdesk.tenancy import TenantOwned

__all__ = [
    "ACTIVE_STATUSES",
    "Attachment",
    "Case",
    "CaseEvent",
    "CaseNumberSequence",
    "CasePause",
    "CaseStatus",
    "Channel",
    "EventKind",
    "attachment_path",
]


class CaseStatus(models.TextChoices):
    RETURNED = "returned", _("Returned to administrator")
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    AWAITING_CUSTOMER = "awaiting_customer", _("Awaiting customer")
    ON_HOLD = "on_hold", _("On hold")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")


ACTIVE_STATUSES = frozenset(
    {
        CaseStatus.NEW,
        CaseStatus.OPEN,
        CaseStatus.IN_PROGRESS,
        CaseStatus.AWAITING_CUSTOMER,
        CaseStatus.ON_HOLD,
        CaseStatus.REOPENED,
    }
)


class Channel(models.TextChoices):
    PORTAL = "portal", _("Portal")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    MONITORING = "monitoring", _("Monitoring")
    API = "api", _("API")
    CONTACT_FORM = "contact_form", _("Contact form")


class CaseNumberSequence(TenantOwned):
    """The last case number handed out per tenant; numbers are never reused."""

    last_number = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="casenumber_one_per_tenant")]

    def __str__(self) -> str:
        return f"{self.tenant}: {self.last_number}"


class Case(TenantOwned):
    number = models.CharField(_("number"), max_length=20)
    organization = models.ForeignKey(
        "plans.CustomerOrganization",
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("customer"),
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="requested_cases",
        verbose_name=_("requester"),
    )
    severity = models.ForeignKey(
        "plans.SeverityLevel",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("severity"),
    )
    case_type = models.ForeignKey(
        "plans.CaseType",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("case type"),
    )
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"))
    product_version = models.ForeignKey(
        "plans.ProductVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("product version"),
    )
    deployment = models.CharField(_("deployment"), max_length=100, blank=True)
    event_name = models.CharField(_("event / domain"), max_length=200, blank=True)
    affected_users = models.TextField(_("affected users"), blank=True)
    steps_tried = models.TextField(_("what was tried"), blank=True)
    customer_reference = models.CharField(_("your reference"), max_length=100, blank=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.NEW
    )
    resume_status = models.CharField(
        _("status after the pause"), max_length=20, choices=CaseStatus.choices, blank=True
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("assignee"),
    )
    filed_at = models.DateTimeField(_("filed"), help_text=_("When the SLA clocks started."))
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    external_vendor = models.CharField(_("forwarded to"), max_length=200, blank=True)
    external_reference = models.CharField(_("vendor's reference"), max_length=200, blank=True)
    external_horizon = models.CharField(_("vendor's time horizon"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-filed_at"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="case_unique_number")
        ]
        indexes = [
            models.Index(fields=["tenant", "status"], name="case_tenant_status"),
            models.Index(fields=["tenant", "organization", "status"], name="case_tenant_org"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class EventKind(models.TextChoices):
    CREATED = "created", _("Filed")
    RETURNED = "returned", _("Returned to the administrator")
    SUBMITTED = "submitted", _("Submitted by the administrator")
    ASSIGNED = "assigned", _("Assigned")
    STATUS = "status", _("Status changed")
    RECLASSIFIED = "reclassified", _("Reclassified")
    REPLY = "reply", _("Reply")
    NOTE = "note", _("Internal note")
    REOPENED = "reopened", _("Reopened")
    ESCALATED = "escalated", _("Escalated")
    FORWARDED = "forwarded", _("Forwarded to vendor")
    CLOCK = "clock", _("SLA clock")


class CaseEvent(TenantOwned):
    """One line of the case timeline; customers see the public ones."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    public = models.BooleanField(_("visible to the customer"), default=True)
    body = models.TextField(_("text"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")

    def __str__(self) -> str:
        return f"{self.case.number} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"cases/{instance.tenant_id}/{instance.case_id}/{filename}"


class Attachment(TenantOwned):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(
        CaseEvent, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=attachment_path)
    original_name = models.CharField(_("name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class CasePause(TenantOwned):
    """A stretch in which the case's SLA clocks do not run (awaiting the customer)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="pauses")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=30)

    class Meta:
        ordering = ["started_at"]
        verbose_name = _("clock pause")
        verbose_name_plural = _("clock pauses")
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(ended_at__isnull=True),
                name="pause_one_open_per_case",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case.number} paused {self.started_at:%Y-%m-%d %H:%M}"
