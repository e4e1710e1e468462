"""Penalty credits (issue 7.4): ProMark Premium compensates breached response times.

The ProMark pack has no prices, so tests give the Premium plan a monthly price with a
`PlanPrice` row. Cases are filed with `tickets.services.case_file`; the breach is set on the
clock directly (the sweep that records breaches is not billing's). Time is frozen on Tuesday
10 March 2026, 10:00 in Copenhagen.
"""

import datetime as dt
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from billing.models import CreditStatus, PenaltyCredit
from billing.services import penalty_credit_amount_set, penalty_credit_for_breach
from plans.models import CaseType, Plan, PlanPrice, SeverityLevel
from plans.policy import policy_pack_load
from sla.models import ClockState
from supportdesk.models import Role
from tests.factories import PASSWORD, UserFactory
from tests.factories_billing import credit_in
from tests.plans.conftest import read_pack
from tests.tickets.conftest import contact_in, subscribed
from tickets.cases.services import case_file

NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
MARCH = dt.date(2026, 3, 1)


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def promark(db):
    tenant = policy_pack_load(document=read_pack("promark")).tenant
    premium = subscribed(tenant, "premium", name="Premium Kunde A/S")
    other = subscribed(tenant, "premium", name="Anden Premium A/S")
    standard = subscribed(tenant, "standard", name="Standard Kunde A/S")
    return {
        "tenant": tenant,
        "premium": premium,
        "other": other,
        "standard": standard,
        "plan": Plan.objects.for_tenant(tenant).get(key="premium"),
        "contact": contact_in(premium),
        "other_contact": contact_in(other),
        "standard_contact": contact_in(standard),
        "agent": UserFactory(tenant=tenant, role=Role.AGENT),
        "manager": UserFactory(tenant=tenant, role=Role.ACCOUNT_MANAGER),
        "admin": UserFactory(tenant=tenant, role=Role.TENANT_ADMIN),
    }


def monthly_price(plan, amount, segment=PlanPrice.Segment.ALL):
    return PlanPrice.objects.create(
        tenant=plan.tenant, plan=plan, segment=segment, amount=Decimal(amount), per="month"
    )


def set_rule(plan, **changes):
    plan.penalty = {**plan.penalty, **changes}
    plan.save(update_fields=["penalty"])


def breached(contact, *, severity="1", metric="response", breach_at=None):
    """A case filed by `contact` whose `metric` clock the sweep would have marked breached."""
    organization = contact.organization
    case = case_file(
        actor=contact.user,
        organization=organization,
        requester=contact.user,
        severity=SeverityLevel.objects.for_tenant(organization.tenant).get(key=severity),
        case_type=CaseType.objects.for_tenant(organization.tenant).get(key="incident"),
        subject="Invoices do not print",
        description="The print button does nothing.",
    )
    clock = case.clocks.get(metric=metric)
    clock.state = ClockState.BREACHED
    clock.breach_at = breach_at or NOW + dt.timedelta(hours=2)
    clock.save()
    return clock


# --- Amounts ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_share_of_monthly_fee_is_a_ledger_entry_linked_to_case_clock_and_subscription(promark):
    monthly_price(promark["plan"], "10000.00")
    clock = breached(promark["contact"])

    credit = penalty_credit_for_breach(clock=clock)

    assert credit.status == CreditStatus.OPEN
    assert credit.amount == Decimal("500.00")  # 5 % of 10,000
    assert credit.currency == "DKK"
    assert credit.month == MARCH
    assert credit.case == clock.case and credit.clock == clock
    assert credit.organization == promark["premium"]
    assert credit.subscription.plan == promark["plan"]
    assert (credit.metric, credit.severity) == ("response", "1")
    assert credit.rule["amount"] == {"kind": "share_of_monthly_fee", "percent": 5}
    assert credit.is_placeholder  # the pack's rule is a documented default
    assert credit.invoiced_at is None


@pytest.mark.django_db
def test_fixed_amount(promark):
    set_rule(
        promark["plan"], amount={"kind": "fixed", "value": "250.00"}, cap_per_customer_month=None
    )
    credit = penalty_credit_for_breach(clock=breached(promark["contact"], severity="3"))
    assert credit.amount == Decimal("250.00") and credit.status == CreditStatus.OPEN


@pytest.mark.django_db
def test_share_rounds_half_up_to_cents(promark):
    monthly_price(promark["plan"], "333.30")  # 5 % = 16.665
    credit = penalty_credit_for_breach(clock=breached(promark["contact"]))
    assert credit.amount == Decimal("16.67")


@pytest.mark.django_db
def test_licence_customers_pay_their_segment_price(promark):
    plan = promark["plan"]
    monthly_price(plan, "10000.00", PlanPrice.Segment.ALL)
    monthly_price(plan, "4000.00", PlanPrice.Segment.LICENSE)
    promark["premium"].is_license_customer = True
    promark["premium"].save()
    credit = penalty_credit_for_breach(clock=breached(promark["contact"]))
    assert credit.amount == Decimal("200.00")


@pytest.mark.django_db
def test_currency_comes_from_the_plan(promark):
    plan = promark["plan"]
    plan.currency = "EUR"
    plan.save()
    monthly_price(plan, "1000.00")
    assert penalty_credit_for_breach(clock=breached(promark["contact"])).currency == "EUR"


# --- Cap per customer and month ---------------------------------------------------------------


@pytest.mark.django_db
def test_cap_reduces_the_crossing_credit_records_zero_at_the_cap_and_resets_next_month(promark):
    monthly_price(promark["plan"], "10000.00")  # cap: 20 % = 2,000.00
    set_rule(promark["plan"], amount={"kind": "fixed", "value": "800.00"})
    contact = promark["contact"]

    amounts = [penalty_credit_for_breach(clock=breached(contact)) for _ in range(4)]

    assert [c.amount for c in amounts] == [
        Decimal(x) for x in ("800.00", "800.00", "400.00", "0.00")
    ]
    assert "cap" in amounts[2].reason.lower()
    assert amounts[3].reason == "cap reached" and amounts[3].status == CreditStatus.OPEN
    # Another customer's cap is its own.
    other = penalty_credit_for_breach(clock=breached(promark["other_contact"]))
    assert other.amount == Decimal("800.00")
    # April is a fresh month.
    april = penalty_credit_for_breach(
        clock=breached(contact, breach_at=dt.datetime(2026, 3, 31, 22, 30, tzinfo=dt.UTC))
    )
    assert april.month == dt.date(2026, 4, 1)  # 00:30 on 1 April in Copenhagen
    assert april.amount == Decimal("800.00")


@pytest.mark.django_db
def test_void_credits_do_not_use_the_cap(promark):
    monthly_price(promark["plan"], "10000.00")
    set_rule(promark["plan"], amount={"kind": "fixed", "value": "2000.00"})
    first = penalty_credit_for_breach(clock=breached(promark["contact"]))
    first.status = CreditStatus.VOID
    first.save()
    assert penalty_credit_for_breach(clock=breached(promark["contact"])).amount == Decimal(
        "2000.00"
    )


# --- Exactly once, and only where granted -----------------------------------------------------


@pytest.mark.django_db
def test_a_clock_earns_one_credit_however_often_asked(promark):
    monthly_price(promark["plan"], "10000.00")
    clock = breached(promark["contact"])
    first = penalty_credit_for_breach(clock=clock)
    second = penalty_credit_for_breach(clock=clock)
    assert first.pk == second.pk
    assert PenaltyCredit.objects.for_tenant(promark["tenant"]).count() == 1


@pytest.mark.django_db
def test_the_database_refuses_a_second_credit_for_a_clock(promark):
    from django.db import IntegrityError, transaction

    monthly_price(promark["plan"], "10000.00")
    credit = penalty_credit_for_breach(clock=breached(promark["contact"]))
    with pytest.raises(IntegrityError), transaction.atomic():
        PenaltyCredit.objects.create(
            **{
                f.attname: getattr(credit, f.attname)
                for f in PenaltyCredit._meta.concrete_fields
                if f.name != "id"
            }
        )


@pytest.mark.django_db
def test_standard_plan_grants_no_credit(promark):
    monthly_price(Plan.objects.for_tenant(promark["tenant"]).get(key="standard"), "5000.00")
    assert penalty_credit_for_breach(clock=breached(promark["standard_contact"])) is None


@pytest.mark.django_db
def test_uncovered_metric_severity_or_unbreached_clock_gives_none(promark):
    monthly_price(promark["plan"], "10000.00")
    contact = promark["contact"]
    assert penalty_credit_for_breach(clock=breached(contact, metric="solution_started")) is None
    set_rule(promark["plan"], severities=["1"])
    assert penalty_credit_for_breach(clock=breached(contact, severity="2")) is None
    clock = breached(contact)
    clock.state = ClockState.RUNNING
    clock.save()
    assert penalty_credit_for_breach(clock=clock) is None
    assert not PenaltyCredit.objects.for_tenant(promark["tenant"]).exists()


@pytest.mark.django_db
def test_without_a_price_the_credit_waits_for_the_account_manager(promark):
    clock = breached(promark["contact"])  # the pack has no prices

    credit = penalty_credit_for_breach(clock=clock)

    assert credit.status == CreditStatus.NEEDS_AMOUNT
    assert credit.amount is None
    assert "no monthly price" in credit.reason
    assert penalty_credit_for_breach(clock=clock).pk == credit.pk

    penalty_credit_amount_set(credit=credit, actor=promark["manager"], amount=Decimal("750"))
    credit.refresh_from_db()
    assert (credit.status, credit.amount) == (CreditStatus.OPEN, Decimal("750.00"))


@pytest.mark.django_db
def test_agents_cannot_set_amounts(promark):
    from django.core.exceptions import PermissionDenied

    credit = penalty_credit_for_breach(clock=breached(promark["contact"]))
    with pytest.raises(PermissionDenied):
        penalty_credit_amount_set(credit=credit, actor=promark["agent"], amount=Decimal("1"))


# --- Who sees what ----------------------------------------------------------------------------


@pytest.fixture
def credits(promark, tenant_b):
    monthly_price(promark["plan"], "10000.00")
    return {
        "own": penalty_credit_for_breach(clock=breached(promark["contact"])),
        "other": penalty_credit_for_breach(clock=breached(promark["other_contact"])),
        "foreign": credit_in(tenant_b),
    }


def api_as(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def ids(response):
    assert response.status_code == 200, response.data
    rows = response.data["results"] if isinstance(response.data, dict) else response.data
    return {row["id"] for row in rows}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["agent", "manager", "admin"])
def test_staff_read_the_tenants_credits_not_another_tenants(promark, credits, role):
    api = api_as(promark[role])
    assert ids(api.get("/api/v1/credits/")) == {credits["own"].pk, credits["other"].pk}
    assert api.get(f"/api/v1/credits/{credits['foreign'].pk}/").status_code == 404
    row = api.get(f"/api/v1/credits/{credits['own'].pk}/").data
    assert row["amount"] == "500.00" and row["currency"] == "DKK" and row["month"] == "2026-03"
    assert row["case_number"] == credits["own"].case.number


@pytest.mark.django_db
def test_api_filters_by_customer_and_month(promark, credits):
    api = api_as(promark["manager"])
    assert ids(api.get(f"/api/v1/credits/?organization={promark['premium'].pk}")) == {
        credits["own"].pk
    }
    assert ids(api.get("/api/v1/credits/?month=2026-03")) == {
        credits["own"].pk,
        credits["other"].pk,
    }
    assert ids(api.get("/api/v1/credits/?month=2026-04")) == set()
    assert api.get("/api/v1/credits/?month=March").status_code == 400


@pytest.mark.django_db
def test_api_is_read_only(promark, credits):
    api = api_as(promark["admin"])
    assert api.post("/api/v1/credits/", {}, format="json").status_code == 405
    assert api.delete(f"/api/v1/credits/{credits['own'].pk}/").status_code == 405


@pytest.mark.django_db
def test_a_contact_sees_only_its_organisations_credits(promark, credits):
    api = api_as(promark["contact"].user)
    assert ids(api.get("/api/v1/credits/")) == {credits["own"].pk}
    assert api.get(f"/api/v1/credits/{credits['other'].pk}/").status_code == 404
    assert ids(api_as(promark["standard_contact"].user).get("/api/v1/credits/")) == set()


def login(client, user):
    assert client.login(email=user.email, password=PASSWORD)
    return client


@pytest.mark.django_db
def test_account_manager_page_lists_per_customer_and_month_with_totals(client, promark, credits):
    page = login(client, promark["manager"]).get("/billing/credits/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Premium Kunde A/S" in body and "Anden Premium A/S" in body
    assert "1000.00 DKK" in body  # the tenant's total
    assert credits["foreign"].organization.name not in body
    filtered = client.get(f"/billing/credits/?customer={promark['premium'].pk}&month=2026-03")
    assert "Anden Premium A/S</h2>" not in filtered.content.decode()


@pytest.mark.django_db
def test_account_manager_sets_a_missing_amount_on_the_page(client, promark):
    credit = penalty_credit_for_breach(clock=breached(promark["contact"]))
    login(client, promark["manager"])
    assert "Set amount" in client.get("/billing/credits/").content.decode()
    client.post(f"/billing/credits/{credit.pk}/amount/", {"amount": "612,50"})
    credit.refresh_from_db()
    assert (credit.status, credit.amount) == (CreditStatus.OPEN, Decimal("612.50"))


@pytest.mark.django_db
def test_customer_page_shows_own_credits_only(client, promark, credits):
    page = login(client, promark["contact"].user).get("/billing/my-credits/")
    assert page.status_code == 200
    body = page.content.decode()
    assert credits["own"].case.number in body
    assert credits["other"].case.number not in body


@pytest.mark.django_db
def test_pages_are_404_for_the_wrong_role(client, promark, credits):
    login(client, promark["contact"].user)
    assert client.get("/billing/credits/").status_code == 404
    client.logout()
    login(client, promark["agent"])
    assert client.get("/billing/credits/").status_code == 404
    assert client.get("/billing/my-credits/").status_code == 404


@pytest.mark.django_db
def test_breaches_fired_by_the_sweep_are_credited_once(promark):
    """The beat step after the sweep: each breach alert gets its credit, retries add none."""
    from billing.tasks import credit_breaches
    from sla.models import SlaAlert

    monthly_price(promark["plan"], "10000.00")
    clock = breached(promark["contact"], breach_at=NOW - dt.timedelta(hours=1))
    SlaAlert.objects.create(tenant=clock.tenant, clock=clock, kind="breach", fired_at=NOW)
    assert credit_breaches() == 1
    assert credit_breaches() == 0
    assert PenaltyCredit.objects.filter(clock=clock).count() == 1


# --- Following up breaches in batches ---------------------------------------------------------


def alert_for(clock):
    from sla.models import SlaAlert

    return SlaAlert.objects.create(tenant=clock.tenant, clock=clock, kind="breach", fired_at=NOW)


@pytest.mark.django_db
def test_one_batch_prices_a_customers_breaches_in_order_up_to_the_cap(promark):
    from billing.services import penalty_credits_for_alerts

    monthly_price(promark["plan"], "10000.00")  # 5 % = 500 a breach, cap 20 % = 2,000
    contact = promark["contact"]
    clocks = [breached(contact, breach_at=NOW + dt.timedelta(minutes=m)) for m in range(6)]
    alerts = [alert_for(clock) for clock in reversed(clocks)]  # alert order is not breach order

    assert penalty_credits_for_alerts(alert_ids=[a.pk for a in alerts], at=NOW) == 6

    by_breach = [PenaltyCredit.objects.get(clock=clock) for clock in clocks]
    assert [c.amount for c in by_breach] == [Decimal(x) for x in ("500.00",) * 4 + ("0.00",) * 2]
    assert [c.reason for c in by_breach[4:]] == ["cap reached", "cap reached"]


@pytest.mark.django_db
def test_every_breach_is_followed_up_once_whether_it_earns_a_credit_or_not(promark):
    from billing.services import penalty_credits_for_alerts, penalty_credits_for_recent_breaches

    monthly_price(promark["plan"], "10000.00")
    earns = alert_for(breached(promark["contact"]))
    standard = alert_for(breached(promark["standard_contact"]))  # Standard: no credits
    uncovered = alert_for(breached(promark["contact"], metric="solution_started"))

    ids = [earns.pk, standard.pk, uncovered.pk]
    assert penalty_credits_for_alerts(alert_ids=ids, at=NOW) == 1
    for alert in (earns, standard, uncovered):
        alert.refresh_from_db()
        assert alert.followed_up_at == NOW
    # Nothing is decided twice: not by a redelivered task, not by the catch-up.
    assert penalty_credits_for_alerts(alert_ids=ids, at=NOW) == 0
    assert penalty_credits_for_recent_breaches(now=NOW) == 0
    assert PenaltyCredit.objects.count() == 1


@pytest.mark.django_db
def test_the_catch_up_follows_up_breaches_whose_task_never_ran_old_ones_too(promark):
    from billing.services import penalty_credits_for_recent_breaches

    monthly_price(promark["plan"], "10000.00")
    old = alert_for(breached(promark["contact"]))
    old.fired_at = NOW - dt.timedelta(days=9)  # e.g. Redis was down for a long weekend
    old.save()
    assert penalty_credits_for_recent_breaches(now=NOW) == 1
    old.refresh_from_db()
    assert old.followed_up_at == NOW


@pytest.mark.django_db
def test_crediting_many_breaches_costs_the_same_queries_as_a_few(promark):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from billing.services import penalty_credits_for_alerts

    monthly_price(promark["plan"], "10000.00")

    def queries(contacts):
        alerts = [alert_for(breached(contact)) for contact in contacts]
        with CaptureQueriesContext(connection) as captured:
            penalty_credits_for_alerts(alert_ids=[a.pk for a in alerts], at=NOW)
        return len(captured)

    few = queries([promark["contact"], promark["other_contact"]])
    many = queries([promark["contact"], promark["other_contact"], promark["standard_contact"]] * 5)
    assert few == many <= 15
