"""Plans, severities, subscriptions, policy and contracts over `/api/v1/`, tenant-scoped."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from plans.models import Plan
from plans.services import subscription_create
from supportdesk.models import Role
from tests.factories import ContactFactory, OrganizationFactory, UserFactory


@pytest.fixture
def api():
    return APIClient()


@pytest.mark.django_db
def test_staff_read_plans_with_prices_entitlements_and_targets(api, load_pack):
    tenant = load_pack("synerity")
    load_pack("promark")
    api.force_authenticate(UserFactory(tenant=tenant, role=Role.AGENT))
    plans = {p["key"]: p for p in api.get("/api/v1/plans/").json()["results"]}
    assert set(plans) == {"free", "silver", "gold"}  # nothing of ProMark
    gold = plans["gold"]
    assert {"segment": "other_customers", "amount": "15000.00", "per": "month"} in gold["prices"]
    assert {"key": "monthly_support_reports", "mode": "included"} in gold["entitlements"]
    assert {t["severity"] for t in gold["targets"]} == {"urgent", "normal"}
    assert gold["currency"] == "SEK"


@pytest.mark.django_db
def test_contacts_may_not_list_plans_but_read_severities(api, load_pack):
    tenant = load_pack("mobilise")
    contact = ContactFactory(organization=OrganizationFactory(tenant=tenant))
    api.force_authenticate(contact.user)
    assert api.get("/api/v1/plans/").status_code == 403
    keys = [s["key"] for s in api.get("/api/v1/severities/").json()["results"]]
    assert keys == ["A", "B", "C"]


@pytest.mark.django_db
def test_policy_shows_filing_rules_and_survey(api, load_pack):
    tenant = load_pack("vivant")
    api.force_authenticate(UserFactory(tenant=tenant))
    (policy,) = api.get("/api/v1/policy/").json()
    assert policy["survey_scale_min"] == 1 and policy["survey_scale_max"] == 5
    assert 2 <= len(policy["survey_questions"]) <= 3
    assert "awaiting_customer" in policy["pause_statuses"]


@pytest.mark.django_db
def test_contract_endpoint_resolves_targets_for_a_customer(api, load_pack):
    tenant = load_pack("promark")
    organization = OrganizationFactory(tenant=tenant)
    subscription_create(
        organization=organization,
        plan=Plan.objects.get(tenant=tenant, key="premium"),
        starts_on=dt.date(2025, 1, 1),
    )
    contact = ContactFactory(organization=organization)
    api.force_authenticate(contact.user)
    response = api.get(
        f"/api/v1/organizations/{organization.pk}/contract/", {"at": "2026-06-01T10:00:00Z"}
    )
    assert response.status_code == 200, response.data
    contract = response.json()
    assert contract["plan"] == "premium"
    assert contract["entitlements"]["escalation_right"] == "included"
    critical = {t["metric"]: t for t in contract["targets"]["1"]}
    assert critical["response"]["business_seconds"] == 3600
    assert critical["resolution"]["commitment"] == "case_by_case"
    bad = api.get(f"/api/v1/organizations/{organization.pk}/contract/", {"at": "yesterday"})
    assert bad.status_code == 400 and "at" in bad.json()


@pytest.mark.django_db
def test_tenant_admin_subscribes_a_customer_and_overlaps_answer_400(api, load_pack):
    tenant = load_pack("synerity")
    other = load_pack("promark")
    organization = OrganizationFactory(tenant=tenant)
    api.force_authenticate(UserFactory(tenant=tenant, role=Role.TENANT_ADMIN))
    gold = Plan.objects.get(tenant=tenant, key="gold")
    created = api.post(
        "/api/v1/subscriptions/",
        {"organization": organization.pk, "plan": gold.pk, "starts_on": "2026-01-01"},
    )
    assert created.status_code == 201, created.data
    overlap = api.post(
        "/api/v1/subscriptions/",
        {"organization": organization.pk, "plan": gold.pk, "starts_on": "2026-03-01"},
    )
    assert overlap.status_code == 400 and "starts_on" in overlap.json()
    foreign_plan = Plan.objects.get(tenant=other, key="premium")
    foreign = api.post(
        "/api/v1/subscriptions/",
        {"organization": organization.pk, "plan": foreign_plan.pk, "starts_on": "2030-01-01"},
    )
    assert foreign.status_code == 400 and "plan" in foreign.json()


@pytest.mark.django_db
def test_other_tenants_plans_and_subscriptions_answer_404(api, load_pack):
    tenant = load_pack("synerity")
    other = load_pack("promark")
    organization = OrganizationFactory(tenant=other)
    subscription = subscription_create(
        organization=organization,
        plan=Plan.objects.get(tenant=other, key="premium"),
        starts_on=dt.date(2025, 1, 1),
    )
    api.force_authenticate(UserFactory(tenant=tenant, role=Role.TENANT_ADMIN))
    premium = Plan.objects.get(tenant=other, key="premium")
    assert api.get(f"/api/v1/plans/{premium.pk}/").status_code == 404
    assert api.get(f"/api/v1/subscriptions/{subscription.pk}/").status_code == 404
    assert api.get(f"/api/v1/organizations/{organization.pk}/contract/").status_code == 404
    severity = other.pk and premium.targets.first().severity
    assert api.get(f"/api/v1/severities/{severity.pk}/").status_code == 404
