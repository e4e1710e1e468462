"""`sla_targets_for` and `entitlements_for`: plan, agreed overrides and hypercare, per pack."""

import datetime as dt
from decimal import Decimal

import pytest

from plans.models import AddOn, Plan, SeverityLevel
from plans.selectors import entitlements_for, sla_targets_for
from plans.services import (
    hypercare_window_create,
    subscription_addon_add,
    subscription_create,
    target_override_set,
)
from tests.factories import CalendarFactory, OrganizationFactory

UTC = dt.UTC


def customer_on(tenant, plan_key, starts_on=dt.date(2025, 1, 1), ends_on=None):
    organization = OrganizationFactory(tenant=tenant)
    plan = Plan.objects.get(tenant=tenant, key=plan_key)
    subscription_create(organization=organization, plan=plan, starts_on=starts_on, ends_on=ends_on)
    return organization


def severity(tenant, key):
    return SeverityLevel.objects.get(tenant=tenant, key=key)


@pytest.mark.django_db
def test_promark_premium_critical_response_is_one_working_hour_across_dst(load_pack):
    tenant = load_pack("promark")
    customer = customer_on(tenant, "premium")
    # Friday 27 March 2026, 15:00 in Copenhagen (CET) = 14:00Z.
    filed = dt.datetime(2026, 3, 27, 14, 0, tzinfo=UTC)
    targets = sla_targets_for(customer=customer, severity=severity(tenant, "1"), at=filed)
    response = targets["response"]
    assert response.duration == dt.timedelta(hours=1)
    assert response.source == "plan Premium"
    # 30 minutes left on Friday (closes 15:30); the clocks go forward on Sunday 29 March;
    # Monday opens 08:00 CEST = 06:00Z, so due 08:30 CEST = 06:30Z.
    assert response.calendar.add(filed, response.duration) == dt.datetime(
        2026, 3, 30, 6, 30, tzinfo=UTC
    )
    assert targets["resolution"].commitment == "case_by_case"
    assert targets["resolution"].duration is None
    assert not targets["resolution"].is_measured


@pytest.mark.django_db
def test_working_days_convert_through_the_calendars_working_day(load_pack):
    tenant = load_pack("promark")
    customer = customer_on(tenant, "premium")
    at = dt.datetime(2026, 5, 4, 8, tzinfo=UTC)
    response = sla_targets_for(customer=customer, severity=severity(tenant, "3"), at=at)["response"]
    assert response.unit == "working_days"
    assert response.duration == dt.timedelta(hours=8)


@pytest.mark.django_db
def test_mobilise_a_is_one_business_day_skipping_ascension_day(load_pack):
    tenant = load_pack("mobilise")
    customer = customer_on(tenant, "standard")
    # Wednesday 13 May 2026, 15:00 in Oslo (CEST) = 13:00Z; Thursday 14 May is Ascension Day.
    filed = dt.datetime(2026, 5, 13, 13, 0, tzinfo=UTC)
    response = sla_targets_for(customer=customer, severity=severity(tenant, "A"), at=filed)[
        "response"
    ]
    assert response.duration == dt.timedelta(hours=7)  # 09:00-16:00
    due = response.calendar.add(filed, response.duration)
    assert due == dt.datetime(2026, 5, 15, 13, 0, tzinfo=UTC)  # Friday 15:00 CEST
    skipped = [s.label for s in response.calendar.explain(filed, due).skipped]
    assert any("Ascension" in label or "Kristi" in label for label in skipped), skipped


@pytest.mark.django_db
def test_synerity_free_plan_has_no_targets_and_no_subscription_means_none(load_pack):
    tenant = load_pack("synerity")
    at = dt.datetime(2026, 6, 1, 10, tzinfo=UTC)
    free = customer_on(tenant, "free")
    assert sla_targets_for(customer=free, severity=severity(tenant, "urgent"), at=at) == {}
    unsubscribed = OrganizationFactory(tenant=tenant)
    assert sla_targets_for(customer=unsubscribed, severity=severity(tenant, "urgent"), at=at) == {}
    ended = customer_on(tenant, "gold", ends_on=dt.date(2026, 5, 31))
    assert sla_targets_for(customer=ended, severity=severity(tenant, "urgent"), at=at) == {}
    gold = customer_on(tenant, "gold")
    response = sla_targets_for(customer=gold, severity=severity(tenant, "urgent"), at=at)
    assert response["response"].duration == dt.timedelta(hours=2)
    assert response["response"].calendar_key == "support"


@pytest.mark.django_db
def test_hypercare_applies_another_plans_targets_only_inside_its_window(load_pack):
    tenant = load_pack("promark")
    customer = customer_on(tenant, "standard")
    start = dt.datetime(2026, 9, 1, 6, tzinfo=UTC)
    hypercare_window_create(
        organization=customer,
        starts_at=start,
        ends_at=start + dt.timedelta(days=30),
        plan=Plan.objects.get(tenant=tenant, key="premium"),
    )
    critical = severity(tenant, "1")
    inside = sla_targets_for(customer=customer, severity=critical, at=start + dt.timedelta(days=1))
    assert inside["response"].duration == dt.timedelta(hours=1)
    assert inside["response"].source == "hypercare (plan Premium)"
    before = sla_targets_for(customer=customer, severity=critical, at=start - dt.timedelta(hours=1))
    assert before["response"].duration == dt.timedelta(hours=2)
    after = sla_targets_for(customer=customer, severity=critical, at=start + dt.timedelta(days=30))
    assert after["response"].duration == dt.timedelta(hours=2)


@pytest.mark.django_db
def test_order_is_plan_then_agreed_overrides_then_hypercare_targets(load_pack):
    tenant = load_pack("promark")
    customer = customer_on(tenant, "standard")
    critical = severity(tenant, "1")
    at = dt.datetime(2026, 9, 2, 8, tzinfo=UTC)
    target_override_set(
        organization=customer,
        severity=critical,
        metric="response",
        value=Decimal("3"),
        unit="working_hours",
        calendar_key="business",
    )
    agreed = sla_targets_for(customer=customer, severity=critical, at=at)
    assert agreed["response"].duration == dt.timedelta(hours=3)
    assert agreed["response"].source == "agreed with customer"
    assert agreed["solution_started"].source == "plan Standard"  # other metrics untouched

    window = hypercare_window_create(
        organization=customer,
        starts_at=at - dt.timedelta(days=1),
        ends_at=at + dt.timedelta(days=1),
    )
    target_override_set(
        organization=customer,
        severity=critical,
        metric="response",
        value=Decimal("30"),
        unit="calendar_hours",
        hypercare=window,
    )
    hyper = sla_targets_for(customer=customer, severity=critical, at=at)["response"]
    assert hyper.source == "hypercare"
    assert hyper.duration == dt.timedelta(hours=30)
    # Calendar hours run around the clock in the tenant's zone.
    assert hyper.calendar.add(at, hyper.duration) == at + dt.timedelta(hours=30)


@pytest.mark.django_db
def test_the_customers_own_calendar_wins_over_the_tenants(load_pack):
    tenant = load_pack("promark")
    customer = customer_on(tenant, "premium")
    CalendarFactory(
        tenant=tenant,
        organization=customer,
        key="business",
        weekly_hours={
            day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        },
        holiday_country="",
        holiday_categories=[],
    )
    saturday = dt.datetime(2026, 6, 6, 10, tzinfo=UTC)
    response = sla_targets_for(customer=customer, severity=severity(tenant, "1"), at=saturday)[
        "response"
    ]
    assert response.calendar.add(saturday, response.duration) == saturday + dt.timedelta(hours=1)
    other = customer_on(tenant, "premium")
    tenant_wide = sla_targets_for(customer=other, severity=severity(tenant, "1"), at=saturday)
    assert tenant_wide["response"].calendar.add(
        saturday, dt.timedelta(hours=1)
    ) > saturday + dt.timedelta(days=1)


@pytest.mark.django_db
def test_severity_of_another_tenant_is_refused(load_pack):
    promark = load_pack("promark")
    mobilise = load_pack("mobilise")
    customer = customer_on(promark, "premium")
    with pytest.raises(ValueError, match="another tenant"):
        sla_targets_for(
            customer=customer, severity=severity(mobilise, "A"), at=dt.datetime.now(UTC)
        )


@pytest.mark.django_db
def test_entitlements_follow_the_plan(load_pack):
    tenant = load_pack("promark")
    at = dt.datetime(2026, 6, 1, tzinfo=UTC)
    premium = entitlements_for(customer=customer_on(tenant, "premium"), at=at)
    standard = entitlements_for(customer=customer_on(tenant, "standard"), at=at)
    for key in ("escalation_right", "penalty_credits", "task_force", "service_delivery_manager"):
        assert premium.included(key), key
        assert not standard.has(key), key
    assert standard.mode("status_meetings") == "billable"
    assert premium.mode("status_meetings") == "included"
    nobody = entitlements_for(customer=OrganizationFactory(tenant=tenant), at=at)
    assert nobody.plan is None and not nobody.has("case_reporting")


@pytest.mark.django_db
def test_synerity_monthly_reports_from_silver_up(load_pack):
    tenant = load_pack("synerity")
    at = dt.datetime(2026, 6, 1, tzinfo=UTC)
    assert not entitlements_for(customer=customer_on(tenant, "free"), at=at).has(
        "monthly_support_reports"
    )
    for plan in ("silver", "gold"):
        assert entitlements_for(customer=customer_on(tenant, plan), at=at).included(
            "monthly_support_reports"
        )
        assert entitlements_for(customer=customer_on(tenant, plan), at=at).has(
            "platform_vendor_escalation"
        )


@pytest.mark.django_db
def test_mobilise_phone_support_comes_from_the_add_on(load_pack):
    tenant = load_pack("mobilise")
    at = dt.datetime(2026, 6, 1, tzinfo=UTC)
    customer = customer_on(tenant, "standard")
    assert not entitlements_for(customer=customer, at=at).has("phone_support")
    subscription = customer.subscriptions.get()
    subscription_addon_add(
        subscription=subscription,
        addon=AddOn.objects.get(tenant=tenant, key="phone_support"),
        starts_on=dt.date(2026, 5, 1),
        quantity=2,
    )
    assert entitlements_for(customer=customer, at=at).included("phone_support")
    before = dt.datetime(2026, 4, 1, tzinfo=UTC)
    assert not entitlements_for(customer=customer, at=before).has("phone_support")


@pytest.mark.django_db
def test_entitlements_of_many_customers_are_read_in_three_queries_with_the_same_answers(
    load_pack, django_assert_num_queries
):
    """The SLA sweep and billing ask for a hundred customers at once."""
    from plans.models import Plan
    from plans.selectors import entitlements_many
    from plans.services import subscription_create

    promark, mobilise = load_pack("promark"), load_pack("mobilise")
    june, april = dt.datetime(2026, 6, 1, tzinfo=UTC), dt.datetime(2026, 4, 1, tzinfo=UTC)
    with_phone = customer_on(mobilise, "standard")
    subscription_addon_add(
        subscription=with_phone.subscriptions.get(),
        addon=AddOn.objects.get(tenant=mobilise, key="phone_support"),
        starts_on=dt.date(2026, 5, 1),
        quantity=1,
    )
    moved = customer_on(promark, "standard", starts_on=dt.date(2025, 1, 1))
    moved.subscriptions.update(ends_on=dt.date(2026, 4, 30))
    subscription_create(
        organization=moved,
        plan=Plan.objects.get(tenant=promark, key="premium"),
        starts_on=dt.date(2026, 5, 1),
    )
    wanted = [
        (customer_on(promark, "premium"), june),
        (with_phone, june),
        (with_phone, april),
        (moved, april),
        (moved, june),
        (OrganizationFactory(tenant=promark), june),
    ]
    for customer, _at in wanted:
        customer.refresh_from_db()  # tenants not loaded: one query for all of them
    with django_assert_num_queries(4):
        many = entitlements_many(wanted=wanted)
    for customer, at in wanted:
        one = entitlements_for(customer=customer, at=at)
        key = (customer.pk, at.date())
        assert many[key].modes == one.modes and many[key].plan == one.plan, customer
    assert many[(moved.pk, april.date())].plan.key == "standard"
    assert many[(moved.pk, june.date())].plan.key == "premium"
    assert many[(with_phone.pk, june.date())].included("phone_support")
    assert not many[(with_phone.pk, april.date())].has("phone_support")


@pytest.mark.django_db
def test_overlapping_subscriptions_are_refused(load_pack):
    from django.core.exceptions import ValidationError

    tenant = load_pack("synerity")
    customer = customer_on(tenant, "silver", starts_on=dt.date(2026, 1, 1))
    with pytest.raises(ValidationError, match="already has a subscription"):
        subscription_create(
            organization=customer,
            plan=Plan.objects.get(tenant=tenant, key="gold"),
            starts_on=dt.date(2026, 6, 1),
        )


@pytest.mark.django_db
def test_vivant_agrees_hours_and_reaction_times_per_customer(load_pack):
    tenant = load_pack("vivant")
    customer = customer_on(tenant, "fixed_price")
    outage = severity(tenant, "outage")
    # Monday 7 September 2026, 06:30 in Copenhagen (CEST) = 04:30Z: before the default 08:00.
    filed = dt.datetime(2026, 9, 7, 4, 30, tzinfo=UTC)
    default = sla_targets_for(customer=customer, severity=outage, at=filed)["response"]
    assert default.duration == dt.timedelta(hours=1)
    assert default.calendar.add(filed, default.duration) == dt.datetime(2026, 9, 7, 7, tzinfo=UTC)

    CalendarFactory(
        tenant=tenant,
        organization=customer,
        key="opening_hours_default",
        weekly_hours={d: [["06:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    )
    target_override_set(
        organization=customer,
        severity=outage,
        metric="response",
        value=Decimal("0.5"),
        unit="working_hours",
        calendar_key="opening_hours_default",
    )
    agreed = sla_targets_for(customer=customer, severity=outage, at=filed)["response"]
    assert agreed.duration == dt.timedelta(minutes=30)
    assert agreed.calendar.add(filed, agreed.duration) == dt.datetime(2026, 9, 7, 5, tzinfo=UTC)


@pytest.mark.django_db
def test_pector_gold_is_an_agreement_without_response_targets(load_pack):
    tenant = load_pack("pector")
    customer = customer_on(tenant, "gold")
    at = dt.datetime(2026, 6, 1, 10, tzinfo=UTC)
    assert sla_targets_for(customer=customer, severity=severity(tenant, "normal"), at=at) == {}
    rights = entitlements_for(customer=customer, at=at)
    assert rights.included("hour_bank") and rights.included("monitoring")
