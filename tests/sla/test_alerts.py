"""Firing in batches (`sla.alerts`): claims by case, constant queries, a bad case alone,
cases an agent holds, late answers, warnings once, and billing told after the commit.

ProMark Premium, severity 1 (see conftest): response due 1 working hour after filing,
solution started 2; a breach notifies the assignee, the on-duty agent and the account
manager, escalates (task force) and earns a credit.
"""

import datetime as dt
from decimal import Decimal
from unittest import mock

import psycopg
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import PenaltyCredit
from plans.models import Plan, PlanPrice, SeverityLevel
from sla import alerts as sla_alerts
from sla.alerts import RETRY_FAILED_AFTER, alerts_drain, alerts_fire_due
from sla.models import AlertKind, ClockState, SlaAlert, SlaClock
from sla.sweep import sla_sweep
from tests.sla.conftest import cest, file_case
from tickets.cases.services import case_reclassify, case_reply, case_transition
from tickets.models import CaseEvent, Escalation, EventKind, Notification

BREACH = AlertKind.BREACH


def filed_at_ten(world, count):
    with time_machine.travel(cest(14, 10), tick=False):
        return [file_case(world) for _ in range(count)]


def queries_to_fire(now, **kwargs):
    with CaptureQueriesContext(connection) as captured:
        fired = alerts_fire_due(kind=BREACH, now=now, **kwargs)
    return fired, len(captured)


@pytest.mark.django_db
def test_a_batch_costs_the_same_queries_for_3_cases_as_for_12(promark):
    filed_at_ten(promark, 3)
    few, few_queries = queries_to_fire(cest(14, 12, 1))
    filed_at_ten(promark, 12)
    many, many_queries = queries_to_fire(cest(14, 12, 1))
    # Two clocks each (response, solution started), one escalation each.
    assert (few.alerts, few.cases, many.alerts, many.cases) == (6, 3, 24, 12)
    assert few_queries == many_queries < 40
    assert Escalation.objects.filter(trigger="breach").count() == 15
    assert SlaClock.objects.filter(metric="task_force").count() == 15
    assert Notification.objects.filter(kind="sla_breach").count() == 30 * 3


@pytest.mark.django_db
def test_a_claim_takes_at_most_its_chunk_and_the_drain_takes_the_rest(promark):
    filed_at_ten(promark, 5)
    first = alerts_fire_due(kind=BREACH, now=cest(14, 12, 1), limit=2)
    assert (first.alerts, first.cases) == (4, 2)
    rest = alerts_drain(kind=BREACH, now=cest(14, 12, 1), limit=2)
    assert (rest.alerts, rest.cases) == (6, 3)
    assert SlaAlert.objects.filter(kind=BREACH).count() == 10


@pytest.mark.django_db
def test_a_case_that_fails_fails_alone_is_shown_and_is_tried_again_later(promark):
    good, bad, also_good = filed_at_ten(promark, 3)
    real = sla_alerts._event_body

    def broken(clock, kind, tenant):
        if clock.case_id == bad.pk:
            raise ValueError("a pack rule this code does not know")
        return real(clock, kind, tenant)

    with mock.patch.object(sla_alerts, "_event_body", broken):
        fired = alerts_fire_due(kind=BREACH, now=cest(14, 12, 1))
        # Claimed again within the retry delay? No: the failing case sits out.
        again = alerts_fire_due(kind=BREACH, now=cest(14, 12, 2))
    assert (fired.alerts, fired.cases, fired.failed) == (4, 2, 1)
    assert (again.alerts, again.cases) == (0, 0)
    assert SlaAlert.objects.filter(clock__case__in=[good, also_good]).count() == 4
    stuck = bad.clocks.filter(metric__in=["response", "solution_started"])
    assert set(stuck.values_list("state", flat=True)) == {ClockState.RUNNING}
    assert all("a pack rule this code does not know" in c.fire_error for c in stuck)
    assert not SlaAlert.objects.filter(clock__case=bad).exists()

    later = cest(14, 12, 2) + RETRY_FAILED_AFTER
    retried = alerts_fire_due(kind=BREACH, now=later)  # the bug is fixed meanwhile
    assert (retried.alerts, retried.failed) == (2, 0)
    assert set(stuck.values_list("fire_error", flat=True)) == {""}
    assert not stuck.filter(fire_failed_at__isnull=False).exists()


@pytest.mark.django_db
def test_an_answer_after_the_breach_instant_records_the_breach_the_sweep_had_not_fired(
    promark, filed, django_capture_on_commit_callbacks
):
    plan = Plan.objects.get(tenant=promark["tenant"], key="premium")
    PlanPrice.objects.create(
        tenant=plan.tenant, plan=plan, segment="all_customers", amount=Decimal(8000), per="month"
    )
    # Due 11:00; the agent answers ten seconds late, before any sweep ran.
    with (
        time_machine.travel(cest(14, 11, 0, 10), tick=False),
        mock.patch("supportdesk.queueing.enqueue"),  # no e-mail leaves the test
        mock.patch("billing.receivers.enqueue") as queued,
        django_capture_on_commit_callbacks(execute=True),  # innermost: runs under the mocks
    ):
        case_reply(case=filed, actor=promark["agent"], body="On it.", public=True)
    clock = filed.clocks.get(metric="response")
    assert clock.state == ClockState.BREACHED
    alert = SlaAlert.objects.get(clock=clock, kind=BREACH)
    assert alert.fired_at == cest(14, 11, 0, 10)
    told = Notification.objects.filter(dedupe_key=f"sla-breach:{clock.pk}")
    assert set(told.values_list("recipient", flat=True)) == {
        promark[who].pk for who in ("agent", "on_duty", "manager")
    }
    assert Escalation.objects.filter(case=filed, trigger="breach").count() == 1
    # After the commit billing is asked to decide the credit, as for a swept breach.
    credit_calls = [c for c in queued.call_args_list if c.kwargs["args"] == [[alert.pk]]]
    assert len(credit_calls) == 1
    from billing.services import penalty_credits_for_alerts

    assert penalty_credits_for_alerts(alert_ids=[alert.pk], at=cest(14, 11, 1)) == 1
    assert PenaltyCredit.objects.get(clock=clock).amount == Decimal("400.00")
    # The sweep afterwards finds nothing to fire for this clock.
    assert sla_sweep(now=cest(14, 11, 5)).breached == 0


@pytest.mark.django_db
def test_an_answer_in_time_records_no_breach(promark, filed):
    with time_machine.travel(cest(14, 11), tick=False):  # exactly at the due time
        case_reply(case=filed, actor=promark["agent"], body="On it.", public=True)
    assert filed.clocks.get(metric="response").state == ClockState.MET
    assert not SlaAlert.objects.filter(clock__case=filed).exists()


@pytest.mark.django_db
def test_a_clock_is_warned_once_even_when_reclassified_to_a_longer_target(promark, filed):
    assert sla_sweep(now=cest(14, 10, 46)).warned == 1
    response = filed.clocks.get(metric="response")
    assert response.warned_at == cest(14, 10, 46)
    significant = SeverityLevel.objects.get(tenant=promark["tenant"], key="2")
    with time_machine.travel(cest(14, 10, 50), tick=False):
        case_reclassify(
            case=filed, severity=significant, reason="Only one site", actor=promark["agent"]
        )
    response.refresh_from_db()
    # Four working hours now: due 14:00, the new warning instant 13:00 is in the future...
    assert response.due_at == cest(14, 14) and response.warn_at == cest(14, 13)
    # ...but a clock is warned once, ever (one alert per clock and kind).
    assert sla_sweep(now=cest(14, 13, 1)).warned == 0
    assert SlaAlert.objects.filter(clock=response, kind=AlertKind.WARNING).count() == 1


@pytest.mark.django_db
def test_a_warning_written_before_the_clock_knew_it_is_not_repeated(promark, filed):
    """An alert row with no `warned_at` (written before the field existed): the claim
    finds the clock, writes nothing new and marks it, so it is not claimed again."""
    response = filed.clocks.get(metric="response")
    SlaAlert.objects.create(
        tenant=response.tenant, clock=response, kind=AlertKind.WARNING, fired_at=cest(14, 10, 45)
    )
    fired = alerts_fire_due(kind=AlertKind.WARNING, now=cest(14, 10, 50))
    assert (fired.alerts, fired.cases) == (0, 1)
    response.refresh_from_db()
    assert response.warned_at == cest(14, 10, 50)
    assert alerts_fire_due(kind=AlertKind.WARNING, now=cest(14, 10, 51)).cases == 0
    assert not Notification.objects.filter(kind="sla_warning").exists()


@pytest.mark.django_db
def test_committed_breaches_ask_billing_for_their_credits(
    promark, filed, django_capture_on_commit_callbacks
):
    with (
        mock.patch("supportdesk.queueing.enqueue"),  # no e-mail leaves the test
        mock.patch("billing.receivers.enqueue") as queued,
        django_capture_on_commit_callbacks(execute=True),  # innermost: runs under the mocks
    ):
        sla_sweep(now=cest(14, 12, 1))
    breached = list(
        SlaAlert.objects.filter(kind=BREACH).order_by("pk").values_list("pk", flat=True)
    )
    assert len(breached) == 2  # response and solution started, one batch
    assert queued.call_count == 1
    assert queued.call_args.kwargs["args"] == [breached]
    assert queued.call_args.args[0].name == "billing.tasks.credit_breaches_for"


@pytest.mark.django_db
def test_a_rolled_back_batch_asks_billing_for_nothing(promark, filed):
    with (
        mock.patch.object(sla_alerts, "escalations_on_breach", side_effect=RuntimeError("x")),
        mock.patch.object(sla_alerts.breaches_committed, "send") as sent,
    ):
        fired = alerts_fire_due(kind=BREACH, now=cest(14, 12, 1))
    assert fired.failed == 1 and fired.alerts == 0
    sent.assert_not_called()
    assert not SlaAlert.objects.exists()
    assert not CaseEvent.objects.filter(kind=EventKind.CLOCK).exists()


# --- against PostgreSQL's row locks -----------------------------------------------------------


def _hold(case):
    """Lock `case` from a second connection, as an agent's request would; returns it."""
    s = connection.settings_dict
    held = psycopg.connect(
        dbname=s["NAME"],
        user=s["USER"] or None,
        password=s["PASSWORD"] or None,
        host=s["HOST"] or None,
        port=s["PORT"] or None,
    )
    held.execute("SELECT id FROM tickets_case WHERE id = %s FOR UPDATE", [case.pk])
    return held


@pytest.mark.django_db(transaction=True)
def test_a_case_an_agent_is_editing_is_left_for_the_next_claim_without_waiting(promark):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's")
    busy, free = filed_at_ten(promark, 2)
    held = _hold(busy)
    with connection.cursor() as cursor:  # should the claim wait for the lock, fail fast
        cursor.execute("SET lock_timeout = '3s'")
    try:
        started = dt.datetime.now()
        fired = alerts_fire_due(kind=BREACH, now=cest(14, 12, 1))
        waited = dt.datetime.now() - started
    finally:
        held.rollback()
        held.close()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    assert (fired.alerts, fired.cases) == (2, 1)
    assert waited < dt.timedelta(seconds=5)  # skipped, not waited for
    assert not SlaAlert.objects.filter(clock__case=busy).exists()
    assert alerts_fire_due(kind=BREACH, now=cest(14, 12, 2)).alerts == 2  # released: fired
    assert SlaAlert.objects.filter(clock__case__in=[busy, free]).count() == 4


@pytest.mark.django_db
def test_a_late_resolution_escalates_and_the_case_keeps_its_escalation(promark, filed):
    """Resolving stops every clock: a late one records its breach and escalates the case
    inside the same transaction; nothing saved afterwards undoes `escalated_at`."""
    with time_machine.travel(cest(14, 12, 30), tick=False):
        case_transition(case=filed, to="resolved", actor=promark["agent"])
    filed.refresh_from_db()
    assert filed.status == "resolved"
    assert filed.escalated_at == cest(14, 12, 30)
    assert Escalation.objects.filter(case=filed, trigger="breach").count() == 1
    breached = SlaAlert.objects.filter(clock__case=filed, kind=BREACH)
    assert set(breached.values_list("clock__metric", flat=True)) == {
        "response",
        "solution_started",
    }


@pytest.mark.django_db
def test_a_batch_mixing_tenants_tells_each_tenants_people_of_their_own_cases_only(promark):
    """One claim takes cases of several vendors; who hears of what stays inside each."""
    from plans.models import CaseType
    from plans.policy import policy_pack_load
    from supportdesk.models import Role
    from tests.factories import UserFactory
    from tests.plans.conftest import read_pack
    from tests.tickets.conftest import contact_in, subscribed
    from tickets.cases.services import case_file

    synerity = policy_pack_load(document=read_pack("synerity")).tenant
    watcher = UserFactory(tenant=synerity, role=Role.AGENT, on_duty=True)
    manager = UserFactory(tenant=synerity, role=Role.ACCOUNT_MANAGER)
    contact = contact_in(subscribed(synerity, "gold", account_manager=manager)).user
    with time_machine.travel(cest(14, 10), tick=False):
        theirs = case_file(
            actor=contact,
            organization=contact.contact.organization,
            requester=contact,
            severity=SeverityLevel.objects.get(tenant=synerity, key="urgent"),
            case_type=CaseType.objects.get(tenant=synerity, key="incident"),
            subject="Automation stopped",
            description="No boards update",
        )
    (ours,) = filed_at_ten(promark, 1)
    latest = max(
        SlaClock.objects.filter(case__in=[ours, theirs]).values_list("breach_at", flat=True)
    )

    fired = alerts_fire_due(kind=BREACH, now=latest + dt.timedelta(seconds=1))

    assert fired.cases == 2  # one batch, two tenants
    told = Notification.objects.filter(kind="sla_breach")
    assert set(told.filter(case=theirs).values_list("recipient", flat=True)) == {
        watcher.pk,
        manager.pk,
    }
    assert set(told.filter(case=ours).values_list("recipient", flat=True)) == {
        promark[who].pk for who in ("agent", "on_duty", "manager")
    }
    for row in told.select_related("recipient", "case"):
        assert row.tenant_id == row.case.tenant_id == row.recipient.tenant_id
