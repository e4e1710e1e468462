"""Admin for the core app: a tenant's staff on `/config/admin/`, tenants and users on `/admin/`."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from supportdesk.admin_site import TenantScopedAdmin, tenant_admin_site
from supportdesk.models import STAFF_ROLES, Role, Tenant, User, WorkerHeartbeat

STAFF_ROLE_CHOICES = [(role.value, role.label) for role in Role if role in STAFF_ROLES]


class StaffForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ("email", "first_name", "last_name", "role", "is_active", "language", "timezone")

    def clean_email(self) -> str:
        """Stored lower-case like every sign-in address, so uniqueness is case-blind."""
        return User.objects.normalize_email(self.cleaned_data["email"]).lower()


@admin.register(User, site=tenant_admin_site)
class StaffAdmin(TenantScopedAdmin):
    """Agents, account managers and tenant admins; contacts live under their organisation.

    New staff get no password: they set one through allauth's password reset, and
    their address starts unverified like `supportdesk.services.staff_create`.
    Staff are deactivated rather than deleted, so their history keeps its author.
    """

    form = StaffForm
    list_display = ("email", "first_name", "last_name", "role", "is_active", "last_login")
    list_filter = ("role", "is_active")
    search_fields = ("email", "first_name", "last_name")
    ordering = ("email",)

    def get_queryset(self, request):
        return super().get_queryset(request).staff()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        """The address is the sign-in identity; an admin may not lock themself out."""
        if obj is None:
            return ()
        if obj.pk == request.user.pk:
            return ("email", "role", "is_active")
        return ("email",)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role":
            kwargs["choices"] = STAFF_ROLE_CHOICES
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.set_unusable_password()
        super().save_model(request, obj, form, change)
        if not change:
            EmailAddress.objects.get_or_create(
                user=obj, email=obj.email, defaults={"primary": True, "verified": False}
            )


# --- Platform admin (/admin/, Django superusers) ---------------------------------------------


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "country", "timezone", "language", "currency", "case_prefix")
    search_fields = ("name", "slug", "case_prefix")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(User)
class PlatformUserAdmin(DjangoUserAdmin):
    """Django's user admin for a model that signs in by e-mail and has a tenant and role."""

    list_display = ("email", "tenant", "role", "is_active", "is_superuser", "last_login")
    list_filter = ("tenant", "role", "is_active", "is_superuser")
    list_select_related = ("tenant",)
    search_fields = ("email", "first_name", "last_name")
    ordering = ("email",)
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Desk"), {"fields": ("tenant", "role", "language", "timezone")}),
        (_("Personal info"), {"fields": ("first_name", "last_name")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "email",
                    "tenant",
                    "role",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ("name", "last_seen", "hostname")
    ordering = ("name",)
