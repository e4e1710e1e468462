"""Tenants, users and their roles: the root every tenant-owned row hangs from."""

from __future__ import annotations

import zoneinfo

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from supportdesk.tenancy import TenantQuerySet

LANGUAGE_CHOICES = [
    ("en", _("English")),
    ("da", _("Danish")),
    ("nb", _("Norwegian Bokmål")),
    ("sv", _("Swedish")),
]


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone “%(zone)s”."), params={"zone": value})


class Tenant(models.Model):
    """A support vendor running its contracts on the desk (e.g. Mobilise)."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    country = models.CharField(
        _("country"),
        max_length=2,
        validators=[RegexValidator(r"^[A-Z]{2}$", _("Use a two-letter ISO country code."))],
    )
    timezone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_timezone]
    )
    language = models.CharField(
        _("default language"), max_length=8, choices=LANGUAGE_CHOICES, default="en"
    )
    currency = models.CharField(
        _("currency"),
        max_length=3,
        validators=[RegexValidator(r"^[A-Z]{3}$", _("Use a three-letter ISO 4217 code."))],
    )
    case_prefix = models.CharField(
        _("case number prefix"),
        max_length=8,
        validators=[RegexValidator(r"^[A-Z]{2,8}$", _("Use 2–8 capital letters."))],
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")
        constraints = [
            models.UniqueConstraint(fields=["case_prefix"], name="tenant_unique_case_prefix")
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    TENANT_ADMIN = "tenant_admin", _("Tenant admin")
    AGENT = "agent", _("Agent")
    ACCOUNT_MANAGER = "account_manager", _("Account manager")
    CONTACT = "contact", _("Customer contact")


STAFF_ROLES = frozenset({Role.TENANT_ADMIN, Role.AGENT, Role.ACCOUNT_MANAGER})


class UserQuerySet(TenantQuerySet):
    def staff(self) -> UserQuerySet:
        return self.filter(role__in=STAFF_ROLES)


class UserManager(DjangoUserManager.from_queryset(UserQuerySet)):
    """Users sign in with their e-mail address; there is no username."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person who signs in. Belongs to exactly one tenant, in exactly one role.

    Platform operators (Django superusers) have no tenant and therefore see no
    tenant data through the desk's pages; they work in the platform admin.
    """

    username = None
    email = models.EmailField(_("e-mail address"), unique=True)
    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("tenant"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.CONTACT)
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=LANGUAGE_CHOICES,
        blank=True,
        help_text=_("Empty: the tenant's default language."),
    )
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_timezone],
        help_text=_("Empty: the tenant's time zone."),
    )

    on_duty = models.BooleanField(
        _("on duty"),
        default=False,
        help_text=_("Agents on duty receive SLA breach alerts for every case of the tenant."),
    )
    on_duty_changed_at = models.DateTimeField(
        _("duty changed"),
        null=True,
        blank=True,
        help_text=_("When the desk last put this user on or off duty; empty: never."),
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(tenant__isnull=False) | models.Q(is_superuser=True),
                name="user_tenant_required_unless_operator",
            )
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    @property
    def is_desk_staff(self) -> bool:
        return self.tenant_id is not None and self.role in STAFF_ROLES

    @property
    def is_contact(self) -> bool:
        return self.tenant_id is not None and self.role == Role.CONTACT

    @property
    def effective_timezone(self) -> str:
        if self.timezone:
            return self.timezone
        return self.tenant.timezone if self.tenant_id else "UTC"

    @property
    def effective_language(self) -> str:
        if self.language:
            return self.language
        return self.tenant.language if self.tenant_id else "en"


class WorkerHeartbeat(models.Model):
    """Last sign of life per background process kind, for the operations page."""

    name = models.CharField(max_length=100, unique=True)
    last_seen = models.DateTimeField()
    hostname = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name = _("worker heartbeat")

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_seen:%Y-%m-%d %H:%M:%S}"
