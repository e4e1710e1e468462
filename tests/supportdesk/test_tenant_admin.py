"""The tenant admin at /config/admin/: one tenant's rows, choices and writes, nothing else.

Every model registered on `tenant_admin_site` is checked through the registry, so a
new registration is covered without touching this file.
"""

import datetime as dt
import json

import pytest
from allauth.account.models import EmailAddress
from django import forms
from django.contrib.auth import SESSION_KEY
from django.core import checks
from django.urls import reverse

from plans.models import (
    Contact,
    CustomerOrganization,
    HourBankPolicy,
    Plan,
    PlanPrice,
    SlaTarget,
    Subscription,
    TargetOverride,
    TenantPolicy,
)
from sla.admin import render_preview
from sla.models import BusinessCalendar, SlaAlert, SlaClock
from supportdesk.admin_site import TenantScopedAdmin, tenant_admin_site, with_tenant
from supportdesk.models import Role, User
from tests.factories import (
    OFFICE_HOURS,
    TENANT_OWNED_FACTORIES,
    CalendarFactory,
    ContactFactory,
    HypercareFactory,
    OrganizationFactory,
    PlanFactory,
    SeverityFactory,
    UserFactory,
)

REGISTERED = sorted(tenant_admin_site._registry, key=lambda model: model._meta.label)
READ_ONLY = {TenantPolicy}


def url(model, view, *args):
    name = f"tenant_admin:{model._meta.app_label}_{model._meta.model_name}_{view}"
    return reverse(name, args=args)


def management_data(response) -> dict:
    """Empty management forms for every inline on an add/change page."""
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        prefix = inline.formset.prefix
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    return data


def inline_formset(response, prefix: str):
    inlines = response.context["inline_admin_formsets"]
    return next(inline.formset for inline in inlines if inline.formset.prefix == prefix)


@pytest.fixture
def admin_a(client, tenant_a):
    user = UserFactory(tenant=tenant_a, role=Role.TENANT_ADMIN)
    client.force_login(user)
    return user


# --- Who gets in -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_tenant_admin_sees_the_index_with_the_registered_models(client, admin_a):
    response = client.get("/config/admin/")
    assert response.status_code == 200
    listed = {m["object_name"] for app in response.context["app_list"] for m in app["models"]}
    assert listed == {model._meta.object_name for model in REGISTERED}
    assert client.get("/config/admin/plans/").status_code == 200


def test_every_configuration_model_is_registered():
    """Contract and customer configuration lives here; cases, clocks, alerts and credits are
    worked in the queue, the portal and the billing pages, not edited as rows."""
    operational = {"tickets", "billing"}
    configuration = {m for m in TENANT_OWNED_FACTORIES if m._meta.app_label not in operational}
    configuration -= {SlaClock, SlaAlert}
    assert configuration <= set(REGISTERED)
    assert all(isinstance(a, TenantScopedAdmin) for a in tenant_admin_site._registry.values())


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_desk_sign_in(client):
    for path in ("/config/admin/", "/config/admin/plans/plan/", "/config/admin/login/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/?next="), path
    assert client.get("/config/admin/plans/plan/")["Location"].endswith(
        "next=/config/admin/plans/plan/"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.AGENT, Role.ACCOUNT_MANAGER, Role.CONTACT, "operator"])
def test_signed_in_outsiders_get_404(client, tenant_a, role):
    if role == "operator":
        user = User.objects.create_superuser(email="root@platform.example", password="x" * 20)
    elif role == Role.CONTACT:
        user = ContactFactory(organization=OrganizationFactory(tenant=tenant_a)).user
    else:
        user = UserFactory(tenant=tenant_a, role=role)
    client.force_login(user)
    org = OrganizationFactory(tenant=tenant_a)
    for path in (
        "/config/admin/",
        "/config/admin/login/",
        url(CustomerOrganization, "changelist"),
        url(CustomerOrganization, "change", org.pk),
        url(CustomerOrganization, "add"),
    ):
        assert client.get(path).status_code == 404, path


@pytest.mark.django_db
def test_login_page_sends_a_signed_in_tenant_admin_to_the_index(client, admin_a):
    response = client.get("/config/admin/login/")
    assert response.status_code == 302 and response["Location"] == "/config/admin/"


@pytest.mark.django_db
def test_logout_goes_through_allauth(client, admin_a):
    response = client.post("/config/admin/logout/")
    assert response.status_code == 307 and response["Location"] == "/accounts/logout/"
    client.post("/config/admin/logout/", follow=True)
    assert SESSION_KEY not in client.session


@pytest.mark.django_db
def test_password_change_is_allauths(client, admin_a):
    assert client.get("/config/admin/password_change/")["Location"] == "/accounts/password/change/"


# --- Isolation, model by model ---------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_changelist_and_object_pages_show_only_own_rows(client, admin_a, tenant_a, tenant_b, model):
    make = TENANT_OWNED_FACTORIES[model]
    own, foreign = make(tenant_a), make(tenant_b)

    response = client.get(url(model, "changelist"))
    assert response.status_code == 200
    shown = {row.pk for row in response.context["cl"].result_list}
    assert own.pk in shown
    assert foreign.pk not in shown
    assert all(row.tenant_id == tenant_a.pk for row in response.context["cl"].result_list)

    assert client.get(url(model, "change", own.pk)).status_code == 200
    for view in ("change", "delete", "history"):
        assert client.get(url(model, view, foreign.pk)).status_code == 404, view
    assert client.post(url(model, "change", foreign.pk), {}).status_code == 404
    assert client.post(url(model, "delete", foreign.pk), {"post": "yes"}).status_code == 404
    assert model._default_manager.filter(pk=foreign.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_add_form_renders_without_a_tenant_field(client, admin_a, model):
    response = client.get(url(model, "add"))
    if model in READ_ONLY:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    assert "tenant" not in response.context["adminform"].form.fields
    assert 'name="tenant"' not in response.content.decode()


@pytest.mark.django_db
def test_the_bulk_delete_action_reaches_only_own_rows(client, admin_a, tenant_a, tenant_b):
    own, foreign = OrganizationFactory(tenant=tenant_a), OrganizationFactory(tenant=tenant_b)
    response = client.post(
        url(CustomerOrganization, "changelist"),
        {"action": "delete_selected", "_selected_action": [own.pk, foreign.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not CustomerOrganization.objects.filter(pk=own.pk).exists()
    assert CustomerOrganization.objects.filter(pk=foreign.pk).exists()


@pytest.mark.django_db
def test_view_on_site_shortcut_is_not_offered(client, admin_a, tenant_b):
    foreign = OrganizationFactory(tenant=tenant_b)
    assert client.get(f"/config/admin/r/1/{foreign.pk}/").status_code == 404


# --- Choices: selects, autocomplete, filters -------------------------------------------------


@pytest.mark.django_db
def test_foreign_key_choices_are_the_tenants_own(client, admin_a, tenant_a, tenant_b):
    own_plan, foreign_plan = PlanFactory(tenant=tenant_a), PlanFactory(tenant=tenant_b)
    OrganizationFactory(tenant=tenant_b)
    form = client.get(url(Subscription, "add")).context["adminform"].form
    assert list(form.fields["plan"].queryset) == [own_plan]
    assert set(form.fields["organization"].queryset.values_list("tenant", flat=True)) <= {
        tenant_a.pk
    }
    assert foreign_plan.name not in client.get(url(Subscription, "add")).content.decode()


@pytest.mark.django_db
def test_posting_another_tenants_plan_is_a_field_error(client, admin_a, tenant_a, tenant_b):
    organization, foreign_plan = OrganizationFactory(tenant=tenant_a), PlanFactory(tenant=tenant_b)
    data = management_data(client.get(url(Subscription, "add")))
    response = client.post(
        url(Subscription, "add"),
        {
            **data,
            "organization": organization.pk,
            "plan": foreign_plan.pk,
            "starts_on": "2026-01-01",
        },
    )
    assert response.status_code == 200
    assert "plan" in response.context["adminform"].form.errors
    assert not Subscription.objects.exists()


@pytest.mark.django_db
def test_user_choices_are_the_tenants_staff(client, admin_a, tenant_a, tenant_b):
    manager = UserFactory(tenant=tenant_a, role=Role.ACCOUNT_MANAGER)
    contact_user = ContactFactory(organization=OrganizationFactory(tenant=tenant_a)).user
    foreign_staff = UserFactory(tenant=tenant_b, role=Role.ACCOUNT_MANAGER)
    form = client.get(url(CustomerOrganization, "add")).context["adminform"].form
    choices = set(form.fields["account_manager"].queryset)
    assert {manager, admin_a} <= choices
    assert contact_user not in choices and foreign_staff not in choices


@pytest.mark.django_db
def test_autocomplete_offers_only_own_rows(client, admin_a, tenant_a, tenant_b):
    own_plan, foreign_plan = PlanFactory(tenant=tenant_a), PlanFactory(tenant=tenant_b)
    response = client.get(
        "/config/admin/autocomplete/",
        {"app_label": "plans", "model_name": "subscription", "field_name": "plan", "term": ""},
    )
    assert response.status_code == 200
    ids = {int(result["id"]) for result in response.json()["results"]}
    assert ids == {own_plan.pk} and foreign_plan.pk not in ids


@pytest.mark.django_db
def test_relation_filters_list_only_own_rows(client, admin_a, tenant_a, tenant_b):
    own = [TENANT_OWNED_FACTORIES[Subscription](tenant_a) for _ in range(2)]
    foreign = TENANT_OWNED_FACTORIES[Subscription](tenant_b)
    page = client.get(url(Subscription, "changelist")).content.decode()
    assert own[0].plan.name in page and own[1].plan.name in page  # the filter is shown
    assert foreign.plan.name not in page
    filtered = client.get(url(Subscription, "changelist"), {"plan__id__exact": foreign.plan_id})
    assert list(filtered.context["cl"].result_list) == []


def test_raw_id_fields_are_refused_by_the_system_checks():
    class Careless(TenantScopedAdmin):
        raw_id_fields = ("plan",)

    errors = Careless(Subscription, tenant_admin_site).check()
    assert "supportdesk.E101" in {error.id for error in errors if isinstance(error, checks.Error)}


# --- Writes: the tenant is stamped, constraints that name it still hold ----------------------


@pytest.mark.django_db
def test_adding_an_organisation_with_a_contact_stamps_the_tenant(client, admin_a, tenant_a):
    data = management_data(client.get(url(CustomerOrganization, "add")))
    data |= {
        "name": "Fjord Logistics",
        "contacts-TOTAL_FORMS": "1",
        "contacts-0-email": "Ada@Fjord.example",
        "contacts-0-first_name": "Ada",
        "contacts-0-last_name": "Lovelace",
        "contacts-0-role": "administrator",
        "contacts-0-phone": "",
    }
    response = client.post(url(CustomerOrganization, "add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    organization = CustomerOrganization.objects.get(name="Fjord Logistics")
    assert organization.tenant == tenant_a
    contact = Contact.objects.get(organization=organization)
    assert contact.tenant == tenant_a
    assert contact.user.email == "ada@fjord.example"
    assert (contact.user.tenant, contact.user.role) == (tenant_a, Role.CONTACT)
    assert not contact.user.has_usable_password()


@pytest.mark.django_db
def test_a_contact_added_on_its_own_gets_a_contact_user(client, admin_a, tenant_a):
    organization = OrganizationFactory(tenant=tenant_a)
    data = {"organization": organization.pk, "email": "bo@fjord.example", "role": "user"}
    response = client.post(url(Contact, "add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    contact = Contact.objects.get(user__email="bo@fjord.example")
    assert (contact.tenant, contact.user.tenant, contact.user.role) == (
        tenant_a,
        tenant_a,
        Role.CONTACT,
    )
    again = client.post(url(Contact, "add"), data)
    assert "email" in again.context["adminform"].form.errors


@pytest.mark.django_db
def test_an_invalid_inline_leaves_no_contact_user_behind(client, admin_a):
    data = management_data(client.get(url(CustomerOrganization, "add")))
    data |= {
        "name": "Fjord Logistics",
        "contacts-TOTAL_FORMS": "1",
        "contacts-0-email": "ada@fjord.example",
        "contacts-0-role": "user",
        "contacts-0-trained": "on",  # trained without a date breaks a check constraint
    }
    response = client.post(url(CustomerOrganization, "add"), data)
    assert response.status_code == 200
    assert not User.objects.filter(email="ada@fjord.example").exists()
    assert not CustomerOrganization.objects.filter(name="Fjord Logistics").exists()


@pytest.mark.django_db
def test_inline_rows_of_a_new_plan_get_the_tenant(client, admin_a, tenant_a):
    severity = SeverityFactory(tenant=tenant_a)
    data = management_data(client.get(url(Plan, "add")))
    data |= {
        "key": "gold",
        "name": "Gold",
        "currency": "DKK",
        "position": "0",
        "schedules": "",  # an emptied JSON box becomes the default, not NULL
        "prices-TOTAL_FORMS": "1",
        "prices-0-segment": "all_customers",
        "prices-0-amount": "100.00",
        "prices-0-per": "month",
        "targets-TOTAL_FORMS": "1",
        "targets-0-severity": severity.pk,
        "targets-0-metric": "response",
        "targets-0-commitment": "target",
        "targets-0-value": "2",
        "targets-0-unit": "working_hours",
        "targets-0-calendar_key": "business",
    }
    response = client.post(url(Plan, "add"), data)
    assert response.status_code == 302, response.context["errors"]
    plan = Plan.objects.get(key="gold")
    assert plan.tenant == tenant_a and plan.schedules == []
    assert PlanPrice.objects.get(plan=plan).tenant == tenant_a
    assert SlaTarget.objects.get(plan=plan).tenant == tenant_a


@pytest.mark.django_db
def test_inline_target_model_validation_is_per_field(client, admin_a, tenant_a):
    plan, severity = PlanFactory(tenant=tenant_a), SeverityFactory(tenant=tenant_a)
    data = management_data(client.get(url(Plan, "change", plan.pk)))
    data |= {
        "key": plan.key,
        "name": plan.name,
        "currency": "DKK",
        "position": "0",
        "schedules": "[]",
        "targets-TOTAL_FORMS": "1",
        "targets-0-severity": severity.pk,
        "targets-0-metric": "response",
        "targets-0-commitment": "target",
        "targets-0-value": "2",
        "targets-0-unit": "working_hours",
        "targets-0-calendar_key": "",
    }
    response = client.post(url(Plan, "change", plan.pk), data)
    assert response.status_code == 200
    targets = next(
        f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "targets"
    )
    assert "calendar_key" in targets.forms[0].errors


@pytest.mark.django_db
def test_inline_choices_are_the_tenants_own(client, admin_a, tenant_a, tenant_b):
    plan, foreign_severity = PlanFactory(tenant=tenant_a), SeverityFactory(tenant=tenant_b)
    data = management_data(client.get(url(Plan, "change", plan.pk)))
    data |= {
        "key": plan.key,
        "name": plan.name,
        "currency": "DKK",
        "position": "0",
        "schedules": "[]",
        "targets-TOTAL_FORMS": "1",
        "targets-0-severity": foreign_severity.pk,
        "targets-0-metric": "response",
        "targets-0-commitment": "none",
    }
    response = client.post(url(Plan, "change", plan.pk), data)
    assert response.status_code == 200
    targets = next(
        f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "targets"
    )
    assert "severity" in targets.forms[0].errors
    assert not SlaTarget.objects.exists()


@pytest.mark.django_db
def test_hypercare_targets_belong_to_the_windows_customer(client, admin_a, tenant_a):
    window = HypercareFactory(organization=OrganizationFactory(tenant=tenant_a))
    severity = SeverityFactory(tenant=tenant_a)
    data = management_data(client.get(url(type(window), "change", window.pk)))
    data |= {
        "starts_at_0": "2026-03-01",
        "starts_at_1": "00:00:00",
        "ends_at_0": "2026-04-01",
        "ends_at_1": "00:00:00",
        "targets-TOTAL_FORMS": "1",
        "targets-0-severity": severity.pk,
        "targets-0-metric": "response",
        "targets-0-commitment": "target",
        "targets-0-value": "1",
        "targets-0-unit": "calendar_hours",
    }
    response = client.post(url(type(window), "change", window.pk), data)
    assert response.status_code == 302, response.context["errors"]
    target = TargetOverride.objects.get(hypercare=window)
    assert (target.tenant, target.organization) == (tenant_a, window.organization)


@pytest.mark.django_db
def test_a_one_per_tenant_row_cannot_be_added_twice(client, admin_a, tenant_a, tenant_b):
    TENANT_OWNED_FACTORIES[HourBankPolicy](tenant_b)  # another tenant's row does not count
    data = {"period_months": "12", "rollover_max_percent": "20", "terms": "{}"}
    assert client.post(url(HourBankPolicy, "add"), data).status_code == 302
    response = client.post(url(HourBankPolicy, "add"), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors()
    assert HourBankPolicy.objects.filter(tenant=tenant_a).count() == 1


@pytest.mark.django_db
def test_overlapping_subscriptions_are_refused(client, admin_a, tenant_a):
    existing = TENANT_OWNED_FACTORIES[Subscription](tenant_a)
    data = management_data(client.get(url(Subscription, "add")))
    data |= {
        "organization": existing.organization_id,
        "plan": existing.plan_id,
        "starts_on": "2026-01-01",
    }
    response = client.post(url(Subscription, "add"), data)
    assert "starts_on" in response.context["adminform"].form.errors


@pytest.mark.django_db
def test_tenant_policy_is_read_only(client, admin_a, tenant_a):
    policy = TENANT_OWNED_FACTORIES[TenantPolicy](tenant_a)
    page = client.get(url(TenantPolicy, "change", policy.pk))
    assert page.status_code == 200 and "0" * 64 in page.content.decode()
    assert client.post(url(TenantPolicy, "change", policy.pk), {}).status_code == 403
    assert client.post(url(TenantPolicy, "delete", policy.pk), {"post": "yes"}).status_code == 403


# --- Staff -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_new_staff_get_a_staff_role_and_no_password(client, admin_a, tenant_a):
    form = client.get(url(User, "add")).context["adminform"].form
    assert {value for value, _label in form.fields["role"].choices} == {
        Role.TENANT_ADMIN,
        Role.AGENT,
        Role.ACCOUNT_MANAGER,
    }
    assert not {"password", "is_staff", "is_superuser", "groups"} & set(form.fields)
    base = {"email": "New.Agent@Vendor.example", "first_name": "New", "last_name": "Agent"}
    refused = client.post(url(User, "add"), {**base, "role": Role.CONTACT, "is_active": "on"})
    assert "role" in refused.context["adminform"].form.errors

    response = client.post(url(User, "add"), {**base, "role": Role.AGENT, "is_active": "on"})
    assert response.status_code == 302
    user = User.objects.get(email="new.agent@vendor.example")
    assert (user.tenant, user.role, user.is_staff) == (tenant_a, Role.AGENT, False)
    assert not user.has_usable_password()
    assert EmailAddress.objects.filter(user=user, verified=False).exists()


@pytest.mark.django_db
def test_staff_list_leaves_out_contacts(client, admin_a, tenant_a):
    contact_user = ContactFactory(organization=OrganizationFactory(tenant=tenant_a)).user
    shown = set(client.get(url(User, "changelist")).context["cl"].result_list)
    assert admin_a in shown and contact_user not in shown
    assert client.get(url(User, "change", contact_user.pk)).status_code == 404


@pytest.mark.django_db
def test_an_admin_cannot_demote_themself(client, admin_a):
    form = client.get(url(User, "change", admin_a.pk)).context["adminform"].form
    assert not {"email", "role", "is_active"} & set(form.fields)


# --- Business calendars ----------------------------------------------------------------------


def calendar_data(**changes) -> dict:
    data = {
        "key": "business",
        "name": "Office hours",
        "organization": "",
        "timezone": "Europe/Copenhagen",
        "weekly_hours": json.dumps(OFFICE_HOURS),
        "special_hours": "{}",
        "business_day_minutes": "",
        "holiday_country": "DK",
        "holiday_subdivision": "",
        "holiday_categories": "[]",
        "closed_dates": "[]",
    }
    return data | changes


@pytest.mark.django_db
def test_a_valid_calendar_is_saved_in_the_tenant(client, admin_a, tenant_a, tenant_b):
    CalendarFactory(tenant=tenant_b, key="business")  # the same key elsewhere is no clash
    response = client.post(url(BusinessCalendar, "add"), calendar_data())
    assert response.status_code == 302, response.context["adminform"].form.errors
    calendar = BusinessCalendar.objects.get(tenant=tenant_a)
    assert calendar.weekly_hours == OFFICE_HOURS and calendar.holiday_categories == []


@pytest.mark.django_db
def test_a_duplicate_calendar_key_is_a_form_error(client, admin_a, tenant_a):
    CalendarFactory(tenant=tenant_a, key="business")
    response = client.post(url(BusinessCalendar, "add"), calendar_data())
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"key"}, errors  # one message, not also the constraint's
    assert BusinessCalendar.objects.filter(tenant=tenant_a).count() == 1


@pytest.mark.django_db
def test_stamped_forms_check_the_constraints_that_name_the_tenant(tenant_a, tenant_b):
    """Django skips constraints on fields a form leaves out; the stamped form runs them."""
    CalendarFactory(tenant=tenant_a, key="business")
    plain = forms.modelform_factory(BusinessCalendar, exclude=["tenant"])
    form = with_tenant(plain, tenant_a)(data=calendar_data())
    assert not form.is_valid()
    assert "A calendar with this key already exists." in str(form.non_field_errors())
    assert with_tenant(plain, tenant_b)(data=calendar_data()).is_valid()


@pytest.mark.django_db
def test_a_customer_may_reuse_the_tenants_calendar_key(client, admin_a, tenant_a):
    CalendarFactory(tenant=tenant_a, key="business")
    organization = OrganizationFactory(tenant=tenant_a)
    response = client.post(
        url(BusinessCalendar, "add"), calendar_data(organization=organization.pk)
    )
    assert response.status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("weekly_hours", json.dumps({"mon": [["08:00", "25:00"]]})),
        ("weekly_hours", json.dumps({"mon": [["08:00", "12:00"], ["11:00", "16:00"]]})),
        ("weekly_hours", json.dumps({"monday": [["08:00", "16:00"]]})),
        ("weekly_hours", "{not json"),
        ("holiday_country", "XX"),
        ("timezone", "Europe/Kopenhagen"),
        ("closed_dates", json.dumps(["2026-13-01"])),
        ("special_hours", json.dumps({"2026-12-24": [["12:00", "10:00"]]})),
    ],
)
def test_bad_calendar_input_is_shown_on_its_field(client, admin_a, field, value):
    response = client.post(url(BusinessCalendar, "add"), calendar_data(**{field: value}))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {field}, errors
    assert not BusinessCalendar.objects.exists()


@pytest.mark.django_db
def test_the_change_page_previews_the_coming_week(client, admin_a, tenant_a):
    calendar = CalendarFactory(tenant=tenant_a)
    page = client.get(url(BusinessCalendar, "change", calendar.pk)).content.decode()
    assert "calendar-preview" in page
    assert "Europe/Copenhagen" in page
    assert "08:00–16:00" in page or "08:00–15:30" in page


@pytest.mark.django_db
def test_preview_shows_hours_weekends_and_holidays(tenant_a):
    core = CalendarFactory(tenant=tenant_a).core()
    html = render_preview(core, dt.datetime(2026, 3, 30, 7, 0, tzinfo=dt.UTC))  # Mon 09:00
    assert "Open now." in html
    assert "Mon 30 Mar 2026</th><td>08:00–16:00" in html
    assert "Thu 2 Apr 2026</th><td>closed (Maundy Thursday)" in html
    assert "Sat 4 Apr 2026</th><td>closed (weekend)" in html
    assert "Mon 6 Apr 2026: Easter Monday" in html


def test_preview_reads_24_00_for_a_midnight_close():
    from sla import calendar as core

    always = core.cached_calendar(
        timezone="Europe/Copenhagen", weekly_hours={d: [("00:00", "24:00")] for d in range(7)}
    )
    html = render_preview(always, dt.datetime(2026, 3, 29, 12, tzinfo=dt.UTC))
    assert "Sun 29 Mar 2026</th><td>00:00–24:00" in html  # the 23-hour spring-forward day


# --- The platform admin ----------------------------------------------------------------------


@pytest.mark.django_db
def test_platform_admin_still_works_for_operators(client, tenant_a, tenant_b):
    operator = User.objects.create_superuser(email="root@platform.example", password="x" * 20)
    rows = [OrganizationFactory(tenant=tenant_a), OrganizationFactory(tenant=tenant_b)]
    client.force_login(operator)
    assert client.get("/admin/").status_code == 200
    listing = client.get("/admin/plans/customerorganization/")
    assert {row.pk for row in listing.context["cl"].result_list} == {row.pk for row in rows}
    by_tenant = client.get("/admin/plans/customerorganization/", {"tenant__id__exact": tenant_b.pk})
    assert [row.pk for row in by_tenant.context["cl"].result_list] == [rows[1].pk]
    for path in (
        "/admin/supportdesk/user/",
        "/admin/supportdesk/user/add/",
        "/admin/supportdesk/tenant/",
        f"/admin/supportdesk/user/{operator.pk}/change/",
        "/admin/sla/businesscalendar/",
    ):
        assert client.get(path).status_code == 200, path


@pytest.mark.django_db
def test_tenant_admins_do_not_get_the_platform_admin(client, admin_a):
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
