"""Escalation rules from the policy packs (issue 7, point 3): ProMark Premium's SDM and task
force, Synerity's platform-vendor escalation, none for plans without the entitlement."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from plans.models import CaseType, SeverityLevel
from sla.models import ClockState, SlaClock
from sla.sweep import sla_sweep
from supportdesk.models import Role
from tests.factories import UserFactory
from tests.tickets.conftest import contact_in, subscribed
from tickets.cases.services import case_escalate, case_file
from tickets.escalations.services import escalation_set_reference, task_force_assembled
from tickets.models import Escalation, Notification, NotificationKind

NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)  # Tuesday, 10:00 in Copenhagen


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def promark(load_pack):
    tenant = load_pack("promark")
    manager = UserFactory(tenant=tenant, role=Role.ACCOUNT_MANAGER)
    premium = subscribed(tenant, "premium", account_manager=manager)
    standard = subscribed(tenant, "standard", account_manager=manager)
    return {
        "tenant": tenant,
        "manager": manager,
        "premium": contact_in(premium).user,
        "standard": contact_in(standard).user,
        "agent": UserFactory(tenant=tenant, role=Role.AGENT),
    }


@pytest.fixture
def synerity(load_pack):
    tenant = load_pack("synerity")
    return {
        "tenant": tenant,
        "gold": contact_in(subscribed(tenant, "gold")).user,
        "free": contact_in(subscribed(tenant, "free")).user,
        "agent": UserFactory(tenant=tenant, role=Role.AGENT),
    }


def file(world, who, severity, case_type="incident"):
    user = world[who]
    tenant = world["tenant"]
    return case_file(
        actor=user,
        organization=user.contact.organization,
        requester=user,
        severity=SeverityLevel.objects.get(tenant=tenant, key=severity),
        case_type=CaseType.objects.get(tenant=tenant, key=case_type),
        subject="Production down",
        description="Nothing loads",
    )


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- ProMark Premium ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_premium_critical_customer_escalation_notifies_sdm_and_opens_a_task_force(promark):
    case = file(promark, "premium", "1")
    case_escalate(case=case, actor=promark["premium"], reason="Production is down")

    escalation = Escalation.objects.get(case=case)
    assert escalation.trigger == "customer_request" and escalation.level == 1
    assert escalation.actions == ["notify_service_delivery_manager", "open_task_force"]
    assert escalation.created_by == promark["premium"]
    # The SDM (account manager) is told once, not twice.
    told = Notification.objects.filter(
        case=case, recipient=promark["manager"], kind=NotificationKind.ESCALATED
    )
    assert told.count() == 1
    clock = SlaClock.objects.get(case=case, metric="task_force")
    assert clock.state == ClockState.RUNNING and clock.calendar is None
    assert clock.started_at == NOW and clock.due_at == NOW + dt.timedelta(hours=24)
    assert clock.target_seconds == 24 * 3600


@pytest.mark.django_db
def test_task_force_clock_is_met_when_assembled_and_survives_pauses(promark, time_machine):
    from tickets.cases.services import case_assign, case_transition

    case = file(promark, "premium", "1")
    case_escalate(case=case, actor=promark["premium"], reason="Down")
    case_assign(case=case, assignee=promark["agent"], actor=promark["agent"])
    case_transition(case=case, to="awaiting_customer", actor=promark["agent"], reason="Logs?")
    clock = SlaClock.objects.get(case=case, metric="task_force")
    assert clock.state == ClockState.RUNNING  # wall-clock hours: never paused
    assert clock.due_at == NOW + dt.timedelta(hours=24)

    with pytest.raises(PermissionError):
        task_force_assembled(case=case, actor=promark["premium"])
    time_machine.move_to(NOW + dt.timedelta(hours=5), tick=False)
    clock = task_force_assembled(case=case, actor=promark["agent"])
    assert clock.state == ClockState.MET and clock.business_seconds_used == 5 * 3600
    with pytest.raises(ValidationError):
        task_force_assembled(case=case, actor=promark["agent"])


@pytest.mark.django_db
def test_a_breach_escalates_once_and_opens_the_task_force(promark):
    case = file(promark, "premium", "1")
    response = SlaClock.objects.get(case=case, metric="response")
    later = response.breach_at + dt.timedelta(seconds=1)

    sla_sweep(now=later)
    sla_sweep(now=later + dt.timedelta(minutes=1))

    escalation = Escalation.objects.get(case=case)
    assert escalation.trigger == "breach" and escalation.created_by is None
    assert "open_task_force" in escalation.actions
    task_force = SlaClock.objects.get(case=case, metric="task_force")
    assert task_force.started_at == later
    assert task_force.due_at == later + dt.timedelta(hours=24)
    case.refresh_from_db()
    assert case.escalated_at == later
    # A later breach of another clock does not escalate again.
    solution = SlaClock.objects.get(case=case, metric="solution_started")
    sla_sweep(now=solution.breach_at + dt.timedelta(seconds=1))
    assert Escalation.objects.filter(case=case).count() == 1
    assert (
        Notification.objects.filter(
            case=case, recipient=promark["manager"], kind=NotificationKind.ESCALATED
        ).count()
        == 1
    )


@pytest.mark.django_db
def test_one_sweep_escalates_each_breached_case_of_a_mixed_batch_as_its_plan_says(
    promark, synerity
):
    """Premium (task force, SDM), Standard (nothing) and Synerity Gold (whose pack escalates
    to the platform vendor on request only, not on a breach), breached at once and fired in
    one batch: each gets exactly what its own plan says."""
    premium = [file(promark, "premium", "1") for _ in range(2)]
    standard = file(promark, "standard", "1")
    gold = file(synerity, "gold", "urgent")
    cases = [*premium, standard, gold]
    latest = max(SlaClock.objects.filter(case__in=cases).values_list("breach_at", flat=True))

    sla_sweep(now=latest + dt.timedelta(seconds=1))

    escalations = {e.case_id: e for e in Escalation.objects.filter(case__in=cases)}
    assert set(escalations) == {premium[0].pk, premium[1].pk}
    for case in premium:
        assert escalations[case.pk].actions == [
            "notify_service_delivery_manager",
            "open_task_force",
        ]
        assert SlaClock.objects.filter(case=case, metric="task_force").count() == 1
    assert SlaClock.objects.get(case=gold, metric="response").state == ClockState.BREACHED
    assert not SlaClock.objects.filter(case__in=[standard, gold], metric="task_force").exists()
    # The SDM hears of each Premium escalation once.
    told = Notification.objects.filter(recipient=promark["manager"], kind="escalated")
    assert sorted(told.values_list("case_id", flat=True)) == sorted(c.pk for c in premium)


@pytest.mark.django_db
def test_the_database_refuses_a_second_breach_escalation_of_a_case(promark):
    from django.db import IntegrityError, transaction

    case = file(promark, "premium", "1")
    response = SlaClock.objects.get(case=case, metric="response")
    sla_sweep(now=response.breach_at + dt.timedelta(seconds=1))
    first = Escalation.objects.get(case=case, trigger="breach")
    with pytest.raises(IntegrityError), transaction.atomic():
        Escalation.objects.create(
            tenant=first.tenant, case=case, trigger="breach", level=2, created_at=NOW
        )


@pytest.mark.django_db
def test_standard_gets_no_escalation(promark):
    case = file(promark, "standard", "1")
    with pytest.raises(ValidationError, match="does not include escalation"):
        case_escalate(case=case, actor=promark["standard"], reason="Please")
    response = SlaClock.objects.get(case=case, metric="response")
    sla_sweep(now=response.breach_at + dt.timedelta(seconds=1))
    response.refresh_from_db()
    assert response.state == ClockState.BREACHED
    assert not Escalation.objects.filter(case=case).exists()
    assert not SlaClock.objects.filter(case=case, metric="task_force").exists()
    case.refresh_from_db()
    assert case.escalated_at is None


@pytest.mark.django_db
def test_premium_question_is_not_customer_escalable_but_agents_still_may(promark):
    case = file(promark, "premium", "1", case_type="question")
    with pytest.raises(ValidationError):
        case_escalate(case=case, actor=promark["premium"], reason="Please")
    case_escalate(case=case, actor=promark["agent"], reason="Lead needed")
    case.refresh_from_db()
    assert case.escalated_at is not None  # the desk's own escalation, as before
    assert not Escalation.objects.filter(case=case).exists()  # no agent rule in the plan


# --- Synerity ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_gold_customer_escalation_goes_to_the_platform_vendor(synerity):
    case = file(synerity, "gold", "urgent")
    case_escalate(case=case, actor=synerity["gold"], reason="Mail loop")
    escalation = Escalation.objects.get(case=case)
    assert escalation.actions == ["escalate_to_external_vendor"]
    assert escalation.external_vendor == "monday.com" and escalation.external_reference == ""
    assert not SlaClock.objects.filter(case=case, metric="task_force").exists()

    with pytest.raises(PermissionError):
        escalation_set_reference(escalation=escalation, actor=synerity["gold"], reference="X")
    with pytest.raises(ValidationError):
        escalation_set_reference(escalation=escalation, actor=synerity["agent"], reference=" ")

    api = api_for(synerity["agent"])
    url = f"/api/v1/cases/{case.number}/"
    refused = api_for(synerity["gold"]).post(
        url + "escalation-reference/", {"escalation": escalation.pk, "reference": "MON-1"}
    )
    assert refused.status_code == 403
    answer = api.post(url + "escalation-reference/", {"escalation": escalation.pk,
                                                      "reference": "MON-4711"})  # fmt: skip
    assert answer.status_code == 200, answer.data
    assert answer.data["escalations"][0]["external_reference"] == "MON-4711"
    shown = api_for(synerity["gold"]).get(url).json()["escalations"]
    assert shown == [
        {
            "id": escalation.pk,
            "level": 1,
            "trigger": "customer_request",
            "actions": ["escalate_to_external_vendor"],
            "reason": "Mail loop",
            "external_vendor": "monday.com",
            "external_reference": "MON-4711",
            "created_at": "2026-03-10T09:00:00Z",
            "task_force_due_at": None,
            "task_force_state": None,
        }
    ]


@pytest.mark.django_db
def test_free_customers_cannot_escalate(synerity):
    case = file(synerity, "free", "urgent")
    with pytest.raises(ValidationError, match="does not include escalation"):
        case_escalate(case=case, actor=synerity["free"], reason="Please")
    assert not Escalation.objects.exists()


# --- API ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_shows_escalations_and_task_force(promark, tenant_b):
    case = file(promark, "premium", "1")
    url = f"/api/v1/cases/{case.number}/"
    escalated = api_for(promark["premium"]).post(url + "escalate/", {"reason": "Down"})
    assert escalated.status_code == 200, escalated.data
    (shown,) = escalated.data["escalations"]
    assert shown["level"] == 1 and shown["trigger"] == "customer_request"
    assert shown["task_force_due_at"] == "2026-03-11T09:00:00Z"
    assert shown["task_force_state"] == "running"

    assert api_for(promark["premium"]).post(url + "task-force/").status_code == 403
    done = api_for(promark["agent"]).post(url + "task-force/")
    assert done.status_code == 200, done.data
    assert done.data["escalations"][0]["task_force_state"] == "met"

    outsider = UserFactory(tenant=tenant_b, role=Role.AGENT)
    assert api_for(outsider).get(url).status_code == 404
    assert api_for(outsider).post(url + "task-force/").status_code == 404
    assert (
        api_for(outsider)
        .post(url + "escalation-reference/", {"escalation": 1, "reference": "x"})
        .status_code
        == 404
    )


@pytest.mark.django_db
def test_case_pages_show_escalations(promark, client):
    case = file(promark, "premium", "1")
    case_escalate(case=case, actor=promark["premium"], reason="Production is down")
    client.force_login(promark["premium"])
    portal = client.get(f"/portal/cases/{case.number}/").content.decode()
    assert 'data-testid="escalation"' in portal and 'data-testid="task-force-due"' in portal
    assert "Production is down" in portal  # the customer's own reason is on the timeline
    client.force_login(promark["agent"])
    agent = client.get(f"/queue/cases/{case.number}/").content.decode()
    assert 'data-testid="escalation"' in agent and 'data-testid="task-force-due"' in agent


@pytest.mark.django_db
def test_agents_record_the_vendor_reference_and_the_assembled_task_force_on_the_case_page(
    client, synerity, promark
):
    case = file(synerity, "gold", "urgent")
    case_escalate(case=case, actor=synerity["gold"], reason="Mail loop")
    escalation = Escalation.objects.get(case=case)
    client.force_login(synerity["agent"])
    page = client.get(f"/queue/cases/{case.number}/").content.decode()
    assert 'data-testid="escalation-reference-form"' in page
    url = f"/queue/cases/{case.number}/escalation-reference/"
    assert client.post(url, {"escalation": escalation.pk, "reference": " "}).status_code == 400
    assert (
        client.post(url, {"escalation": escalation.pk, "reference": "MON-4711"}).status_code == 302
    )
    escalation.refresh_from_db()
    assert escalation.external_reference == "MON-4711"

    critical = file(promark, "premium", "1")
    case_escalate(case=critical, actor=promark["premium"], reason="Production is down")
    client.force_login(promark["agent"])
    assert (
        'data-testid="task-force-form"'
        in client.get(f"/queue/cases/{critical.number}/").content.decode()
    )
    assert client.post(f"/queue/cases/{critical.number}/task-force/").status_code == 302
    assert critical.clocks.get(metric="task_force").stopped_at is not None
    assert client.post(f"/queue/cases/{critical.number}/task-force/").status_code == 400
