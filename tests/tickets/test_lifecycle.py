"""A case's life under real contracts: filing rules, numbers, clocks that start, pause,
resume, meet, breach, follow reclassification, and reopen.

Times are frozen with time-machine; comments give the local wall-clock time.
"""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from plans.models import CaseType, Plan, SeverityLevel
from plans.policy import policy_pack_load
from plans.services import hypercare_window_create, subscription_create, target_override_set
from sla.models import ClockState
from supportdesk.models import Role
from tests.factories import ContactFactory, OrganizationFactory, UserFactory
from tests.plans.conftest import read_pack
from tickets.cases.services import (
    case_assign,
    case_file,
    case_reclassify,
    case_reopen,
    case_reply,
    case_submit_returned,
    case_transition,
)
from tickets.models import CaseEvent, CaseStatus, EventKind

UTC = dt.UTC


def cest(month, day, hour, minute=0, second=0):
    """Copenhagen/Oslo summer time (UTC+2) as an aware UTC instant."""
    return dt.datetime(2026, month, day, hour - 2, minute, second, tzinfo=UTC)


@pytest.fixture
def mobilise(db):
    tenant = policy_pack_load(document=read_pack("mobilise")).tenant
    organization = OrganizationFactory(tenant=tenant, name="Oslo Idrettslag")
    subscription_create(
        organization=organization,
        plan=Plan.objects.get(tenant=tenant, key="standard"),
        starts_on=dt.date(2025, 1, 1),
    )
    return {
        "tenant": tenant,
        "org": organization,
        "admin": ContactFactory(organization=organization, trained_admin=True).user,
        "untrained": ContactFactory(organization=organization, untrained_admin=True).user,
        "user": ContactFactory(organization=organization).user,
        "agent": UserFactory(tenant=tenant, role=Role.AGENT),
        "A": SeverityLevel.objects.get(tenant=tenant, key="A"),
        "C": SeverityLevel.objects.get(tenant=tenant, key="C"),
    }


def file_case(world, who="admin", severity="A", **extra):
    fields = {
        "subject": "Registration page fails",
        "description": "Volunteers get an error when they sign up.",
        "event_name": "oslo-cup.example / Oslo Cup",
        "affected_users": "Kari, kari@example.com, Juniors",
        "steps_tried": "Cleared cache, tried another browser",
    }
    fields.update(extra)
    from django.core.files.uploadedfile import SimpleUploadedFile

    screenshot = SimpleUploadedFile("error.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png")
    return case_file(
        actor=world[who],
        organization=world["org"],
        requester=world[who],
        severity=world[severity],
        attachments=[screenshot],
        **fields,
    )


def clock(case, metric="response"):
    return case.clocks.get(metric=metric)


def test_case_numbers_are_per_tenant_and_never_reused(mobilise):
    first = file_case(mobilise)
    second = file_case(mobilise)
    assert (first.number, second.number) == ("MOB-000001", "MOB-000002")
    second.delete()
    assert file_case(mobilise).number == "MOB-000003"
    other = policy_pack_load(document=read_pack("synerity")).tenant
    org = OrganizationFactory(tenant=other)
    contact = ContactFactory(organization=org).user
    case = case_file(
        actor=contact,
        organization=org,
        requester=contact,
        severity=SeverityLevel.objects.get(tenant=other, key="normal"),
        subject="Board view",
        description="Columns vanish",
    )
    assert case.number == "SYN-000001"


def test_mobilise_required_fields_and_screenshot(mobilise):
    with pytest.raises(ValidationError) as caught:
        case_file(
            actor=mobilise["admin"],
            organization=mobilise["org"],
            requester=mobilise["admin"],
            severity=mobilise["A"],
            subject="Broken",
            description="It fails",
        )
    errors = caught.value.message_dict
    assert {"event_name", "affected_users", "steps_tried", "attachments"} <= set(errors)
    assert not mobilise["org"].cases.exists()


@time_machine.travel(cest(5, 13, 9), tick=False)
def test_only_trained_administrators_reach_the_queue(mobilise):
    returned = file_case(mobilise, who="untrained")
    assert returned.status == CaseStatus.RETURNED
    assert not returned.clocks.exists()
    assert returned.events.filter(kind=EventKind.RETURNED).exists()
    from_user = file_case(mobilise, who="user")
    assert from_user.status == CaseStatus.RETURNED

    with pytest.raises(ValidationError):
        case_submit_returned(case=returned, actor=mobilise["untrained"])
    with time_machine.travel(cest(5, 13, 10), tick=False):
        submitted = case_submit_returned(case=returned, actor=mobilise["admin"])
    assert submitted.status == CaseStatus.NEW
    assert submitted.filed_at == cest(5, 13, 10)
    assert clock(submitted).started_at == cest(5, 13, 10)


def test_response_due_at_closing_a_reply_after_closing_is_in_time(mobilise):
    # Wednesday 13 May 09:00; A = 1 business day = 7 h: due Wednesday 16:00 (closing).
    with time_machine.travel(cest(5, 13, 9), tick=False):
        case = file_case(mobilise)
    response = clock(case)
    assert response.due_at == cest(5, 13, 16)
    # Thursday 14 May is Ascension Day: the breach is at Friday's opening.
    assert response.breach_at == cest(5, 15, 9)
    assert response.warn_at == cest(5, 13, 14, 15)
    case_assign(case=case, assignee=mobilise["agent"], actor=mobilise["agent"])
    with time_machine.travel(cest(5, 13, 16, 5), tick=False):
        case_reply(case=case, actor=mobilise["agent"], body="We are on it.")
    response.refresh_from_db()
    assert response.state == ClockState.MET
    assert response.business_seconds_used == 7 * 3600


def test_a_reply_one_second_into_the_next_working_day_is_a_breach(mobilise):
    with time_machine.travel(cest(5, 13, 9), tick=False):
        case = file_case(mobilise)
    with time_machine.travel(cest(5, 15, 9, 0, 1), tick=False):
        case_reply(case=case, actor=mobilise["agent"], body="Sorry for the wait.")
    response = clock(case)
    assert response.state == ClockState.BREACHED
    assert response.business_seconds_used == 7 * 3600 + 1
    case.refresh_from_db()
    assert case.assignee == mobilise["agent"]  # replying takes the case


def test_awaiting_customer_pauses_and_the_answer_resumes(mobilise):
    with time_machine.travel(cest(5, 13, 15), tick=False):  # Wednesday 15:00
        case = file_case(mobilise)
        case_assign(case=case, assignee=mobilise["agent"], actor=mobilise["agent"])
        case_transition(case=case, to="in_progress", actor=mobilise["agent"])
    with time_machine.travel(cest(5, 15, 9, 30), tick=False):  # Friday 09:30
        case_transition(case=case, to="awaiting_customer", actor=mobilise["agent"])
    paused = clock(case)
    assert paused.state == ClockState.PAUSED
    assert paused.due_at is None and paused.breach_at is None
    with time_machine.travel(cest(5, 18, 10), tick=False):  # Monday 10:00
        case_reply(case=case, actor=mobilise["admin"], body="Here is the export you asked for.")
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS  # back to where it was
    resumed = clock(case)
    assert resumed.state == ClockState.RUNNING
    # 1 h 30 ran before the pause; 5 h 30 left from Monday 10:00.
    assert resumed.due_at == cest(5, 18, 15, 30)


def test_reclassification_recomputes_from_filing_and_tells_the_customer(mobilise):
    with time_machine.travel(cest(5, 13, 9), tick=False):
        case = file_case(mobilise)
    with time_machine.travel(cest(5, 13, 11), tick=False):
        case_reclassify(
            case=case, severity=mobilise["C"], reason="Workaround exists", actor=mobilise["agent"]
        )
    response = clock(case)
    assert response.target_seconds == 3 * 7 * 3600
    # 21 business hours from Wednesday 09:00: Wed 7, (Thu holiday), Fri 7, Mon 7 -> Mon 16:00.
    assert response.due_at == cest(5, 18, 16)
    event = case.events.get(kind=EventKind.RECLASSIFIED)
    assert event.public and event.body == "Workaround exists"
    assert event.data == {"from": "A", "to": "C"}
    with pytest.raises(ValidationError):
        case_reclassify(case=case, severity=mobilise["C"], reason="again", actor=mobilise["agent"])
    with pytest.raises(ValidationError):
        case_reclassify(case=case, severity=mobilise["A"], reason=" ", actor=mobilise["agent"])


def test_invalid_transitions_say_what_is_wrong(mobilise):
    case = file_case(mobilise)
    with pytest.raises(ValidationError, match="cannot move from “New” to “Closed”"):
        case_transition(case=case, to="closed", actor=mobilise["agent"])
    with pytest.raises(ValidationError, match="Assign the case"):
        case_transition(case=case, to="open", actor=mobilise["agent"])
    with pytest.raises(PermissionError):
        case_transition(case=case, to="resolved", actor=mobilise["admin"])


def test_closed_cases_are_not_reused(mobilise):
    case = file_case(mobilise)
    case_transition(case=case, to="resolved", actor=mobilise["agent"])
    case_transition(case=case, to="closed", actor=mobilise["agent"])
    with pytest.raises(ValidationError, match="closed"):
        case_reply(case=case, actor=mobilise["admin"], body="One more thing")
    with pytest.raises(ValidationError, match="Only a resolved case"):
        case_reopen(case=case, actor=mobilise["admin"], body="Still broken")


@pytest.fixture
def promark(db):
    tenant = policy_pack_load(document=read_pack("promark")).tenant
    organization = OrganizationFactory(tenant=tenant)
    subscription_create(
        organization=organization,
        plan=Plan.objects.get(tenant=tenant, key="standard"),
        starts_on=dt.date(2025, 1, 1),
    )
    return {
        "tenant": tenant,
        "org": organization,
        "contact": ContactFactory(organization=organization).user,
        "agent": UserFactory(tenant=tenant, role=Role.AGENT),
        "1": SeverityLevel.objects.get(tenant=tenant, key="1"),
    }


def promark_case(world):
    return case_file(
        actor=world["contact"],
        organization=world["org"],
        requester=world["contact"],
        severity=world["1"],
        case_type=CaseType.objects.get(tenant=world["tenant"], key="incident"),
        subject="Roster does not load",
        description="Blank page since the upgrade",
    )


def test_hypercare_at_filing_gives_the_hypercare_targets(promark):
    hypercare_window_create(
        organization=promark["org"],
        starts_at=cest(6, 1, 2),
        ends_at=cest(7, 1, 2),
        plan=Plan.objects.get(tenant=promark["tenant"], key="premium"),
    )
    with time_machine.travel(cest(6, 10, 10), tick=False):  # Wednesday 10:00, in the window
        inside = promark_case(promark)
    with time_machine.travel(cest(7, 8, 10), tick=False):  # after it
        after = promark_case(promark)
    assert clock(inside).target_seconds == 3600 and "hypercare" in clock(inside).source
    assert clock(after).target_seconds == 2 * 3600
    assert not inside.clocks.filter(metric="resolution").exists()  # agreed case by case


def test_solution_started_is_met_when_work_starts(promark):
    with time_machine.travel(cest(6, 10, 10), tick=False):
        case = promark_case(promark)
    case_assign(case=case, assignee=promark["agent"], actor=promark["agent"])
    with time_machine.travel(cest(6, 10, 13), tick=False):
        case_transition(case=case, to="in_progress", actor=promark["agent"])
    started = clock(case, "solution_started")
    assert started.state == ClockState.MET
    assert started.business_seconds_used == 3 * 3600


def test_reopening_resumes_the_resolution_clock_without_the_resolved_stretch(promark):
    target_override_set(
        organization=promark["org"],
        severity=promark["1"],
        metric="resolution",
        value=Decimal("16"),
        unit="working_hours",
        calendar_key="business",
    )
    with time_machine.travel(cest(6, 10, 8), tick=False):  # Wednesday 08:00
        case = promark_case(promark)
    with time_machine.travel(cest(6, 10, 12), tick=False):
        case_transition(case=case, to="resolved", actor=promark["agent"])
    resolution = clock(case, "resolution")
    assert resolution.state == ClockState.MET
    assert resolution.business_seconds_used == 4 * 3600
    with time_machine.travel(cest(6, 11, 9), tick=False):  # Thursday 09:00
        case_reopen(case=case, actor=promark["contact"], body="It happened again this morning.")
    resolution.refresh_from_db()
    assert resolution.state == ClockState.RUNNING
    # 4 h used; 12 h left from Thursday 09:00: Thu 7 h (to 16:00), Fri 5 h from 08:00 -> 13:00.
    assert resolution.due_at == cest(6, 12, 13)
    case.refresh_from_db()
    assert case.status == CaseStatus.REOPENED
    assert CaseEvent.objects.filter(case=case, kind=EventKind.REOPENED).exists()
    with pytest.raises(ValidationError):
        case_reopen(case=case, actor=promark["contact"], body="again")


def test_a_hypercare_window_added_later_resyncs_open_cases(promark, client):
    with time_machine.travel(cest(6, 10, 10), tick=False):
        case = promark_case(promark)
    assert clock(case).target_seconds == 2 * 3600
    admin = UserFactory(tenant=promark["tenant"], role=Role.TENANT_ADMIN)
    client.force_login(admin)
    premium = Plan.objects.get(tenant=promark["tenant"], key="premium")
    response = client.post(
        "/config/admin/plans/hypercarewindow/add/",
        {
            "organization": promark["org"].pk,
            "starts_at_0": "2026-06-01",
            "starts_at_1": "00:00:00",
            "ends_at_0": "2026-07-01",
            "ends_at_1": "00:00:00",
            "plan": premium.pk,
            "reason": "Go-live",
            "targets-TOTAL_FORMS": "0",
            "targets-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert clock(case).target_seconds == 3600
    assert "hypercare" in clock(case).source
