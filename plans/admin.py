"""Customers, contacts and contract terms in the tenant's configuration admin (and `/admin/`)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from supportdesk.admin_site import (
    PlatformModelAdmin,
    ReadOnlyTenantAdmin,
    TenantInlineFormSet,
    TenantScopedAdmin,
    TenantScopedInline,
    tenant_admin_site,
)
from supportdesk.models import User
from supportdesk.services import contact_user_create
from tickets.cases.services import clocks_resync_for_customer

from .models import (
    AddOn,
    CaseType,
    Contact,
    CustomerOrganization,
    HourBankPolicy,
    HypercareWindow,
    Plan,
    PlanEntitlement,
    PlanPrice,
    ProductVersion,
    RateCard,
    SeverityLevel,
    SlaTarget,
    Subscription,
    SubscriptionAddOn,
    SurveyQuestion,
    TargetOverride,
    TenantPolicy,
)

TARGET_FIELDS = ("severity", "metric", "commitment", "value", "unit", "calendar_key", "release")


# --- Customers and contacts ------------------------------------------------------------------


class ContactForm(forms.ModelForm):
    """A contact and the user behind it in one form; a new contact gets its user here.

    The user is created only when the contact is saved (not while the admin merely
    validates), so a rejected form never leaves a stray user behind.
    """

    email = forms.EmailField(label=_("e-mail address"))
    first_name = forms.CharField(label=_("first name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("last name"), max_length=150, required=False)

    class Meta:
        model = Contact
        fields = ("role", "trained", "trained_on", "phone")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.user_id:
            user = self.instance.user
            for name in ("email", "first_name", "last_name"):
                self.initial.setdefault(name, getattr(user, name))
            self.fields["email"].disabled = True

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if not self.instance.user_id and User.objects.filter(email=email).exists():
            raise forms.ValidationError(_("A user with this e-mail address already exists."))
        return email

    def save(self, commit=True):
        contact = super().save(commit=False)
        if commit:
            self.save_user(contact)
            contact.save()
            self.save_m2m()
        return contact

    def save_user(self, contact: Contact) -> None:
        data = self.cleaned_data
        if contact.user_id:
            contact.user.first_name, contact.user.last_name = data["first_name"], data["last_name"]
            contact.user.save(update_fields=["first_name", "last_name"])
            return
        contact.user = contact_user_create(
            tenant=contact.tenant,
            email=data["email"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            password=None,
            email_verified=False,
        )


CONTACT_FIELDS = ("email", "first_name", "last_name", "role", "trained", "trained_on", "phone")


class ContactInline(TenantScopedInline):
    model = Contact
    form = ContactForm
    fields = CONTACT_FIELDS


@admin.register(CustomerOrganization, site=tenant_admin_site)
class CustomerOrganizationAdmin(TenantScopedAdmin):
    list_display = ("name", "is_license_customer", "account_manager", "contact_count")
    list_filter = ("is_license_customer", "account_manager")
    search_fields = ("name",)
    ordering = ("name",)
    autocomplete_fields = ("account_manager",)
    inlines = (ContactInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(contact_total=Count("contacts"))

    @admin.display(description=_("contacts"), ordering="contact_total")
    def contact_count(self, obj) -> int:
        return obj.contact_total


@admin.register(Contact, site=tenant_admin_site)
class ContactAdmin(TenantScopedAdmin):
    form = ContactForm
    fields = ("organization", *CONTACT_FIELDS)
    list_display = ("user", "organization", "role", "trained", "trained_on")
    list_filter = ("organization", "role", "trained")
    list_select_related = ("user", "organization")
    search_fields = ("user__email", "user__first_name", "user__last_name", "organization__name")
    autocomplete_fields = ("organization",)

    def save_model(self, request, obj, form, change) -> None:
        form.save_user(obj)
        super().save_model(request, obj, form, change)


# --- Contract terms --------------------------------------------------------------------------


@admin.register(TenantPolicy, site=tenant_admin_site)
class TenantPolicyAdmin(ReadOnlyTenantAdmin):
    """Loaded from the tenant's policy pack (`manage.py load_policy`); shown, not edited."""

    list_display = ("__str__", "allowed_filers", "warning_at_percent", "loaded_at")


@admin.register(SeverityLevel, site=tenant_admin_site)
class SeverityLevelAdmin(TenantScopedAdmin):
    list_display = ("rank", "key", "name")
    list_display_links = ("key",)
    search_fields = ("key", "name")
    ordering = ("rank",)


@admin.register(CaseType, site=tenant_admin_site)
class CaseTypeAdmin(TenantScopedAdmin):
    list_display = ("name", "key", "kind", "billing", "sla_applies", "position")
    list_filter = ("kind", "sla_applies")
    search_fields = ("key", "name")
    ordering = ("position", "key")


class PlanPriceInline(TenantScopedInline):
    model = PlanPrice


class PlanEntitlementInline(TenantScopedInline):
    model = PlanEntitlement


class SlaTargetInline(TenantScopedInline):
    model = SlaTarget
    fields = TARGET_FIELDS


@admin.register(Plan, site=tenant_admin_site)
class PlanAdmin(TenantScopedAdmin):
    list_display = ("name", "key", "currency", "position")
    list_filter = ("currency",)
    search_fields = ("key", "name")
    ordering = ("position", "key")
    inlines = (PlanPriceInline, PlanEntitlementInline, SlaTargetInline)


@admin.register(PlanPrice, site=tenant_admin_site)
class PlanPriceAdmin(TenantScopedAdmin):
    list_display = ("plan", "segment", "amount", "per")
    list_filter = ("plan", "segment")
    list_select_related = ("plan",)
    search_fields = ("plan__name", "plan__key")
    autocomplete_fields = ("plan",)


@admin.register(PlanEntitlement, site=tenant_admin_site)
class PlanEntitlementAdmin(TenantScopedAdmin):
    list_display = ("plan", "key", "mode")
    list_filter = ("plan", "key", "mode")
    list_select_related = ("plan",)
    search_fields = ("plan__name", "plan__key")
    autocomplete_fields = ("plan",)


@admin.register(SlaTarget, site=tenant_admin_site)
class SlaTargetAdmin(TenantScopedAdmin):
    fields = ("plan", *TARGET_FIELDS)
    list_display = ("plan", "severity", "metric", "commitment", "value", "unit", "calendar_key")
    list_filter = ("plan", "severity", "metric", "unit")
    list_select_related = ("plan", "severity")
    search_fields = ("plan__name", "plan__key")
    autocomplete_fields = ("plan", "severity")


@admin.register(AddOn, site=tenant_admin_site)
class AddOnAdmin(TenantScopedAdmin):
    list_display = ("name", "key", "price", "currency", "per", "free_months")
    list_filter = ("currency",)
    search_fields = ("key", "name")
    ordering = ("key",)


@admin.register(RateCard, site=tenant_admin_site)
class RateCardAdmin(TenantScopedAdmin):
    list_display = ("name", "key", "applies_to", "currency", "channel", "is_placeholder")
    list_filter = ("currency", "is_placeholder")
    search_fields = ("key", "name", "applies_to")
    ordering = ("key",)


@admin.register(HourBankPolicy, site=tenant_admin_site)
class HourBankPolicyAdmin(TenantScopedAdmin):
    list_display = ("__str__", "period_months", "rollover_max_percent")


@admin.register(SurveyQuestion, site=tenant_admin_site)
class SurveyQuestionAdmin(TenantScopedAdmin):
    list_display = ("text", "key", "position")
    search_fields = ("key", "text")
    ordering = ("position",)


@admin.register(ProductVersion, site=tenant_admin_site)
class ProductVersionAdmin(TenantScopedAdmin):
    list_display = ("name", "released_on")
    search_fields = ("name",)
    ordering = ("-released_on",)
    date_hierarchy = "released_on"


# --- What customers have agreed --------------------------------------------------------------


class SubscriptionForm(forms.ModelForm):
    def clean(self):
        """One customer's subscription periods may not overlap (as `subscription_create`)."""
        cleaned = super().clean()
        organization, starts_on = cleaned.get("organization"), cleaned.get("starts_on")
        if organization is None or starts_on is None:
            return cleaned
        others = Subscription.objects.filter(organization=organization).exclude(pk=self.instance.pk)
        ends_on = cleaned.get("ends_on")
        if ends_on is not None:
            others = others.filter(starts_on__lte=ends_on)
        if others.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on)).exists():
            self.add_error(
                "starts_on", _("The customer already has a subscription in this period.")
            )
        return cleaned


class SubscriptionAddOnInline(TenantScopedInline):
    model = SubscriptionAddOn
    autocomplete_fields = ("addon",)


@admin.register(Subscription, site=tenant_admin_site)
class SubscriptionAdmin(TenantScopedAdmin):
    form = SubscriptionForm
    list_display = ("organization", "plan", "starts_on", "ends_on")
    list_filter = ("plan",)
    list_select_related = ("organization", "plan")
    search_fields = ("organization__name", "plan__name", "plan__key")
    date_hierarchy = "starts_on"
    autocomplete_fields = ("organization", "plan")
    inlines = (SubscriptionAddOnInline,)


@admin.register(SubscriptionAddOn, site=tenant_admin_site)
class SubscriptionAddOnAdmin(TenantScopedAdmin):
    list_display = ("subscription", "addon", "quantity", "starts_on", "ends_on")
    list_filter = ("addon",)
    list_select_related = ("subscription__organization", "subscription__plan", "addon")
    search_fields = ("subscription__organization__name", "addon__name", "addon__key")
    autocomplete_fields = ("subscription", "addon")


class HypercareTargetFormSet(TenantInlineFormSet, forms.BaseInlineFormSet):
    def inherit_from_parent(self, child) -> None:
        """A target inside a hypercare window is agreed with the window's customer."""
        child.organization_id = self.instance.organization_id


class HypercareTargetInline(TenantScopedInline):
    model = TargetOverride
    fk_name = "hypercare"
    formset = HypercareTargetFormSet
    fields = TARGET_FIELDS
    verbose_name_plural = _("targets during the window")


@admin.register(HypercareWindow, site=tenant_admin_site)
class HypercareWindowAdmin(TenantScopedAdmin):
    list_display = ("organization", "starts_at", "ends_at", "plan", "reason")
    list_filter = ("organization", "plan")
    list_select_related = ("organization", "plan")
    search_fields = ("organization__name", "reason")
    date_hierarchy = "starts_at"
    autocomplete_fields = ("organization", "plan")
    inlines = (HypercareTargetInline,)

    def get_readonly_fields(self, request, obj=None):
        """Its targets copy the customer, so the customer is fixed once the window exists."""
        return ("organization",) if obj is not None else ()

    def save_related(self, request, form, formsets, change) -> None:
        """Open cases filed inside the window take its targets (after its inlines saved)."""
        super().save_related(request, form, formsets, change)
        clocks_resync_for_customer(organization=form.instance.organization)


class TargetOverrideForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        organization, hypercare = cleaned.get("organization"), cleaned.get("hypercare")
        if hypercare and organization and hypercare.organization_id != organization.pk:
            self.add_error("hypercare", _("This hypercare window is another customer's."))
        return cleaned


@admin.register(TargetOverride, site=tenant_admin_site)
class TargetOverrideAdmin(TenantScopedAdmin):
    form = TargetOverrideForm

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        clocks_resync_for_customer(organization=obj.organization)

    fields = ("organization", "hypercare", *TARGET_FIELDS)
    list_display = ("organization", "severity", "metric", "commitment", "value", "unit")
    list_filter = ("organization", "severity", "metric")
    list_select_related = ("organization", "severity")
    search_fields = ("organization__name",)
    autocomplete_fields = ("organization", "hypercare", "severity")


# --- Platform admin (/admin/) ----------------------------------------------------------------

for _model in (
    CustomerOrganization,
    Contact,
    TenantPolicy,
    SeverityLevel,
    CaseType,
    Plan,
    PlanPrice,
    PlanEntitlement,
    SlaTarget,
    AddOn,
    RateCard,
    HourBankPolicy,
    SurveyQuestion,
    ProductVersion,
    Subscription,
    SubscriptionAddOn,
    HypercareWindow,
    TargetOverride,
):
    admin.site.register(_model, PlatformModelAdmin)
