"""Customer organisations and their contacts (plans, targets and packs follow)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from supportdesk.tenancy import TenantOwned


class CustomerOrganization(TenantOwned):
    """A customer of a vendor: the party that holds a support subscription."""

    name = models.CharField(_("name"), max_length=200)
    is_license_customer = models.BooleanField(
        _("licence customer"),
        default=False,
        help_text=_("Some contracts price plans differently for licence customers."),
    )
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_organizations",
        verbose_name=_("account manager"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("customer organisation")
        verbose_name_plural = _("customer organisations")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="organization_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class ContactRole(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrator")
    USER = "user", _("User")


class Contact(TenantOwned):
    """A customer's person on the desk; administrators may hold a training record."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="contact",
        verbose_name=_("user"),
    )
    organization = models.ForeignKey(
        CustomerOrganization,
        on_delete=models.CASCADE,
        related_name="contacts",
        verbose_name=_("organisation"),
    )
    role = models.CharField(
        _("role"), max_length=20, choices=ContactRole.choices, default=ContactRole.USER
    )
    trained = models.BooleanField(_("trained"), default=False)
    trained_on = models.DateField(_("trained on"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)

    class Meta:
        ordering = ["organization__name", "user__email"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(trained=False) | models.Q(trained_on__isnull=False),
                name="contact_trained_has_date",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.organization})"

    @property
    def is_trained_administrator(self) -> bool:
        return self.role == ContactRole.ADMINISTRATOR and self.trained
