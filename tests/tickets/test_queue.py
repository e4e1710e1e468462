"""The agent queue and the agent's case page, on the real ProMark contract.

No frozen clock: cases are filed now (or by phone with a past call time), and the
colour tests move a clock's warning and breach instants directly.
"""

import datetime as dt
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from plans.models import CaseType, Plan, SeverityLevel
from plans.services import subscription_create
from sla.models import ClockState, SlaClock
from supportdesk.models import Role
from tests.factories import ContactFactory, OrganizationFactory, SeverityFactory, UserFactory
from tests.plans.conftest import read_pack
from tickets.cases.selectors import timeline
from tickets.cases.services import case_assign, case_file, case_transition
from tickets.models import Case, CaseStatus, EventKind

UTC = dt.UTC


@pytest.fixture
def load_pack(db):
    """Load a shipped pack into the test database and return its tenant."""
    from plans.policy import policy_pack_load

    def load(name: str):
        return policy_pack_load(document=read_pack(name)).tenant

    return load


def subscribed(tenant, plan_key, name):
    organization = OrganizationFactory(tenant=tenant, name=name)
    subscription_create(
        organization=organization,
        plan=Plan.objects.get(tenant=tenant, key=plan_key),
        starts_on=dt.date(2025, 1, 1),
    )
    return organization


@pytest.fixture
def promark(load_pack):
    tenant = load_pack("promark")
    premium = subscribed(tenant, "premium", "Aarhus Havn A/S")
    standard = subscribed(tenant, "standard", "Odense Zoo")
    return SimpleNamespace(
        tenant=tenant,
        orgs={"premium": premium, "standard": standard},
        contacts={
            "premium": ContactFactory(organization=premium).user,
            "standard": ContactFactory(organization=standard).user,
        },
        agent=UserFactory(tenant=tenant, role=Role.AGENT, first_name="Agnes", last_name="Berg"),
        colleague=UserFactory(tenant=tenant, role=Role.AGENT, first_name="Carl", last_name="Dahl"),
        severity={s.key: s for s in SeverityLevel.objects.filter(tenant=tenant)},
        incident=CaseType.objects.get(tenant=tenant, key="incident"),
    )


def file(world, *, org="premium", severity="2", subject="Roster does not load", **extra):
    """A contact files through the portal; with `filed_at` an agent files a phone call."""
    contact = world.contacts[org]
    actor = contact
    if "filed_at" in extra:
        actor, extra["channel"] = world.agent, "phone"
    return case_file(
        actor=actor,
        organization=world.orgs[org],
        requester=contact,
        severity=world.severity[severity],
        case_type=world.incident,
        subject=subject,
        description="Blank page since the upgrade.",
        **extra,
    )


def rows(html):
    """(case number, state class) of each queue row, in page order."""
    return re.findall(
        r'<tr class="queue-row state-(\w+)" data-testid="queue-row" data-case-number="([\w-]+)"',
        html,
    )


def numbers(html):
    return [number for _state, number in rows(html)]


@pytest.fixture
def agent_client(client, promark):
    client.force_login(promark.agent)
    return client


# --- the queue --------------------------------------------------------------------------------


def test_queue_orders_by_the_nearest_breach(agent_client, promark):
    earlier = timezone.now() - dt.timedelta(minutes=10)
    minor = file(promark, severity="3", subject="Typo in report", filed_at=earlier)
    critical = file(promark, severity="1", subject="Everything is down")
    nothing_due = file(promark, org="standard", severity="1", subject="No clock")
    SlaClock.objects.filter(case=nothing_due).update(state=ClockState.MET)
    html = agent_client.get("/queue/").content.decode()
    assert numbers(html) == [critical.number, minor.number, nothing_due.number]
    assert "Everything is down" in html and "Aarhus Havn A/S" in html
    assert re.search(r"due \w{3} (\d+ \w{3} )?\d\d:\d\d", html)
    assert re.search(r"\d+ (h|min)[^<]* left", html)


def test_rows_are_coloured_by_sla_state(agent_client, promark):
    now = timezone.now()
    on_track = file(promark, subject="On track")
    warning = file(promark, subject="Warning")
    breached = file(promark, subject="Breached")
    paused = file(promark, subject="Paused")
    SlaClock.objects.filter(case=warning, metric="response").update(
        warn_at=now - dt.timedelta(minutes=5), breach_at=now + dt.timedelta(hours=1)
    )
    SlaClock.objects.filter(case=breached, metric="response").update(
        warn_at=now - dt.timedelta(hours=2), breach_at=now - dt.timedelta(minutes=1)
    )
    case_transition(case=paused, to="awaiting_customer", actor=promark.agent)
    states = {number: state for state, number in rows(agent_client.get("/queue/").content.decode())}
    assert states == {
        on_track.number: "on_track",
        warning.number: "warning",
        breached.number: "breached",
        paused.number: "paused",
    }
    css = (Path(__file__).resolve().parents[2] / "static/css/queue.css").read_text()
    for state in ("on_track", "warning", "breached", "paused"):
        assert f".queue-row.state-{state}" in css


@pytest.fixture
def mix(promark):
    """Cases that differ in every filtered attribute."""
    now = timezone.now()
    cases = SimpleNamespace(
        sev1=file(promark, severity="1", subject="Sev one"),
        sev3=file(promark, severity="3", subject="Sev three"),
        standard=file(promark, org="standard", severity="2", subject="Standard customer"),
        waiting=file(promark, severity="2", subject="Waiting for customer"),
        mine=file(promark, severity="2", subject="Mine"),
        colleagues=file(promark, severity="2", subject="Colleague's"),
        late=file(promark, severity="2", subject="Late one"),
    )
    case_transition(case=cases.waiting, to="awaiting_customer", actor=promark.agent)
    case_assign(case=cases.mine, assignee=promark.agent, actor=promark.agent)
    case_assign(case=cases.colleagues, assignee=promark.colleague, actor=promark.agent)
    SlaClock.objects.filter(case=cases.late, metric="response").update(
        breach_at=now - dt.timedelta(minutes=1)
    )
    resolved = file(promark, severity="1", subject="Resolved already")
    case_transition(case=resolved, to="resolved", actor=promark.agent)
    return cases


def test_queue_lists_only_open_cases(agent_client, mix):
    html = agent_client.get("/queue/").content.decode()
    assert sorted(numbers(html)) == sorted(case.number for case in vars(mix).values())
    assert "Resolved already" not in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"severity": "1"}, ["sev1"]),
        ({"severity": "3"}, ["sev3"]),
        ({"status": "awaiting_customer"}, ["waiting"]),
        ({"plan": "standard"}, ["standard"]),
        ({"assignee": "me"}, ["mine"]),
        ({"assignee": "colleague"}, ["colleagues"]),
        ({"breached": "on"}, ["late"]),
        ({"severity": "2", "assignee": "none"}, ["standard", "waiting", "late"]),
    ],
)
def test_each_filter(agent_client, promark, mix, query, expected):
    if query.get("assignee") == "colleague":
        query = {"assignee": str(promark.colleague.pk)}
    html = agent_client.get("/queue/", query).content.decode()
    assert sorted(numbers(html)) == sorted(getattr(mix, name).number for name in expected)


def test_customer_filter_and_unknown_values(agent_client, promark, mix):
    html = agent_client.get("/queue/", {"organization": promark.orgs["standard"].pk}).content
    assert numbers(html.decode()) == [mix.standard.number]
    # A value that is not offered is ignored with a note, never a crash or an empty page.
    response = agent_client.get("/queue/", {"organization": "999999", "severity": "1"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Some filters were not understood" in html
    assert numbers(html) == [mix.sev1.number]


def test_queue_paginates_keeping_the_filter(agent_client, promark, monkeypatch):
    monkeypatch.setattr("tickets.web.queue.PAGE_SIZE", 2)
    for n in range(5):
        file(promark, severity="2", subject=f"Case {n}")
    html = agent_client.get("/queue/", {"severity": "2"}).content.decode()
    assert len(numbers(html)) == 2
    assert "page=2" in html and "severity=2&amp;page=2" in html
    page3 = agent_client.get("/queue/", {"severity": "2", "page": 3}).content.decode()
    assert len(numbers(page3)) == 1


def test_counters_fragment_refreshes_itself(agent_client, promark, mix):
    response = agent_client.get("/queue/counters/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="queue-counters"' in html
    assert 'hx-get="/queue/counters/"' in html and 'hx-trigger="every 30s"' in html
    assert "<html" not in html

    def count(name):
        return int(re.search(rf'data-testid="counter-{name}"><strong>(\d+)', html).group(1))

    assert count("open") == 7
    assert count("mine") == 1
    assert count("unassigned") == 5
    assert count("breached") == 1
    assert count("paused") == 1
    page = agent_client.get("/queue/").content.decode()
    assert 'data-testid="queue-counters"' in page and 'hx-trigger="every 30s"' in page


def test_assign_to_me_from_the_queue(agent_client, promark):
    case = file(promark)
    html = agent_client.get("/queue/").content.decode()
    assert 'data-testid="assign-me"' in html
    response = agent_client.post(
        "/queue/assign/", {"cases": [case.pk], "assignee": "me", "next": "/queue/?severity=2"}
    )
    assert response.status_code == 302 and response["Location"] == "/queue/?severity=2"
    case.refresh_from_db()
    assert case.assignee == promark.agent and case.status == CaseStatus.OPEN
    page = agent_client.get(response["Location"]).content.decode()
    assert "1 case assigned to Agnes Berg." in page


def test_bulk_assign(agent_client, promark):
    first, second, untouched = file(promark), file(promark), file(promark)
    response = agent_client.post(
        "/queue/assign/", {"cases": [first.pk, second.pk], "assignee": promark.colleague.pk}
    )
    assert response.status_code == 302
    assert {c.assignee_id for c in Case.objects.filter(pk__in=[first.pk, second.pk])} == {
        promark.colleague.pk
    }
    untouched.refresh_from_db()
    assert untouched.assignee is None


def test_bulk_assign_without_cases_shows_the_error_and_keeps_the_filter(agent_client, promark):
    file(promark)
    response = agent_client.post(
        "/queue/assign/", {"assignee": promark.colleague.pk, "next": "/queue/?severity=2"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Tick the cases to assign." in html
    assert 'value="/queue/?severity=2"' in html
    assert f'<option value="{promark.colleague.pk}" selected>' in html


def test_bulk_assign_ignores_another_tenants_cases(agent_client, promark, tenant_b):
    foreign_org = OrganizationFactory(tenant=tenant_b)
    foreign_contact = ContactFactory(organization=foreign_org).user
    foreign = case_file(
        actor=foreign_contact,
        organization=foreign_org,
        requester=foreign_contact,
        severity=SeverityFactory(tenant=tenant_b),
        subject="Theirs",
        description="Not yours",
    )
    response = agent_client.post("/queue/assign/", {"cases": [foreign.pk], "assignee": "me"})
    assert response.status_code == 400
    assert "None of the ticked cases is an open case of your desk." in response.content.decode()
    foreign.refresh_from_db()
    assert foreign.assignee is None
    # Mixed with one of ours: ours is assigned, theirs is not touched.
    ours = file(promark)
    agent_client.post("/queue/assign/", {"cases": [foreign.pk, ours.pk], "assignee": "me"})
    ours.refresh_from_db()
    foreign.refresh_from_db()
    assert ours.assignee == promark.agent and foreign.assignee is None


def test_bulk_assign_refuses_someone_outside_the_desk(agent_client, promark):
    case = file(promark)
    response = agent_client.post(
        "/queue/assign/", {"cases": [case.pk], "assignee": promark.contacts["premium"].pk}
    )
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.assignee is None


# --- query counts -----------------------------------------------------------------------------


def _queue_queries(client):
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/queue/")
    assert response.status_code == 200
    return len(captured), len(numbers(response.content.decode()))


def test_queue_page_costs_the_same_queries_for_5_and_200_cases(agent_client, promark):
    def add(count):
        for n in range(count):
            org = "premium" if n % 2 else "standard"
            case = file(promark, org=org, severity=str(n % 3 + 1), subject=f"Case {n}")
            if n % 3 == 0:
                case_assign(case=case, assignee=promark.colleague, actor=promark.agent)
            if n % 5 == 0:
                case_transition(case=case, to="awaiting_customer", actor=promark.agent)

    add(5)
    small, shown_small = _queue_queries(agent_client)
    add(195)
    large, shown_large = _queue_queries(agent_client)
    assert (shown_small, shown_large) == (5, 50)
    assert small == large, f"5 cases: {small} queries, 200 cases: {large} queries"
    assert large <= 16


# --- the case page ----------------------------------------------------------------------------


def page(client, case):
    response = client.get(f"/queue/cases/{case.number}/")
    assert response.status_code == 200
    return response.content.decode()


def test_case_page_shows_header_clocks_and_timeline(agent_client, promark):
    case = file(promark, severity="1", subject="Everything is down")
    html = page(agent_client, case)
    assert case.number in html and "Everything is down" in html
    assert "Aarhus Havn A/S" in html and promark.contacts["premium"].email in html
    assert re.search(r'data-testid="case-status">New<', html)
    assert "Fejl" in html  # the case type
    assert 'data-metric="response"' in html and 'data-metric="solution_started"' in html
    assert "within 1 working hour" in html
    assert re.search(r'data-testid="clock-remaining">\d+ (h|min)[^<]* left<', html)
    assert 'data-testid="clock-explanation">filed ' in html
    for status in ("open", "in_progress", "awaiting_customer", "on_hold", "resolved"):
        assert f'data-testid="to-{status}"' in html
    assert 'data-testid="to-closed"' not in html
    for testid in ("reply-body", "reply-public", "reply-submit", "assign-me"):
        assert f'data-testid="{testid}"' in html


def test_explanation_names_the_easter_holidays(agent_client, promark):
    # Wed 1 April 2026 14:00 CEST, severity 2 on Standard: 8 working hours run 2 h on
    # Wednesday, skip Maundy Thursday, Good Friday, the weekend and Easter Monday.
    call = dt.datetime(2026, 4, 1, 12, 0, tzinfo=UTC)
    case = file(promark, org="standard", severity="2", filed_at=call)
    response_clock = case.clocks.get(metric="response")
    assert timezone.localtime(response_clock.due_at).date() == dt.date(2026, 4, 7)
    html = page(agent_client, case)
    for holiday in ("Maundy Thursday", "Good Friday", "Easter Monday"):
        assert holiday in html
    assert "Tue 7 Apr 2026 14:00" in html  # due, in the viewer's zone
    assert "overdue by" in html


def test_due_times_follow_the_viewers_time_zone(client, promark):
    call = dt.datetime(2026, 4, 1, 12, 0, tzinfo=UTC)
    case = file(promark, org="standard", severity="2", filed_at=call)
    client.force_login(
        UserFactory(tenant=promark.tenant, role=Role.AGENT, timezone="America/New_York")
    )
    html = page(client, case)
    assert "Tue 7 Apr 2026 08:00" in html  # 14:00 in Copenhagen


def test_public_reply_and_internal_note(agent_client, promark):
    case = file(promark)
    contact = promark.contacts["premium"]
    url = f"/queue/cases/{case.number}/reply/"
    response = agent_client.post(url, {"body": "Only for us: DB is slow", "visibility": "internal"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.first_response_at is None  # a note is no response
    response = agent_client.post(url, {"body": "We are looking at it.", "visibility": "public"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.first_response_at is not None and case.assignee == promark.agent
    assert case.clocks.get(metric="response").state == ClockState.MET
    seen_by_contact = [e.body for e in timeline(case=case, actor=contact)]
    assert "We are looking at it." in seen_by_contact
    assert "Only for us: DB is slow" not in seen_by_contact
    html = page(agent_client, case)
    assert "Only for us: DB is slow" in html
    note = re.search(r'<li class="event kind-note event-internal"[^>]*data-public="false"', html)
    assert note and 'data-testid="internal-badge"' in html


def test_empty_reply_keeps_the_choice_and_says_why(agent_client, promark):
    case = file(promark)
    response = agent_client.post(
        f"/queue/cases/{case.number}/reply/", {"body": "   ", "visibility": "internal"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Write a message." in html
    assert 'value="internal" data-testid="reply-internal" checked' in html
    assert case.events.filter(kind__in=[EventKind.REPLY, EventKind.NOTE]).count() == 0


def test_reply_with_an_attachment_that_can_be_downloaded(agent_client, promark):
    case = file(promark)
    log = SimpleUploadedFile("server.log", b"ERROR 500 at /roster\n", "text/plain")
    agent_client.post(
        f"/queue/cases/{case.number}/reply/",
        {"body": "Log attached", "visibility": "internal", "attachments": [log]},
    )
    attachment = case.attachments.get()
    html = page(agent_client, case)
    url = f"/queue/cases/{case.number}/attachments/{attachment.pk}/"
    assert url in html and "server.log" in html
    download = agent_client.get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"ERROR 500 at /roster\n"


def test_transitions_and_an_invalid_one(agent_client, promark):
    case = file(promark)
    url = f"/queue/cases/{case.number}/transition/"
    response = agent_client.post(url, {"to": "closed", "reason": "Done, I think"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "A case cannot move from “New” to “Closed”." in html
    assert "Done, I think" in html  # the typed comment is kept
    response = agent_client.post(url, {"to": "open"})
    assert response.status_code == 400
    assert "Assign the case before opening it." in response.content.decode()
    response = agent_client.post(url, {"to": "in_progress"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    html = page(agent_client, case)
    assert re.search(r'data-testid="case-status">In progress<', html)
    assert "Status changed to “In progress”." in html
    assert 'data-testid="to-in_progress"' not in html and 'data-testid="to-open"' in html


def test_awaiting_customer_pauses_the_clocks(agent_client, promark):
    case = file(promark)
    agent_client.post(f"/queue/cases/{case.number}/transition/", {"to": "awaiting_customer"})
    assert set(case.clocks.values_list("state", flat=True)) == {ClockState.PAUSED}
    html = page(agent_client, case)
    assert re.search(r'data-testid="clock-remaining">paused<', html)
    assert 'data-state="paused"' in html
    queue_states = dict(
        (number, state) for state, number in rows(agent_client.get("/queue/").content.decode())
    )
    assert queue_states[case.number] == "paused"


def test_reclassify_changes_the_clocks_and_shows_on_the_timeline(agent_client, promark):
    case = file(promark, severity="3")
    assert case.clocks.get(metric="response").target_seconds == 8 * 3600
    url = f"/queue/cases/{case.number}/reclassify/"
    response = agent_client.post(url, {"severity": "1", "reason": ""})
    assert response.status_code == 400
    assert "Say why the severity changes." in response.content.decode()
    response = agent_client.post(url, {"severity": "1", "reason": "Production is down"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.severity.key == "1"
    assert case.clocks.get(metric="response").target_seconds == 3600
    html = page(agent_client, case)
    assert 'data-kind="reclassified"' in html and "Production is down" in html
    assert "severity 3 → 1" in html
    response = agent_client.post(url, {"severity": "1", "reason": "Again"})
    assert response.status_code == 400
    assert "The case already has this severity." in response.content.decode()


def test_forward_to_an_external_vendor(agent_client, promark):
    case = file(promark)
    url = f"/queue/cases/{case.number}/forward/"
    response = agent_client.post(url, {"vendor": " ", "reference": "INC-42"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Name the vendor." in html and 'value="INC-42"' in html
    response = agent_client.post(
        url, {"vendor": "Vivant", "reference": "INC-42", "horizon": "within 3 working days"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.external_vendor, case.external_reference, case.external_horizon) == (
        "Vivant",
        "INC-42",
        "within 3 working days",
    )
    html = page(agent_client, case)
    assert 'data-testid="forward-vendor">Vivant<' in html
    assert 'data-kind="forwarded"' in html and "reference INC-42" in html


def test_escalate(agent_client, promark):
    case = file(promark)
    url = f"/queue/cases/{case.number}/escalate/"
    assert agent_client.post(url, {"reason": ""}).status_code == 400
    assert agent_client.post(url, {"reason": "Customer's CEO called"}).status_code == 302
    case.refresh_from_db()
    assert case.escalated_at is not None
    assert 'data-testid="case-escalated"' in page(agent_client, case)


def test_assign_from_the_case_page(agent_client, promark):
    case = file(promark)
    url = f"/queue/cases/{case.number}/assign/"
    assert agent_client.post(url, {"assignee": "me"}).status_code == 302
    case.refresh_from_db()
    assert case.assignee == promark.agent
    assert agent_client.post(url, {"assignee": promark.colleague.pk}).status_code == 302
    case.refresh_from_db()
    assert case.assignee == promark.colleague
    assert agent_client.post(url, {"assignee": "12345678"}).status_code == 400


# --- who may see what -------------------------------------------------------------------------


def case_urls(case, attachment_pk):
    base = f"/queue/cases/{case.number}/"
    return [
        ("get", base, {}),
        ("post", base + "reply/", {"body": "Hi", "visibility": "public"}),
        ("post", base + "transition/", {"to": "in_progress"}),
        ("post", base + "assign/", {"assignee": "me"}),
        ("post", base + "reclassify/", {"severity": "1", "reason": "Because"}),
        ("post", base + "forward/", {"vendor": "Synerity"}),
        ("post", base + "escalate/", {"reason": "Because"}),
        ("get", f"{base}attachments/{attachment_pk}/", {}),
    ]


@pytest.fixture
def case_with_file(promark):
    screenshot = SimpleUploadedFile("shot.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png")
    return file(promark, attachments=[screenshot])


@pytest.mark.parametrize("who", ["other_tenant_agent", "contact", "account_manager"])
def test_case_urls_answer_404_outside_the_agents_of_the_tenant(
    client, promark, case_with_file, who, tenant_b
):
    user = {
        "other_tenant_agent": lambda: UserFactory(tenant=tenant_b, role=Role.AGENT),
        "contact": lambda: promark.contacts["premium"],
        "account_manager": lambda: UserFactory(tenant=promark.tenant, role=Role.ACCOUNT_MANAGER),
    }[who]()
    client.force_login(user)
    attachment = case_with_file.attachments.get()
    for method, url, data in case_urls(case_with_file, attachment.pk):
        assert getattr(client, method)(url, data).status_code == 404, url
    # The queue pages themselves: another desk's agent has their own (empty) queue, and
    # cannot assign our case; anyone who is not an agent gets 404.
    foreign_agent = who == "other_tenant_agent"
    assert client.get("/queue/").status_code == (200 if foreign_agent else 404)
    assert client.get("/queue/counters/").status_code == (200 if foreign_agent else 404)
    response = client.post("/queue/assign/", {"cases": [case_with_file.pk], "assignee": "me"})
    assert response.status_code == (400 if foreign_agent else 404)
    case_with_file.refresh_from_db()
    assert case_with_file.status == CaseStatus.NEW and case_with_file.assignee is None
    assert case_with_file.external_vendor == "" and case_with_file.escalated_at is None


def test_another_tenants_agent_sees_none_of_our_cases_in_their_queue(client, promark, tenant_b):
    ours = file(promark, subject="Aarhus secret")
    client.force_login(UserFactory(tenant=tenant_b, role=Role.AGENT))
    html = client.get("/queue/").content.decode()
    assert ours.number not in html and "Aarhus secret" not in html
    assert client.get("/queue/", {"organization": promark.orgs["premium"].pk}).status_code == 200


def test_an_unknown_attachment_of_our_own_case_is_404(agent_client, promark, case_with_file):
    other = file(promark)
    attachment = case_with_file.attachments.get()
    assert (
        agent_client.get(f"/queue/cases/{other.number}/attachments/{attachment.pk}/").status_code
        == 404
    )
    assert agent_client.get("/queue/cases/PRO-999999/").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, promark):
    case = file(promark)
    assert client.get(f"/queue/cases/{case.number}/").status_code == 302
    assert client.get("/queue/counters/").status_code == 302


def test_a_refused_attachment_keeps_the_typed_reply(agent_client, promark):
    case = file(promark)
    binary = SimpleUploadedFile("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "text/plain")
    response = agent_client.post(
        f"/queue/cases/{case.number}/reply/",
        {"body": "Please run the attached tool", "visibility": "public", "attachments": [binary]},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "tool.exe is not an image, a PDF or a text log." in html
    assert ">Please run the attached tool</textarea>" in html
    assert not case.events.filter(kind=EventKind.REPLY).exists()


def test_case_page_queries_do_not_grow_with_the_timeline(agent_client, promark):
    case = file(promark)
    url = f"/queue/cases/{case.number}/"

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert agent_client.get(url).status_code == 200
        return len(captured)

    short = count()
    for n in range(15):
        files = [SimpleUploadedFile(f"{n}.log", b"line\n", "text/plain")] if n < 3 else []
        response = agent_client.post(
            url + "reply/", {"body": f"Note {n}", "visibility": "internal", "attachments": files}
        )
        assert response.status_code == 302
    assert case.attachments.count() == 3
    assert count() == short
