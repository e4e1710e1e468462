"""Outbound notifications (an outbox) and each user's choice of what to receive.

A `Notification` row is written in the same transaction as the case change it
reports; e-mail delivery happens after the commit, from a Celery task, and a
periodic sweep sends whatever a broker outage left pending. The unique
`(tenant, recipient, dedupe_key)` makes a repeated call create nothing new, and
delivery takes the row with `select_for_update(skip_locked=True)` and marks it
sent in the same transaction, so a duplicate task finds nothing to send.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from supportdesk.tenancy import TenantOwned

__all__ = [
    "EmailStatus",
    "Notification",
    "NotificationKind",
    "NotificationPreference",
]


class NotificationKind(models.TextChoices):
    """What a notification is about; preferences are kept per kind."""

    CREATED = "created", _("Case received")
    RETURNED = "returned", _("Case waiting for an administrator")
    REPLY = "reply", _("Replies")
    NOTE = "note", _("Internal notes")
    ASSIGNED = "assigned", _("Case assigned to me")
    STATUS = "status", _("Status changes")
    RECLASSIFIED = "reclassified", _("Severity changes")
    ESCALATED = "escalated", _("Escalations")
    RESOLVED = "resolved", _("Case resolved")
    SURVEY = "survey", _("Satisfaction surveys")
    SLA_WARNING = "sla_warning", _("SLA warnings")
    SLA_BREACH = "sla_breach", _("SLA breaches")


class EmailStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    MUTED = "muted", _("Not sent (muted)")
    FAILED = "failed", _("Failed")


class Notification(TenantOwned):
    """One message to one person, rendered in their language and time zone when written."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    case = models.ForeignKey(
        "tickets.Case",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("case"),
    )
    event = models.ForeignKey(
        "tickets.CaseEvent",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("case event"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("text"))
    link = models.CharField(
        _("link"), max_length=500, blank=True, help_text=_("Path of the page it is about.")
    )
    dedupe_key = models.CharField(_("deduplication key"), max_length=100)
    in_app = models.BooleanField(
        _("listed in the app"), default=True, help_text=_("Off when the recipient muted it.")
    )
    created_at = models.DateTimeField(_("created"), db_index=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    email_status = models.CharField(
        _("e-mail"), max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    next_attempt_at = models.DateTimeField(
        _("next delivery attempt"),
        null=True,
        blank=True,
        help_text=_("When the sweep may try a pending e-mail (again)."),
    )
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("delivery attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "recipient", "dedupe_key"], name="notification_once_per_key"
            )
        ]
        indexes = [
            models.Index(fields=["recipient", "in_app", "read_at"], name="notification_inbox"),
            models.Index(fields=["email_status", "next_attempt_at"], name="notification_outbox"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.kind} {self.subject}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(TenantOwned):
    """A user's choice for one kind; no row means everything on."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    email = models.BooleanField(_("by e-mail"), default=True)
    in_app = models.BooleanField(_("in the app"), default=True)

    class Meta:
        ordering = ["user", "kind"]
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notificationpref_one_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: email={self.email} in_app={self.in_app}"
