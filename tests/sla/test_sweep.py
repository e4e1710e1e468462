"""The SLA sweep: warnings and breaches fire once per clock and kind, from stored instants.

ProMark Premium, severity 1: response within 1 working hour, solution started within 2
(Mon–Thu 08–16, Fri 08–15:30, Copenhagen), warning at 75 %. Times are frozen with
time-machine; comments give the local wall-clock time (CEST, UTC+2).
"""

import datetime as dt
from unittest import mock

import pytest
import time_machine
from django.db import IntegrityError, transaction

from plans.policy import policy_pack_load
from sla.models import AlertKind, ClockState, SlaAlert, SweepRun
from sla.sweep import SWEEP_RUNS_KEPT, sla_sweep, sla_sweep_dispatch
from sla.tasks import fire_due
from sla.tasks import sweep as sweep_task
from supportdesk.models import Role
from tests.factories import UserFactory
from tests.plans.conftest import read_pack
from tests.sla.conftest import cest, file_case
from tickets.cases.selectors import case_state, queue, queue_counters
from tickets.cases.services import case_reply, case_transition
from tickets.models import CaseEvent, EventKind, Notification


def alerts(case, kind=None):
    qs = SlaAlert.objects.filter(clock__case=case)
    return qs.filter(kind=kind) if kind else qs


def told(kind):
    """(recipient, dedupe key) of every notification of `kind`."""
    return sorted(
        Notification.objects.filter(kind=kind).values_list("recipient__email", "dedupe_key")
    )


def test_warning_fires_once_when_the_share_has_elapsed(promark, filed):
    assert sla_sweep(now=cest(14, 10, 44, 59)).warned == 0
    result = sla_sweep(now=cest(14, 10, 45))
    assert (result.warned, result.breached) == (1, 0)
    warning = alerts(filed).get()
    assert (warning.kind, warning.clock.metric) == (AlertKind.WARNING, "response")
    assert warning.clock.state == ClockState.RUNNING  # a warning does not stop anything
    assert told("sla_warning") == [(promark["agent"].email, f"sla-warning:{warning.clock_id}")]
    event = CaseEvent.objects.get(case=filed, kind=EventKind.CLOCK)
    assert not event.public
    assert event.data["alert"] == "warning" and event.data["metric"] == "response"

    again = sla_sweep(now=cest(14, 10, 50))
    assert (again.warned, again.breached) == (0, 0)
    assert alerts(filed).count() == 1
    assert Notification.objects.filter(kind="sla_warning").count() == 1


def test_breach_fires_once_past_breach_at(promark, filed):
    # At 11:00:00 exactly the clock has run its target, not more: no breach yet.
    at_due = sla_sweep(now=cest(14, 11))
    assert (at_due.warned, at_due.breached) == (1, 0)
    result = sla_sweep(now=cest(14, 11, 0, 1))
    assert (result.warned, result.breached) == (0, 1)
    clock = filed.clocks.get(metric="response")
    assert clock.state == ClockState.BREACHED
    assert clock.due_at == cest(14, 11)  # the record of when it was due stays
    assert list(alerts(filed).values_list("kind", flat=True)) == ["warning", "breach"]

    for _ in range(2):
        assert sla_sweep(now=cest(14, 11, 30)).breached == 0
    assert alerts(filed, AlertKind.BREACH).count() == 1
    assert Notification.objects.filter(kind="sla_breach").count() == 3  # one per recipient


def test_a_breached_clock_stays_breached_when_the_reply_comes(promark, filed):
    sla_sweep(now=cest(14, 11, 5))
    with time_machine.travel(cest(14, 11, 10), tick=False):
        case_reply(case=filed, actor=promark["agent"], body="Looking at it.", public=True)
    assert filed.clocks.get(metric="response").state == ClockState.BREACHED


def test_paused_clocks_never_fire(promark, filed):
    with time_machine.travel(cest(14, 10, 10), tick=False):
        case_transition(case=filed, to="awaiting_customer", actor=promark["agent"])
    assert set(filed.clocks.values_list("state", flat=True)) == {ClockState.PAUSED}
    result = sla_sweep(now=cest(16, 18))
    assert (result.warned, result.breached) == (0, 0)
    assert not alerts(filed).exists()
    assert not Notification.objects.filter(kind__startswith="sla_").exists()


def test_met_clocks_never_fire(promark, filed):
    with time_machine.travel(cest(14, 10, 30), tick=False):
        case_reply(case=filed, actor=promark["agent"], body="On it.", public=True)
    assert filed.clocks.get(metric="response").state == ClockState.MET
    sla_sweep(now=cest(14, 12, 30))
    fired = set(alerts(filed).values_list("clock__metric", "kind"))
    assert fired == {("solution_started", "breach")}  # the one still running at 12:00


def test_the_constraint_rejects_a_second_alert_of_a_kind(promark, filed):
    sla_sweep(now=cest(14, 11, 5))
    breach = alerts(filed, AlertKind.BREACH).get()
    with pytest.raises(IntegrityError), transaction.atomic():
        SlaAlert.objects.create(
            tenant=breach.tenant, clock=breach.clock, kind=AlertKind.BREACH, fired_at=cest(14, 12)
        )
    SlaAlert.objects.create(
        tenant=breach.tenant, clock=breach.clock, kind=AlertKind.WARNING, fired_at=cest(14, 12)
    )


def test_a_retry_after_the_alert_was_written_fires_nothing(promark, filed):
    """The alert row is the proof of firing: a sweep that finds one sends nothing."""
    clock = filed.clocks.get(metric="response")
    SlaAlert.objects.create(
        tenant=clock.tenant, clock=clock, kind=AlertKind.WARNING, fired_at=cest(14, 10, 45)
    )
    assert sla_sweep(now=cest(14, 10, 50)).warned == 0
    assert told("sla_warning") == []


def test_breach_reaches_assignee_on_duty_agents_and_the_account_manager(promark, filed):
    other = policy_pack_load(document=read_pack("mobilise")).tenant
    stranger = UserFactory(tenant=other, role=Role.AGENT, on_duty=True)
    sla_sweep(now=cest(14, 11, 5))
    clock = filed.clocks.get(metric="response")
    key = f"sla-breach:{clock.pk}"
    assert told("sla_breach") == sorted(
        (promark[who].email, key) for who in ("agent", "on_duty", "manager")
    )
    assert not Notification.objects.filter(recipient=stranger).exists()
    assert not Notification.objects.filter(recipient=promark["off_duty"]).exists()
    note = Notification.objects.get(kind="sla_breach", recipient=promark["agent"])
    assert note.in_app and note.case_id == filed.pk
    assert filed.number in note.body and "breached" in note.subject.lower()
    event = CaseEvent.objects.get(case=filed, kind=EventKind.CLOCK)
    assert event.data["service_delivery_manager"] is True  # Premium includes an SDM


def test_warning_on_an_unassigned_case_goes_to_the_on_duty_agents(promark):
    with time_machine.travel(cest(14, 10), tick=False):
        file_case(promark, assign=False)
    sla_sweep(now=cest(14, 10, 46))
    assert [email for email, _key in told("sla_warning")] == [promark["on_duty"].email]


def test_queue_and_case_page_show_the_breach(promark, filed, client):
    agent = promark["agent"]
    sla_sweep(now=cest(14, 11, 5))
    with time_machine.travel(cest(14, 11, 6), tick=False):
        assert queue_counters(actor=agent).breached == 1
        case = queue(actor=agent, filters={"breached": True}).get()
        assert case_state(case) == "breached"
        client.force_login(agent)
        html = client.get(f"/queue/cases/{filed.number}/").content.decode()
    assert 'data-metric="response" data-state="breached"' in html
    assert "SLA clock" in html  # the internal timeline event


def test_the_sweep_task_queues_the_firing_records_the_run_and_prunes_old_ones(promark, filed):
    SweepRun.objects.create(
        started_at=cest(14, 11) - SWEEP_RUNS_KEPT - dt.timedelta(minutes=1),
        finished_at=cest(14, 11) - SWEEP_RUNS_KEPT,
    )
    with (
        time_machine.travel(cest(14, 11, 5), tick=False),
        mock.patch("sla.tasks.fire_due.apply_async") as queued,
    ):
        # Past breach before its warning was swept: only the breach is due.
        assert sweep_task.apply().get() == {"warnings_due": 0, "breaches_due": 1, "batches": 1}
    queued.assert_called_once_with(kwargs={"kind": "breach"}, expires=60)
    run = SweepRun.objects.get()  # the day-old run is gone
    assert (run.warnings_due, run.breaches_due, run.batches) == (0, 1, 1)
    assert not alerts(filed).exists()  # the sweep only queues; `fire_due` fires

    with time_machine.travel(cest(14, 11, 6), tick=False):
        assert fire_due.apply(kwargs={"kind": "breach"}).get() == {
            "alerts": 1,
            "cases": 1,
            "failed": 0,
        }
    assert alerts(filed, AlertKind.BREACH).count() == 1


def test_one_batch_is_queued_per_chunk_of_due_cases(promark, monkeypatch):
    monkeypatch.setattr("sla.alerts.CHUNK_CASES", 2)
    with time_machine.travel(cest(14, 10), tick=False):
        for _ in range(5):
            file_case(promark)
    queued = []
    run = sla_sweep_dispatch(now=cest(14, 12, 30), enqueue=queued.append)
    # Five cases with both clocks past their breach: 3 batches of at most 2 cases.
    assert (run.breaches_due, run.warnings_due, run.batches) == (10, 0, 3)
    assert queued == ["breach"] * 3
    nothing = sla_sweep_dispatch(now=cest(14, 9), enqueue=queued.append)
    assert (nothing.breaches_due, nothing.warnings_due, nothing.batches) == (0, 0, 0)
