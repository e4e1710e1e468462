"""The case API (`/api/v1/cases/`): filing, listing, reading, replies, workflow, clocks.

Same rules as the web: staff see their tenant's cases, a contact its organisation's;
anything else answers 404, contacts calling staff actions 403, bad input 400 with details.
"""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from plans.models import SeverityLevel
from sla.models import SlaClock
from supportdesk.models import Role
from tests.factories import UserFactory
from tickets.models import Attachment, Case, CaseStatus

# Tuesday 10 March 2026, 10:00 in Copenhagen and Oslo: both packs' offices are open.
NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)
MOBILISE_CASE = {
    "subject": "Registration page fails",
    "description": "Error 500 when registering for the spring conference.",
    "severity": "A",
    "event_name": "example.no / Spring conference",
    "affected_users": "Kari Nordmann, kari@example.no, sales",
    "steps_tried": "Cleared the cache, tried two browsers.",
}


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def api():
    return APIClient()


def screenshot(name="error.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def as_user(api, user):
    api.force_authenticate(user)
    return api


@pytest.fixture
def promark(load_pack, subscribed, contact_in):
    """ProMark with a Premium and a Standard customer, a contact of each, and an agent."""
    tenant = load_pack("promark")
    premium = subscribed(tenant, "premium", name="Premium Kunde A/S")
    standard = subscribed(tenant, "standard", name="Standard Kunde A/S")
    return {
        "tenant": tenant,
        "premium": premium,
        "standard": standard,
        "contact": contact_in(premium),
        "colleague": contact_in(premium),
        "standard_contact": contact_in(standard),
        "agent": UserFactory(tenant=tenant, role=Role.AGENT),
    }


def file_case(api, contact, **fields):
    """A contact of ProMark files a case through the API; returns the answer's data."""
    payload = {
        "subject": "Invoices do not print",
        "description": "The print button does nothing.",
        "severity": "3",
        "case_type": "incident",
        **fields,
    }
    response = as_user(api, contact.user).post("/api/v1/cases/", payload, format="json")
    assert response.status_code == 201, response.data
    return response.data


def url(number, action=""):
    return f"/api/v1/cases/{number}/" + (f"{action}/" if action else "")


# --- Filing ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_trained_administrator_files_a_mobilise_case_with_screenshot_and_clocks(
    api, load_pack, subscribed, contact_in
):
    tenant = load_pack("mobilise")
    admin = contact_in(subscribed(tenant, "standard"), trained_admin=True)
    response = as_user(api, admin.user).post(
        "/api/v1/cases/", {**MOBILISE_CASE, "attachments": [screenshot()]}, format="multipart"
    )
    assert response.status_code == 201, response.data
    case = response.data
    assert case["number"] == "MOB-000001"
    assert case["status"] == "new"
    assert case["severity"] == "A"
    assert case["requester"] == admin.user.pk
    assert case["channel"] == "api"
    assert case["filed_at"] == "2026-03-10T09:00:00Z"
    assert [(c["metric"], c["state"]) for c in case["clocks"]] == [("response", "running")]
    assert case["clocks"][0]["due_at"] is not None
    (attachment,) = Attachment.objects.for_tenant(tenant)
    assert attachment.content_type == "image/png"
    events = api.get(url(case["number"], "events")).json()
    assert events[0]["kind"] == "created"
    assert events[0]["attachments"][0]["original_name"] == "error.png"


@pytest.mark.django_db
def test_mobilise_required_fields_are_all_named_and_nothing_is_created(
    api, load_pack, subscribed, contact_in
):
    tenant = load_pack("mobilise")
    admin = contact_in(subscribed(tenant, "standard"), trained_admin=True)
    response = as_user(api, admin.user).post(
        "/api/v1/cases/", {"subject": "It is broken"}, format="multipart"
    )
    assert response.status_code == 400
    assert {
        "event_name",
        "severity",
        "description",
        "affected_users",
        "steps_tried",
        "attachments",
    } <= set(response.data)
    assert "subject" not in response.data
    assert not Case.objects.for_tenant(tenant).exists()


@pytest.mark.django_db
def test_case_from_a_user_goes_back_to_the_administrators_who_submit_it(
    api, load_pack, subscribed, contact_in
):
    tenant = load_pack("mobilise")
    organization = subscribed(tenant, "standard")
    user = contact_in(organization)
    untrained = contact_in(organization, untrained_admin=True)
    admin = contact_in(organization, trained_admin=True)
    agent = UserFactory(tenant=tenant, role=Role.AGENT)
    response = as_user(api, user.user).post(
        "/api/v1/cases/", {**MOBILISE_CASE, "attachments": [screenshot()]}, format="multipart"
    )
    assert response.status_code == 201, response.data
    number = response.data["number"]
    assert response.data["status"] == "returned"
    assert response.data["clocks"] == []

    assert as_user(api, agent).get(url(number)).status_code == 404
    assert number not in [c["number"] for c in api.get("/api/v1/cases/").json()["results"]]

    refused = as_user(api, untrained.user).post(url(number, "submit"))
    assert refused.status_code == 400
    assert "trained administrator" in str(refused.data)

    submitted = as_user(api, admin.user).post(url(number, "submit"))
    assert submitted.status_code == 200, submitted.data
    assert submitted.data["status"] == "new"
    assert [c["metric"] for c in submitted.data["clocks"]] == ["response"]
    assert as_user(api, agent).get(url(number)).status_code == 200


@pytest.mark.django_db
def test_staff_file_a_phone_call_with_an_earlier_start(api, promark):
    called = NOW - dt.timedelta(minutes=40)
    response = as_user(api, promark["agent"]).post(
        "/api/v1/cases/",
        {
            "requester": promark["contact"].user.pk,
            "channel": "phone",
            "filed_at": called.isoformat(),
            "subject": "Server down",
            "description": "Called in: nothing responds.",
            "severity": "1",
        },
        format="json",
    )
    assert response.status_code == 201, response.data
    case = response.data
    assert case["number"] == "PRO-000001"
    assert case["channel"] == "phone"
    assert case["organization"] == promark["premium"].pk
    assert case["filed_at"] == "2026-03-10T08:20:00Z"
    clocks = api.get(url(case["number"], "clocks")).json()
    assert {c["metric"] for c in clocks} == {"response", "solution_started"}
    assert {c["started_at"] for c in clocks} == {"2026-03-10T08:20:00Z"}
    response_clock = next(c for c in clocks if c["metric"] == "response")
    assert response_clock["remaining_seconds"] == 3600 - 40 * 60


@pytest.mark.django_db
def test_staff_filing_refuses_bad_input_with_details(api, promark, tenant_b):
    foreign_contact_user = UserFactory(tenant=tenant_b, role=Role.CONTACT)
    base = {"subject": "Down", "description": "Nothing works.", "severity": "1"}
    as_user(api, promark["agent"])

    def post(**fields):
        return api.post("/api/v1/cases/", {**base, **fields}, format="json")

    future = post(
        requester=promark["contact"].user.pk, filed_at=(NOW + dt.timedelta(hours=1)).isoformat()
    )
    assert future.status_code == 400
    assert "filed_at" in future.data
    assert "requester" in post().data
    assert "requester" in post(requester=foreign_contact_user.pk).data
    assert "requester" in post(requester=promark["agent"].pk).data
    assert "channel" in post(requester=promark["contact"].user.pk, channel="portal").data
    assert "severity" in post(requester=promark["contact"].user.pk, severity="9").data
    assert not Case.objects.for_tenant(promark["tenant"]).exists()


@pytest.mark.django_db
def test_contacts_file_only_in_their_own_name(api, promark):
    response = as_user(api, promark["contact"].user).post(
        "/api/v1/cases/",
        {
            "requester": promark["colleague"].user.pk,
            "subject": "x",
            "description": "y",
            "severity": "2",
            "case_type": "incident",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "requester" in response.data


# --- Listing and scoping -----------------------------------------------------------------------


@pytest.mark.django_db
def test_list_is_scoped_filtered_and_newest_first(api, promark, load_pack, subscribed, contact_in):
    own = file_case(api, promark["contact"], subject="First")
    time_later = file_case(api, promark["colleague"], subject="Second", severity="1")
    other_org = file_case(api, promark["standard_contact"], subject="Other customer")
    mobilise = load_pack("mobilise")
    foreign_admin = contact_in(subscribed(mobilise, "standard"), trained_admin=True)
    as_user(api, foreign_admin.user).post(
        "/api/v1/cases/", {**MOBILISE_CASE, "attachments": [screenshot()]}, format="multipart"
    )

    def numbers(user, query=""):
        response = as_user(api, user).get("/api/v1/cases/" + query)
        assert response.status_code == 200
        return [row["number"] for row in response.json()["results"]]

    assert set(numbers(promark["contact"].user)) == {own["number"], time_later["number"]}
    staff_view = numbers(promark["agent"])
    assert staff_view == [other_org["number"], time_later["number"], own["number"]]
    assert numbers(UserFactory(tenant=mobilise, role=Role.AGENT)) == ["MOB-000001"]

    agent = promark["agent"]
    assert numbers(agent, "?severity=1") == [time_later["number"]]
    assert numbers(agent, f"?organization={promark['standard'].pk}") == [other_org["number"]]
    assert numbers(agent, "?q=other customer") == [other_org["number"]]
    assert numbers(agent, f"?q={own['number']}") == [own["number"]]
    assert numbers(agent, "?status=new") == staff_view
    assert numbers(agent, "?status=open") == []
    api.post(url(own["number"], "assign"), {"assignee": "me"}, format="json")
    assert numbers(agent, "?assignee=me") == [own["number"]]
    assert numbers(agent, f"?assignee={agent.pk}") == [own["number"]]
    assert own["number"] not in numbers(agent, "?assignee=none")
    assert api.get("/api/v1/cases/?assignee=someone").status_code == 400

    row = api.get("/api/v1/cases/?q=" + own["number"]).json()["results"][0]
    assert set(row) >= {
        "number",
        "subject",
        "status",
        "severity",
        "customer",
        "assignee",
        "filed_at",
        "clocks",
    }
    assert row["customer"] == "Premium Kunde A/S"
    assert row["assignee"] == agent.pk
    assert {c["metric"] for c in row["clocks"]} == {"response", "solution_started"}
    assert set(row["clocks"][0]) == {"metric", "state", "due_at", "breach_at"}


def _endpoints(number):
    """Every case endpoint with a request that would succeed for an entitled user."""
    return [
        ("get", url(number), None),
        ("get", url(number, "events"), None),
        ("post", url(number, "events"), {"body": "Hello"}),
        ("get", url(number, "clocks"), None),
        ("post", url(number, "transition"), {"status": "in_progress", "reason": "x"}),
        ("post", url(number, "assign"), {"assignee": "me"}),
        ("post", url(number, "reclassify"), {"severity": "1", "reason": "x"}),
        ("post", url(number, "reopen"), {"body": "New information"}),
        ("post", url(number, "escalate"), {"reason": "Urgent"}),
        ("post", url(number, "forward"), {"vendor": "Microsoft"}),
        ("post", url(number, "submit"), None),
    ]


@pytest.mark.django_db
def test_another_tenants_case_answers_404_on_every_endpoint(api, promark, load_pack):
    case = file_case(api, promark["contact"])
    mobilise = load_pack("mobilise")
    for user in (
        UserFactory(tenant=mobilise, role=Role.AGENT),
        UserFactory(tenant=mobilise, role=Role.TENANT_ADMIN),
    ):
        as_user(api, user)
        for method, path, body in _endpoints(case["number"]):
            response = getattr(api, method)(path, body, format="json")
            assert response.status_code == 404, (user.role, method, path, response.data)
    assert Case.objects.get(number=case["number"]).status == CaseStatus.NEW


@pytest.mark.django_db
def test_another_organisations_case_answers_404_to_a_contact(api, promark):
    case = file_case(api, promark["contact"])
    stranger = promark["standard_contact"].user
    as_user(api, stranger)
    staff_only = {"transition", "assign", "reclassify", "forward"}
    for method, path, body in _endpoints(case["number"]):
        response = getattr(api, method)(path, body, format="json")
        expected = 403 if path.rstrip("/").rsplit("/", 1)[-1] in staff_only else 404
        assert response.status_code == expected, (method, path, response.data)


# --- Replies and the timeline --------------------------------------------------------------------


@pytest.mark.django_db
def test_contact_reply_to_awaiting_customer_resumes_the_clocks(api, promark):
    number = file_case(api, promark["contact"], severity="1")["number"]
    as_user(api, promark["agent"])
    assert api.post(url(number, "assign"), {"assignee": "me"}, format="json").status_code == 200
    waiting = api.post(
        url(number, "transition"), {"status": "awaiting_customer", "reason": "Need logs"}
    )
    assert waiting.status_code == 200, waiting.data
    assert {c["state"] for c in waiting.data["clocks"]} == {"paused"}

    reply = as_user(api, promark["contact"].user).post(
        url(number, "events"), {"body": "Here are the logs."}, format="json"
    )
    assert reply.status_code == 201, reply.data
    assert reply.data["kind"] == "reply" and reply.data["public"] is True
    case = api.get(url(number)).json()
    assert case["status"] == "open"
    assert {c["state"] for c in case["clocks"]} == {"running"}


@pytest.mark.django_db
def test_internal_note_is_hidden_from_the_contact(api, promark):
    number = file_case(api, promark["contact"])["number"]
    note = as_user(api, promark["agent"]).post(
        url(number, "events"), {"body": "Customer is on an old version.", "public": False}
    )
    assert note.status_code == 201, note.data
    assert note.data["kind"] == "note" and note.data["public"] is False
    public = api.post(url(number, "events"), {"body": "We are looking into it."})
    assert public.status_code == 201
    staff_kinds = [e["kind"] for e in api.get(url(number, "events")).json()]
    assert staff_kinds == ["created", "note", "reply"]

    events = as_user(api, promark["contact"].user).get(url(number, "events")).json()
    assert all(e["public"] for e in events)
    assert "Customer is on an old version." not in str(events)
    assert [e["kind"] for e in events] == ["created", "reply"]


@pytest.mark.django_db
def test_contacts_cannot_write_notes_or_use_staff_actions(api, promark):
    number = file_case(api, promark["contact"])["number"]
    as_user(api, promark["contact"].user)
    note = api.post(url(number, "events"), {"body": "psst", "public": False}, format="json")
    assert note.status_code == 403
    for action, body in [
        ("transition", {"status": "resolved"}),
        ("assign", {"assignee": "me"}),
        ("reclassify", {"severity": "1", "reason": "Worse"}),
        ("forward", {"vendor": "Acme"}),
    ]:
        assert api.post(url(number, action), body, format="json").status_code == 403, action
    assert api.get(url(number)).json()["status"] == "new"
    assert len(api.get(url(number, "events")).json()) == 1


@pytest.mark.django_db
def test_empty_reply_answers_400(api, promark):
    number = file_case(api, promark["contact"])["number"]
    response = api.post(url(number, "events"), {"body": "  "}, format="json")
    assert response.status_code == 400
    assert "body" in response.data


# --- Workflow ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_transitions_valid_and_refused_with_a_message(api, promark):
    number = file_case(api, promark["contact"])["number"]
    as_user(api, promark["agent"])

    unassigned = api.post(url(number, "transition"), {"status": "open"}, format="json")
    assert unassigned.status_code == 400
    assert "Assign the case" in str(unassigned.data["status"])

    assigned = api.post(url(number, "assign"), {"assignee": "me"}, format="json")
    assert assigned.data["status"] == "open"
    assert assigned.data["assignee"] == promark["agent"].pk

    refused = api.post(url(number, "transition"), {"status": "closed"}, format="json")
    assert refused.status_code == 400
    assert "cannot move from “Open” to “Closed”" in str(refused.data["status"])
    assert api.post(url(number, "transition"), {"status": "nonsense"}).status_code == 400

    working = api.post(url(number, "transition"), {"status": "in_progress", "reason": "On it"})
    assert working.status_code == 200
    assert working.data["status"] == "in_progress"
    states = {c["metric"]: c["state"] for c in working.data["clocks"]}
    assert states["solution_started"] == "met"


@pytest.mark.django_db
def test_assign_refuses_strangers_and_contacts(api, promark, tenant_b):
    number = file_case(api, promark["contact"])["number"]
    as_user(api, promark["agent"])
    foreign = UserFactory(tenant=tenant_b, role=Role.AGENT)
    assert "assignee" in api.post(url(number, "assign"), {"assignee": foreign.pk}).data
    contact = api.post(url(number, "assign"), {"assignee": promark["contact"].user.pk})
    assert contact.status_code == 400 and "assignee" in contact.data
    unassign = api.post(url(number, "assign"), {"assignee": None}, format="json")
    assert unassign.status_code == 200 and unassign.data["assignee"] is None


@pytest.mark.django_db
def test_reclassify_recomputes_the_clocks(api, promark):
    number = file_case(api, promark["contact"], severity="3")["number"]
    as_user(api, promark["agent"])
    before = {c["metric"]: c for c in api.get(url(number, "clocks")).json()}
    assert before["response"]["target_seconds"] == 8 * 3600  # one working day (Premium)

    assert "reason" in api.post(url(number, "reclassify"), {"severity": "1", "reason": ""}).data
    assert "severity" in api.post(url(number, "reclassify"), {"severity": "Z", "reason": "x"}).data
    same = api.post(url(number, "reclassify"), {"severity": "3", "reason": "x"})
    assert same.status_code == 400 and "severity" in same.data

    response = api.post(
        url(number, "reclassify"), {"severity": "1", "reason": "Production is down"}
    )
    assert response.status_code == 200, response.data
    assert response.data["severity"] == "1"
    after = {c["metric"]: c for c in api.get(url(number, "clocks")).json()}
    assert after["response"]["target_seconds"] == 3600
    assert after["solution_started"]["target_seconds"] == 2 * 3600
    assert after["response"]["due_at"] == "2026-03-10T10:00:00Z"
    assert after["response"]["started_at"] == before["response"]["started_at"]
    events = as_user(api, promark["contact"].user).get(url(number, "events")).json()
    assert events[-1]["kind"] == "reclassified" and events[-1]["body"] == "Production is down"


@pytest.mark.django_db
def test_contact_reopens_a_resolved_case_with_new_information(api, promark):
    number = file_case(api, promark["contact"])["number"]
    contact = promark["contact"].user
    early = as_user(api, contact).post(url(number, "reopen"), {"body": "Still broken"})
    assert early.status_code == 400
    assert "resolved" in str(early.data)

    as_user(api, promark["agent"])
    api.post(url(number, "assign"), {"assignee": "me"}, format="json")
    resolved = api.post(url(number, "transition"), {"status": "resolved", "reason": "Fixed"})
    assert resolved.data["status"] == "resolved"

    as_user(api, contact)
    assert "body" in api.post(url(number, "reopen"), {"body": " "}).data
    reopened = api.post(url(number, "reopen"), {"body": "It fails again after the update."})
    assert reopened.status_code == 200, reopened.data
    assert reopened.data["status"] == "reopened"
    assert reopened.data["resolved_at"] is None


@pytest.mark.django_db
def test_escalation_follows_the_plan(api, promark):
    premium = file_case(api, promark["contact"])["number"]
    standard = file_case(api, promark["standard_contact"])["number"]

    refused = as_user(api, promark["standard_contact"].user).post(
        url(standard, "escalate"), {"reason": "We need this now"}
    )
    assert refused.status_code == 400
    assert "does not include escalation" in str(refused.data)

    escalated = as_user(api, promark["contact"].user).post(
        url(premium, "escalate"), {"reason": "We need this now"}
    )
    assert escalated.status_code == 200, escalated.data
    assert escalated.data["escalated_at"] == "2026-03-10T09:00:00Z"
    again = api.post(url(premium, "escalate"), {"reason": "Still"})
    assert again.status_code == 400

    staff = as_user(api, promark["agent"]).post(url(standard, "escalate"), {"reason": "Urgent"})
    assert staff.status_code == 200


@pytest.mark.django_db
def test_staff_forward_a_case_to_another_vendor(api, promark):
    number = file_case(api, promark["contact"])["number"]
    as_user(api, promark["agent"])
    assert "vendor" in api.post(url(number, "forward"), {"vendor": " "}).data
    response = api.post(
        url(number, "forward"),
        {"vendor": "Microsoft", "reference": "MS-42", "horizon": "Next patch Tuesday"},
    )
    assert response.status_code == 200, response.data
    assert response.data["external_vendor"] == "Microsoft"
    assert response.data["external_reference"] == "MS-42"
    assert response.data["external_horizon"] == "Next patch Tuesday"
    events = as_user(api, promark["contact"].user).get(url(number, "events")).json()
    assert events[-1]["kind"] == "forwarded"


# --- Clocks ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_clocks_endpoint_explains_each_clock(api, promark, time_machine):
    number = file_case(api, promark["contact"], severity="1")["number"]
    clocks = api.get(url(number, "clocks")).json()
    assert [c["metric"] for c in clocks] == ["response", "solution_started"]
    response = clocks[0]
    assert set(response) == {
        "metric",
        "state",
        "target_value",
        "target_unit",
        "target_seconds",
        "calendar",
        "source",
        "started_at",
        "due_at",
        "breach_at",
        "warn_at",
        "stopped_at",
        "remaining_seconds",
        "explanation",
    }
    assert response["state"] == "running"
    assert (response["target_value"], response["target_unit"]) == ("1.00", "working_hours")
    assert response["target_seconds"] == 3600
    assert response["calendar"] == "business"
    assert response["due_at"] == "2026-03-10T10:00:00Z"
    assert response["breach_at"] == "2026-03-10T10:00:00Z"
    assert response["warn_at"] == "2026-03-10T09:45:00Z"
    assert response["remaining_seconds"] == 3600
    assert "due" in response["explanation"]

    time_machine.move_to(NOW + dt.timedelta(minutes=50), tick=False)
    assert api.get(url(number, "clocks")).json()[0]["state"] == "warning"
    assert api.get(url(number)).json()["clocks"][0]["state"] == "warning"
    time_machine.move_to(NOW + dt.timedelta(minutes=70), tick=False)
    late = api.get(url(number, "clocks")).json()[0]
    assert late["state"] == "overdue"
    assert late["remaining_seconds"] == -600


# --- Query counts and schema -----------------------------------------------------------------


def _bulk_cases(organization, requester, assignee, start: int, count: int) -> None:
    """Cases with two clocks each, written in bulk (the list test needs hundreds)."""
    tenant = organization.tenant
    severities = list(SeverityLevel.objects.for_tenant(tenant))
    cases = Case.objects.bulk_create(
        Case(
            tenant=tenant,
            number=f"{tenant.case_prefix}-{n:06d}",
            organization=organization,
            requester=requester,
            severity=severities[n % len(severities)],
            subject=f"Case {n}",
            description="Bulk",
            channel="portal",
            assignee=assignee if n % 2 else None,
            filed_at=NOW - dt.timedelta(minutes=n),
        )
        for n in range(start, start + count)
    )
    SlaClock.objects.bulk_create(
        SlaClock(
            tenant=tenant,
            case=case,
            metric=metric,
            target_value=1,
            target_unit="working_hours",
            target_seconds=3600,
            source="test",
            started_at=case.filed_at,
            due_at=case.filed_at + dt.timedelta(hours=1),
            breach_at=case.filed_at + dt.timedelta(hours=1),
            warn_at=case.filed_at + dt.timedelta(minutes=45),
        )
        for case in cases
        for metric in ("response", "solution_started")
    )


def _list_queries(api, user, expected_rows: int) -> int:
    as_user(api, user)
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/cases/?limit=500")
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == expected_rows
    assert all(len(row["clocks"]) == 2 for row in results)
    return len(queries)


@pytest.mark.django_db
def test_case_list_costs_the_same_queries_for_5_and_200_cases(api, promark):
    organization, contact = promark["premium"], promark["contact"].user
    agent = promark["agent"]
    _bulk_cases(organization, contact, agent, start=1, count=5)
    staff_small = _list_queries(api, agent, 5)
    contact_small = _list_queries(api, contact, 5)
    _bulk_cases(organization, contact, agent, start=6, count=195)
    assert _list_queries(api, agent, 200) == staff_small
    assert _list_queries(api, contact, 200) == contact_small
    assert staff_small <= 4, staff_small  # count, page, clocks (+ nothing per row)


@pytest.mark.django_db
def test_openapi_schema_documents_the_case_endpoints(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/cases/",
        "/api/v1/cases/{number}/",
        "/api/v1/cases/{number}/events/",
        "/api/v1/cases/{number}/transition/",
        "/api/v1/cases/{number}/assign/",
        "/api/v1/cases/{number}/reclassify/",
        "/api/v1/cases/{number}/reopen/",
        "/api/v1/cases/{number}/escalate/",
        "/api/v1/cases/{number}/forward/",
        "/api/v1/cases/{number}/submit/",
        "/api/v1/cases/{number}/clocks/",
    ):
        assert path in paths, path
    assert {"get", "post"} <= set(paths["/api/v1/cases/"])
    assert {"get", "post"} <= set(paths["/api/v1/cases/{number}/events/"])


@pytest.mark.django_db
def test_anonymous_and_operator_access_is_refused(api):
    assert api.get("/api/v1/cases/").status_code in (401, 403)
    assert api.post("/api/v1/cases/", {}, format="json").status_code in (401, 403)
    operator = UserFactory(tenant=None, role=Role.AGENT, is_superuser=True, is_staff=True)
    assert as_user(api, operator).get("/api/v1/cases/").status_code == 403


@pytest.mark.django_db
def test_account_managers_read_cases_but_do_not_work_them(api, promark):
    number = file_case(api, promark["contact"])["number"]
    manager = UserFactory(tenant=promark["tenant"], role=Role.ACCOUNT_MANAGER)
    as_user(api, manager)
    assert api.get("/api/v1/cases/").json()["count"] == 1
    assert api.get(url(number)).status_code == 200
    assert api.get(url(number, "clocks")).status_code == 200
    assert api.post(url(number, "assign"), {"assignee": "me"}).status_code == 403
    assert api.post(url(number, "events"), {"body": "Hi"}).status_code == 403
    filing = api.post(
        "/api/v1/cases/",
        {"requester": promark["contact"].user.pk, "subject": "x", "description": "y"},
    )
    assert filing.status_code == 403


@pytest.mark.django_db
def test_reply_attachments_are_checked_and_listed(api, promark):
    number = file_case(api, promark["contact"])["number"]
    junk = SimpleUploadedFile("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00" * 64)
    refused = api.post(url(number, "events"), {"body": "See file", "attachments": [junk]})
    assert refused.status_code == 400
    assert "tool.exe" in str(refused.data)
    assert len(api.get(url(number, "events")).json()) == 1

    accepted = api.post(
        url(number, "events"), {"body": "See screenshot", "attachments": [screenshot("s.png")]}
    )
    assert accepted.status_code == 201, accepted.data
    (attachment,) = accepted.data["attachments"]
    assert attachment["original_name"] == "s.png"
    assert attachment["content_type"] == "image/png"
