"""Inbound e-mail: every message the desk received, kept byte for byte, with what became of
it (a comment, a new case, or the quarantine a tenant admin reviews); customers' own mail
domains for recognising their people."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from supportdesk.tenancy import TenantOwned

__all__ = [
    "InboundMessage",
    "InboundReason",
    "InboundSource",
    "InboundStatus",
    "OrganizationMailDomain",
]


class InboundStatus(models.TextChoices):
    PROCESSED = "processed", _("Processed")
    QUARANTINED = "quarantined", _("Quarantined")
    ASSIGNED = "assigned", _("Assigned by an admin")
    DISCARDED = "discarded", _("Discarded")


class InboundReason(models.TextChoices):
    """Why a message waits in quarantine (empty for processed mail)."""

    NONE = "", _("—")
    OVERSIZED = "oversized", _("Too large")
    AUTO_REPLY = "auto_reply", _("Automatic reply")
    BOUNCE = "bounce", _("Bounce (delivery report)")
    BULK = "bulk", _("Bulk or list mail")
    MALFORMED = "malformed", _("Malformed message")
    NO_SENDER = "no_sender", _("No sender address")
    UNKNOWN_SENDER = "unknown_sender", _("Unknown sender")
    UNKNOWN_AT_DOMAIN = "unknown_at_domain", _("Unknown sender at a customer's domain")
    STAFF_SENDER = "staff_sender", _("Sent by desk staff")
    NOT_ON_CASE = "not_on_case", _("Sender not on this case")
    REFUSED = "refused", _("Refused by the case rules")


class InboundSource(models.TextChoices):
    COMMAND = "command", _("Command line")
    HTTP = "http", _("HTTP endpoint")


class OrganizationMailDomain(TenantOwned):
    """A customer's own mail domain: mail from unknown people there is recognised as theirs."""

    organization = models.ForeignKey(
        "plans.CustomerOrganization",
        on_delete=models.CASCADE,
        related_name="mail_domains",
        verbose_name=_("customer"),
    )
    domain = models.CharField(
        _("mail domain"), max_length=253, help_text=_("For example kunde.dk (no @).")
    )

    class Meta:
        ordering = ["domain"]
        verbose_name = _("customer mail domain")
        verbose_name_plural = _("customer mail domains")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "domain"], name="maildomain_unique_domain")
        ]

    def __str__(self) -> str:
        return f"{self.domain} ({self.organization})"

    def save(self, *args, **kwargs):
        self.domain = self.domain.strip().lstrip("@").lower()
        super().save(*args, **kwargs)


class InboundMessage(TenantOwned):
    """One received message. `raw` is exactly what arrived (only the start of a message too
    large to keep whole, then `truncated`); nothing received is ever deleted by the desk."""

    raw = models.BinaryField(_("message as received"))
    truncated = models.BooleanField(_("only the start kept"), default=False)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True)
    sender = models.CharField(_("from"), max_length=320, blank=True)
    sender_name = models.CharField(_("sender's name"), max_length=200, blank=True)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    received_at = models.DateTimeField(_("received"))
    source = models.CharField(_("received through"), max_length=20, choices=InboundSource.choices)
    status = models.CharField(_("status"), max_length=20, choices=InboundStatus.choices)
    reason = models.CharField(
        _("reason"), max_length=30, choices=InboundReason.choices, blank=True, default=""
    )
    detail = models.TextField(_("explanation"), blank=True)
    is_auto_reply = models.BooleanField(_("automatic reply"), default=False)
    is_bounce = models.BooleanField(_("bounce"), default=False)
    attachment_count = models.PositiveIntegerField(_("attachments"), default=0)
    case = models.ForeignKey(
        "tickets.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_messages",
        verbose_name=_("case"),
    )
    organization = models.ForeignKey(
        "plans.CustomerOrganization",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer"),
        help_text=_("The customer the sender belongs to or whose mail domain it is."),
    )
    summary = models.JSONField(_("parsed message"), default=dict, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("inbound e-mail")
        verbose_name_plural = _("inbound e-mails")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "message_id"],
                condition=~models.Q(message_id=""),
                name="inbound_unique_message_id",
            ),
            models.UniqueConstraint(
                fields=["tenant", "sha256"],
                condition=models.Q(message_id=""),
                name="inbound_unique_raw_without_id",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "received_at"], name="inbound_tenant_status"),
        ]

    def __str__(self) -> str:
        return f"{self.sender or '?'}: {self.subject or '—'}"

    @property
    def in_quarantine(self) -> bool:
        return self.status == InboundStatus.QUARANTINED
