"""Secrets that let machines deliver to a tenant: the inbound-mail relay, monitoring systems."""

from __future__ import annotations

import hashlib
import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from supportdesk.tenancy import TenantOwned

__all__ = ["IntakeKind", "IntakeToken"]


class IntakeKind(models.TextChoices):
    EMAIL = "email", _("Inbound e-mail")
    MONITORING = "monitoring", _("Monitoring webhook")


class IntakeToken(TenantOwned):
    """A bearer token for one intake channel of one tenant. Only its SHA-256 is stored."""

    kind = models.CharField(_("channel"), max_length=20, choices=IntakeKind.choices)
    name = models.CharField(_("name"), max_length=100)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    organization = models.ForeignKey(
        "plans.CustomerOrganization",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer"),
        help_text=_("Monitoring: the customer whose outage cases this token files."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("intake token")
        verbose_name_plural = _("intake tokens")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name}"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @classmethod
    def issue(cls, *, tenant, kind: str, name: str, organization=None) -> tuple[IntakeToken, str]:
        """Create a token; the raw secret is returned once and never stored."""
        raw = secrets.token_urlsafe(32)
        token = cls.objects.create(
            tenant=tenant,
            kind=kind,
            name=name,
            organization=organization,
            digest=cls.hash(raw),
        )
        return token, raw

    @classmethod
    def authenticate(cls, raw: str, *, kind: str) -> IntakeToken | None:
        if not raw:
            return None
        return (
            cls.objects.select_related("tenant", "organization")
            .filter(digest=cls.hash(raw), kind=kind, active=True)
            .first()
        )
