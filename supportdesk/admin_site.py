"""The configuration admin for tenant admins: Django's admin, narrowed to one tenant.

Platform operators keep the ordinary `/admin/`. Tenant admins get `/config/admin/`,
where every list, form, foreign-key choice and lookup is filtered to their tenant
and every new row is stamped with it; another tenant's row answers 404.

Tenant admins are not Django `is_staff` users: they sign in through allauth, so the
site sends visitors to `/accounts/login/` and signed-in outsiders get the same 404
as everywhere else on the desk (`supportdesk.access`).
"""

from __future__ import annotations

from functools import update_wrapper
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.auth.views import redirect_to_login
from django.core import checks
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from supportdesk.models import Role, Tenant, User

TENANT_FIELD = "tenant"


class TenantAdminSite(admin.AdminSite):
    site_header = _("Desk configuration")
    site_title = _("Desk configuration")
    index_title = _("Contracts, customers and calendars")
    site_url = "/config/"

    def has_permission(self, request) -> bool:
        user = request.user
        return bool(
            user.is_active
            and user.is_authenticated
            and user.tenant_id
            and user.role == Role.TENANT_ADMIN
        )

    def admin_view(self, view, cacheable=False):
        """Anonymous visitors go to the desk's sign-in; signed-in outsiders get a 404.

        Django's own guard would send both to the admin login form, which tenant
        admins never use, and would tell outsiders that the page exists.
        """
        admitted = super().admin_view(view, cacheable)

        def gate(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not self.has_permission(request):
                raise Http404
            return admitted(request, *args, **kwargs)

        return never_cache(update_wrapper(gate, admitted))

    def login(self, request, extra_context=None):
        """Sign-in belongs to allauth (verification, MFA, throttling); never Django's form."""
        index = reverse("admin:index", current_app=self.name)
        if not request.user.is_authenticated:
            return redirect_to_login(request.GET.get("next") or index)
        if not self.has_permission(request):
            raise Http404
        return redirect(index)

    def logout(self, request, extra_context=None):
        """Sign out through allauth; a 307 keeps the admin's POST (and its CSRF token)."""
        response = HttpResponseRedirect(reverse("account_logout"))
        if request.method == "POST":
            response.status_code = 307
        return response

    def password_change(self, request, extra_context=None):
        return redirect("account_change_password")

    def password_change_done(self, request, extra_context=None):
        return redirect("account_change_password")

    def get_urls(self):
        """Drop "view on site": its content-type shortcut looks objects up unscoped."""
        return [url for url in super().get_urls() if getattr(url, "name", "") != "view_on_site"]


tenant_admin_site = TenantAdminSite(name="tenant_admin")


# --- Scoping ---------------------------------------------------------------------------------


def request_tenant(request) -> Tenant:
    return request.user.tenant


def is_tenant_owned(model) -> bool:
    return any(field.name == TENANT_FIELD for field in model._meta.concrete_fields)


def scope_queryset(queryset: models.QuerySet, tenant: Tenant) -> models.QuerySet:
    """Narrow any related queryset to one tenant; users narrow further to staff.

    Models outside the tenant tree (none today) pass through unchanged.
    """
    model = queryset.model
    if model is Tenant:
        return queryset.filter(pk=tenant.pk)
    if not is_tenant_owned(model):
        return queryset
    queryset = queryset.filter(tenant=tenant)
    if model is User:
        queryset = queryset.staff()
    return queryset


class TenantStampedForm:
    """Mixin for the admin's model forms: the row belongs to the signing-in admin's tenant.

    `tenant` is set on the class by `with_tenant`. The field is not on the form, so
    Django skips every constraint that names it (e.g. unique (tenant, key)); they are
    run here once the tenant is stamped, with their errors shown as form errors.
    """

    tenant: Tenant | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.tenant is not None and self.instance.tenant_id is None:
            self.instance.tenant = self.tenant

    def clean(self):
        """An emptied JSON box means "none": the field's default, not a NULL the column refuses."""
        cleaned = super().clean()
        for field in self.instance._meta.fields:
            if (
                isinstance(field, models.JSONField)
                and not field.null
                and field.name in cleaned
                and cleaned[field.name] is None
            ):
                cleaned[field.name] = field.get_default()
        return cleaned

    def validate_unique(self) -> None:
        super().validate_unique()
        instance = self.instance
        if instance.tenant_id is None:
            return
        unchecked = {
            field.name
            for field in instance._meta.fields
            if field.name not in self.fields or field.name in self.errors
        } - {TENANT_FIELD}
        for constraint in instance._meta.constraints:
            if TENANT_FIELD in getattr(constraint, "fields", ()):
                try:
                    constraint.validate(type(instance), instance, exclude=unchecked)
                except ValidationError as error:
                    self.add_error(None, error.messages)


def with_tenant(form_class: type, tenant: Tenant) -> type:
    """`form_class` whose instances are stamped with `tenant` before they validate."""
    mixin = () if issubclass(form_class, TenantStampedForm) else (TenantStampedForm,)
    return type(form_class.__name__, (*mixin, form_class), {"tenant": tenant})


class TenantScopingMixin:
    """Shared by model admins and inlines: rows, choices and permissions of one tenant."""

    admin_site: TenantAdminSite

    def get_queryset(self, request):
        return super().get_queryset(request).filter(tenant=request_tenant(request))

    def has_view_permission(self, request, obj=None) -> bool:
        return self.admin_site.has_permission(request)

    def has_add_permission(self, request, *args) -> bool:
        return self.admin_site.has_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self.admin_site.has_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.admin_site.has_permission(request)

    def get_exclude(self, request, obj=None):
        return (*(super().get_exclude(request, obj) or ()), TENANT_FIELD)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs.setdefault("queryset", self._choices(db_field, request, kwargs.get("using")))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs.setdefault("queryset", self._choices(db_field, request, kwargs.get("using")))
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def _choices(self, db_field, request, using) -> models.QuerySet:
        """The related admin's ordering (as Django does), limited to the tenant."""
        queryset = self.get_field_queryset(using, db_field, request)
        if queryset is None:
            queryset = db_field.remote_field.model._default_manager.using(using)
        return scope_queryset(queryset, request_tenant(request))

    def check(self, **kwargs) -> list[checks.CheckMessage]:
        """Raw-id widgets label their value with an unscoped lookup; use autocomplete."""
        errors = super().check(**kwargs)
        if self.raw_id_fields:
            errors.append(
                checks.Error(
                    "Tenant-scoped admins must use autocomplete_fields, not raw_id_fields.",
                    obj=type(self),
                    id="supportdesk.E101",
                )
            )
        return errors


class TenantScopedAdmin(TenantScopingMixin, admin.ModelAdmin):
    """A model admin on `tenant_admin_site` that shows and writes one tenant's rows only."""

    view_on_site = False

    def has_module_permission(self, request) -> bool:
        return self.admin_site.has_permission(request)

    def get_object(self, request, object_id, from_field=None):
        """Another tenant's row answers 404 like a missing one (Django would redirect)."""
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404
        return obj

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return with_tenant(form, request_tenant(request))

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.tenant = request_tenant(request)
        super().save_model(request, obj, form, change)

    def get_list_filter(self, request):
        """Relation filters list only related rows that occur in the tenant's own rows."""
        return [self._scoped_filter(item) for item in super().get_list_filter(request)]

    def _scoped_filter(self, item: Any) -> Any:
        if isinstance(item, str) and get_fields_from_path(self.model, item)[-1].is_relation:
            return (item, admin.RelatedOnlyFieldListFilter)
        return item


class TenantInlineFormSet:
    """Mixin for inline formsets whose rows copy fields the inline hides from the parent."""

    def add_fields(self, form, index) -> None:
        super().add_fields(form, index)
        self.inherit_from_parent(form.instance)

    def inherit_from_parent(self, child) -> None:
        """Hook: e.g. a hypercare window's targets take the window's organisation."""


class TenantScopedInline(TenantScopingMixin, admin.TabularInline):
    """An inline whose rows and choices stay inside the admin's tenant.

    Its forms are stamped like the parent's (`with_tenant`), so new rows get the tenant
    and the constraints that name it are checked before anything is saved.
    """

    extra = 0

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        form = with_tenant(formset.form, request_tenant(request))
        return type(formset.__name__, (formset,), {"form": form})


class ReadOnlyTenantAdmin(TenantScopedAdmin):
    """Rows a pack or the platform writes: tenant admins may look, not touch."""

    def has_add_permission(self, request, *args) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class PlatformModelAdmin(admin.ModelAdmin):
    """Operators on `/admin/` see every tenant's rows, filterable by tenant."""

    list_display = ("__str__", "tenant")
    list_filter = ("tenant",)
    list_select_related = ("tenant",)
