"""The customer portal: filing under the tenant's rules, the organisation's case list,
the public thread, replies, reopening, escalation, attachments, and isolation (404)."""

import datetime as dt
import html as html_lib
import re

import pytest
import time_machine
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile

from plans.models import CaseType, Plan, SeverityLevel
from plans.services import subscription_create
from sla.models import SlaClock
from supportdesk.models import Role
from tests.factories import ContactFactory, OrganizationFactory, UserFactory
from tickets.cases.services import (
    case_assign,
    case_file,
    case_reply,
    case_transition,
)
from tickets.models import Attachment, Case, CasePause, CaseStatus, EventKind

PACKS = __import__("pathlib").Path(__file__).resolve().parents[2] / "plans" / "packs"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
LOG = b"2026-06-02 10:00:01 ERROR payment gateway timed out\n2026-06-02 10:00:02 retrying\n"
EXE = b"MZ\x90\x00" + b"\x00" * 60


@pytest.fixture
def load_pack(db):
    """Load a shipped pack into the test database and return its tenant."""
    from plans.policy import policy_pack_load

    def load(name: str):
        document = yaml.safe_load((PACKS / f"{name}.yaml").read_text(encoding="utf-8"))
        return policy_pack_load(document=document).tenant

    return load


def subscribed(tenant, plan_key, **kwargs):
    organization = OrganizationFactory(tenant=tenant, **kwargs)
    subscription_create(
        organization=organization,
        plan=Plan.objects.get(tenant=tenant, key=plan_key),
        starts_on=dt.date(2025, 1, 1),
    )
    return organization


def png(name="screenshot.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def log(name="app.log"):
    return SimpleUploadedFile(name, LOG, content_type="text/plain")


@pytest.fixture
def mobilise(load_pack):
    tenant = load_pack("mobilise")
    organization = subscribed(tenant, "standard", name="Oslo Idrettslag")
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


def mobilise_form(m, **changes):
    data = {
        "subject": "Ticket sales stopped",
        "description": "Checkout shows 'payment failed' for every buyer.",
        "severity": m["A"].pk,
        "case_type": CaseType.objects.get(tenant=m["tenant"], key="system_fault").pk,
        "event_name": "oslo.example / Holmenkollen Cup",
        "affected_users": "All buyers",
        "steps_tried": "Cleared the cache, tried another browser.",
        "customer_reference": "OIL-77",
        "attachments": [png(), log()],
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def file_directly(user, organization, severity, subject="Printer on fire", **extra):
    """A case filed through the service (as the portal would), for list and thread tests."""
    values = {
        "event_name": "x",
        "affected_users": "x",
        "steps_tried": "x",
        "attachments": [png()],
    }
    values.update(extra)
    return case_file(
        actor=user,
        organization=organization,
        requester=user,
        severity=severity,
        subject=subject,
        description=f"{subject}: details",
        **values,
    )


def html(response):
    """The page's text with entities decoded ("organisation's", not "organisation&#x27;s")."""
    return html_lib.unescape(response.content.decode())


# --- Filing ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_file_a_case_with_screenshot_and_log(client, mobilise):
    client.force_login(mobilise["admin"])
    page = client.get("/portal/cases/new/")
    assert page.status_code == 200
    text = html(page)
    assert 'data-testid="attachments"' in text and "multiple" in text
    assert 'name="product_version"' not in text  # Mobilise has no versions

    response = client.post("/portal/cases/new/", mobilise_form(mobilise))

    case = Case.objects.get(tenant=mobilise["tenant"])
    assert response.status_code == 302
    assert response["Location"] == f"/portal/cases/{case.number}/"
    assert case.number == "MOB-000001"
    assert case.status == CaseStatus.NEW
    assert case.channel == "portal"
    assert case.customer_reference == "OIL-77"
    assert SlaClock.objects.filter(case=case, metric="response").exists()
    types = dict(Attachment.objects.filter(case=case).values_list("original_name", "content_type"))
    assert types == {"screenshot.png": "image/png", "app.log": "text/plain"}

    page = html(client.get(response["Location"]))
    assert "Case MOB-000001 was filed." in page
    assert 'data-status="new"' in page
    assert page.count('data-testid="attachment-link"') == 2
    assert 'data-testid="clock"' in page and "Response" in page


@pytest.mark.django_db
def test_file_form_marks_the_contracts_required_fields(client, mobilise):
    client.force_login(mobilise["admin"])
    text = html(client.get("/portal/cases/new/"))
    for name in ("event_name", "affected_users", "steps_tried", "attachments"):
        block = re.search(rf'<div class="portal-field" data-field="{name}">.*?</div>', text, re.S)
        assert block and 'class="required"' in block.group(0), name
    customer_reference = re.search(
        r'<div class="portal-field" data-field="customer_reference">.*?</div>', text, re.S
    )
    assert 'class="required"' not in customer_reference.group(0)
    assert "Attach a screenshot of the error message." in text


@pytest.mark.django_db
def test_an_exe_named_png_is_refused_on_the_file_field(client, mobilise):
    client.force_login(mobilise["admin"])
    fake = SimpleUploadedFile("screenshot.png", EXE, content_type="image/png")
    response = client.post("/portal/cases/new/", mobilise_form(mobilise, attachments=[fake]))
    assert response.status_code == 400
    form = response.context["form"]
    assert "is not an image, a PDF or a text log" in " ".join(form.errors["attachments"])
    assert not Case.objects.exists()
    text = html(response)
    assert 'value="Ticket sales stopped"' in text  # nothing typed is lost
    assert "Cleared the cache, tried another browser." in text
    assert "choose these files again: screenshot.png" in text


@pytest.mark.django_db
def test_an_oversize_file_is_refused(client, mobilise, monkeypatch):
    monkeypatch.setattr("tickets.cases.attachments.MAX_ATTACHMENT_BYTES", 20)
    client.force_login(mobilise["admin"])
    response = client.post("/portal/cases/new/", mobilise_form(mobilise))
    assert response.status_code == 400
    assert "larger than" in " ".join(response.context["form"].errors["attachments"])
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_mobilise_required_fields_missing(client, mobilise):
    client.force_login(mobilise["admin"])
    data = mobilise_form(
        mobilise, event_name="", affected_users="", steps_tried="", attachments=None
    )
    response = client.post("/portal/cases/new/", data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"event_name", "affected_users", "steps_tried", "attachments"}
    assert errors["event_name"] == ["This contract asks for this when filing a case."]
    assert errors["attachments"] == ["Please attach a screenshot of the problem."]
    assert not Case.objects.exists()
    assert 'value="Ticket sales stopped"' in html(response)


@pytest.mark.django_db
def test_the_service_judges_what_the_form_lets_through(client, mobilise):
    """A log is a file, but Mobilise wants a screenshot: the service's error lands on the field."""
    client.force_login(mobilise["admin"])
    response = client.post("/portal/cases/new/", mobilise_form(mobilise, attachments=[log()]))
    assert response.status_code == 400
    assert response.context["form"].errors["attachments"] == [
        "Please attach a screenshot of the problem."
    ]
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_file_form_offers_only_the_tenants_severities(client, mobilise, tenant_b):
    foreign = SeverityLevel.objects.create(tenant=tenant_b, key="X", name="Foreign", rank=1)
    client.force_login(mobilise["admin"])
    response = client.post("/portal/cases/new/", mobilise_form(mobilise, severity=foreign.pk))
    assert response.status_code == 400
    assert "severity" in response.context["form"].errors
    assert "Foreign" not in html(client.get("/portal/cases/new/"))


# --- Mobilise: cases from anyone but a trained administrator go to the administrator -------


@pytest.mark.django_db
def test_untrained_administrators_case_returns_and_a_trained_admin_submits_it(client, mobilise):
    client.force_login(mobilise["untrained"])
    home = html(client.get("/portal/"))
    assert "complete the administrator training" in home
    response = client.post("/portal/cases/new/", mobilise_form(mobilise), follow=True)
    case = Case.objects.get()
    assert case.status == CaseStatus.RETURNED
    assert not SlaClock.objects.filter(case=case).exists()
    page = html(response)
    assert "was passed to your organisation's administrator" in page
    assert "waits for your organisation's administrator" in page
    assert 'data-testid="submit-returned"' not in page
    refused = client.post(f"/portal/cases/{case.number}/submit/")
    assert refused.status_code == 400
    assert "Only a trained administrator can submit this case." in html(refused)

    client.force_login(mobilise["admin"])
    assert case.number in html(client.get("/portal/"))
    page = html(client.get(f"/portal/cases/{case.number}/"))
    assert 'data-testid="submit-returned"' in page
    response = client.post(f"/portal/cases/{case.number}/submit/")
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.NEW
    assert SlaClock.objects.filter(case=case, metric="response").exists()
    page = html(client.get(response["Location"]))
    assert f"Case {case.number} was submitted to Mobilise." in page
    assert 'data-status="new"' in page


@pytest.mark.django_db
def test_ordinary_users_are_told_their_case_goes_to_the_administrator(client, mobilise):
    client.force_login(mobilise["user"])
    home = html(client.get("/portal/"))
    assert "goes to your administrator first" in home
    assert 'data-testid="file-case"' in home
    client.post("/portal/cases/new/", mobilise_form(mobilise))
    assert Case.objects.get().status == CaseStatus.RETURNED

    client.force_login(mobilise["admin"])
    assert 'data-testid="filing-notice"' not in html(client.get("/portal/"))


# --- The organisation's cases -----------------------------------------------------------------


@pytest.fixture
def three_organisations(mobilise, load_pack):
    """Our case, a neighbour's case in the same tenant, and another tenant's case."""
    ours = file_directly(mobilise["admin"], mobilise["org"], mobilise["A"], "Seat map is blank")
    neighbour_org = subscribed(mobilise["tenant"], "standard", name="Bergen Turn")
    neighbour_admin = ContactFactory(organization=neighbour_org, trained_admin=True).user
    neighbour = file_directly(neighbour_admin, neighbour_org, mobilise["C"], "Neighbour secret")
    promark = load_pack("promark")
    foreign_org = subscribed(promark, "standard")
    foreign_contact = ContactFactory(organization=foreign_org).user
    foreign = case_file(
        actor=foreign_contact,
        organization=foreign_org,
        requester=foreign_contact,
        severity=SeverityLevel.objects.get(tenant=promark, key="1"),
        case_type=CaseType.objects.get(tenant=promark, key="incident"),
        subject="Foreign secret",
        description="Another tenant's case",
        attachments=[png()],
    )
    return {"ours": ours, "neighbour": neighbour, "foreign": foreign}


@pytest.mark.django_db
def test_list_shows_only_the_organisations_cases(client, mobilise, three_organisations):
    client.force_login(mobilise["user"])
    page = html(client.get("/portal/"))
    assert "Seat map is blank" in page
    assert three_organisations["ours"].number in page
    assert "Neighbour secret" not in page
    assert "Foreign secret" not in page
    assert "Your support contract" in page


@pytest.mark.django_db
def test_other_organisations_and_tenants_cases_answer_404(client, mobilise, three_organisations):
    client.force_login(mobilise["admin"])
    for key in ("neighbour", "foreign"):
        case = three_organisations[key]
        attachment = Attachment.objects.get(case=case)
        base = f"/portal/cases/{case.number}/"
        assert client.get(base).status_code == 404, key
        assert client.get(f"{base}attachments/{attachment.pk}/").status_code == 404, key
        for action in ("reply", "reopen", "escalate", "submit"):
            response = client.post(f"{base}{action}/", {"body": "hi", "reason": "hi"})
            assert response.status_code == 404, (key, action)
        # Our own case's URL with their attachment id is no way around it either.
        ours = three_organisations["ours"].number
        assert client.get(f"/portal/cases/{ours}/attachments/{attachment.pk}/").status_code == 404
    assert three_organisations["neighbour"].events.count() == 1  # nothing was written


@pytest.mark.django_db
def test_unknown_case_number_is_404(client, mobilise):
    client.force_login(mobilise["admin"])
    assert client.get("/portal/cases/MOB-999999/").status_code == 404


@pytest.mark.django_db
def test_search_by_number_and_by_word_and_filter_by_status(client, mobilise):
    admin = mobilise["admin"]
    first = file_directly(admin, mobilise["org"], mobilise["A"], "Seat map is blank")
    second = file_directly(admin, mobilise["org"], mobilise["C"], "Invoice email bounced")
    client.force_login(admin)

    page = html(client.get("/portal/", {"q": first.number}))
    assert "Seat map is blank" in page and "Invoice email bounced" not in page

    page = html(client.get("/portal/", {"q": "invoice"}))
    assert "Invoice email bounced" in page and "Seat map is blank" not in page

    case_assign(case=second, assignee=mobilise["agent"], actor=mobilise["agent"])
    case_transition(case=second, to="resolved", actor=mobilise["agent"])
    page = html(client.get("/portal/", {"status": "resolved"}))
    assert "Invoice email bounced" in page and "Seat map is blank" not in page
    page = html(client.get("/portal/", {"status": "open"}))
    assert "Seat map is blank" in page and "Invoice email bounced" not in page
    assert "No cases match" in html(client.get("/portal/", {"q": "nothing like this"}))

    partial = client.get("/portal/", {"q": "invoice"}, headers={"HX-Request": "true"})
    assert "<html" not in html(partial) and "Invoice email bounced" in html(partial)


@pytest.mark.django_db
def test_case_list_costs_the_same_queries_for_many_cases(
    client, mobilise, django_assert_max_num_queries
):
    admin = mobilise["admin"]
    file_directly(admin, mobilise["org"], mobilise["A"], "one")
    client.force_login(admin)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get("/portal/")
    for n in range(6):
        file_directly(admin, mobilise["org"], mobilise["C"], f"more {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/portal/")
    assert html(response).count('data-testid="case-row"') == 7


# --- The thread ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_reply_on_awaiting_customer_resumes_the_case(client, mobilise):
    case = file_directly(mobilise["admin"], mobilise["org"], mobilise["A"])
    agent = mobilise["agent"]
    case_assign(case=case, assignee=agent, actor=agent)
    case_reply(case=case, actor=agent, body="Internal: looks like the gateway", public=False)
    case_reply(case=case, actor=agent, body="Which browser do you use?")
    case_transition(case=case, to="awaiting_customer", actor=agent)
    assert CasePause.objects.filter(case=case, ended_at__isnull=True).exists()

    client.force_login(mobilise["user"])
    page = html(client.get(f"/portal/cases/{case.number}/"))
    assert "Which browser do you use?" in page
    assert "Internal: looks like the gateway" not in page
    assert 'data-testid="reply-body"' in page and 'data-testid="reply-submit"' in page

    empty = client.post(f"/portal/cases/{case.number}/reply/", {"body": "  "})
    assert empty.status_code == 400
    assert "Write a message." in html(empty)

    response = client.post(
        f"/portal/cases/{case.number}/reply/",
        {"body": "Firefox 128 on Windows", "attachments": [log("console.log")]},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    assert not CasePause.objects.filter(case=case, ended_at__isnull=True).exists()
    assert CasePause.objects.filter(case=case).count() == 1
    page = html(client.get(response["Location"]))
    assert "Firefox 128 on Windows" in page and "console.log" in page


@pytest.mark.django_db
def test_reopen_a_resolved_case_requires_new_information(client, mobilise):
    case = file_directly(mobilise["admin"], mobilise["org"], mobilise["A"])
    agent = mobilise["agent"]
    case_assign(case=case, assignee=agent, actor=agent)
    case_transition(case=case, to="resolved", actor=agent, reason="Gateway restarted")

    client.force_login(mobilise["admin"])
    page = html(client.get(f"/portal/cases/{case.number}/"))
    assert 'data-testid="reopen-body"' in page and 'data-testid="reopen-submit"' in page
    assert 'data-testid="reply-body"' not in page

    empty = client.post(f"/portal/cases/{case.number}/reopen/", {"body": ""})
    assert empty.status_code == 400
    assert "reopening needs new information" in html(empty)
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED

    response = client.post(
        f"/portal/cases/{case.number}/reopen/", {"body": "It failed again at 18:00 today."}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.REOPENED
    assert case.events.filter(kind=EventKind.REOPENED).exists()


@pytest.mark.django_db
def test_a_closed_case_points_to_a_new_case_and_refuses_replies(client, mobilise):
    case = file_directly(mobilise["admin"], mobilise["org"], mobilise["A"])
    agent = mobilise["agent"]
    case_assign(case=case, assignee=agent, actor=agent)
    case_transition(case=case, to="resolved", actor=agent)
    case_transition(case=case, to="closed", actor=agent)
    client.force_login(mobilise["admin"])
    page = html(client.get(f"/portal/cases/{case.number}/"))
    assert "This case is closed; file a new case." in page
    assert 'data-testid="reply-body"' not in page and 'data-testid="reopen-body"' not in page
    refused = client.post(f"/portal/cases/{case.number}/reply/", {"body": "Hello?"})
    assert refused.status_code == 400
    assert "This case is closed. Please file a new case." in html(refused)


@pytest.mark.django_db
def test_attachments_download_from_the_public_thread_only(client, mobilise):
    case = file_directly(
        mobilise["admin"], mobilise["org"], mobilise["A"], attachments=[png(), log()]
    )
    agent = mobilise["agent"]
    case_assign(case=case, assignee=agent, actor=agent)
    case_reply(case=case, actor=agent, body="internal", public=False, attachments=[log("int.log")])
    client.force_login(mobilise["user"])

    image = Attachment.objects.get(case=case, original_name="screenshot.png")
    response = client.get(f"/portal/cases/{case.number}/attachments/{image.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert not response["Content-Disposition"].startswith("attachment")

    text_log = Attachment.objects.get(case=case, original_name="app.log")
    response = client.get(f"/portal/cases/{case.number}/attachments/{text_log.pk}/")
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"

    internal = Attachment.objects.get(case=case, original_name="int.log")
    assert client.get(f"/portal/cases/{case.number}/attachments/{internal.pk}/").status_code == 404
    assert "int.log" not in html(client.get(f"/portal/cases/{case.number}/"))


@pytest.mark.django_db
def test_times_are_shown_in_the_viewers_zone(client, mobilise):
    admin = mobilise["admin"]
    admin.timezone = "America/New_York"
    admin.save(update_fields=["timezone"])
    with time_machine.travel(dt.datetime(2026, 6, 2, 8, 0, tzinfo=dt.UTC), tick=False):
        case = file_directly(admin, mobilise["org"], mobilise["A"])
        client.force_login(admin)
        page = html(client.get(f"/portal/cases/{case.number}/"))
    assert 'datetime="2026-06-02T04:00:00-04:00"' in page


# --- Escalation -------------------------------------------------------------------------------


@pytest.fixture
def promark(load_pack):
    tenant = load_pack("promark")
    return {
        "tenant": tenant,
        "premium": ContactFactory(organization=subscribed(tenant, "premium")).user,
        "standard": ContactFactory(organization=subscribed(tenant, "standard")).user,
        "1": SeverityLevel.objects.get(tenant=tenant, key="1"),
        "incident": CaseType.objects.get(tenant=tenant, key="incident"),
    }


def promark_case(p, who):
    user = p[who]
    return case_file(
        actor=user,
        organization=user.contact.organization,
        requester=user,
        severity=p["1"],
        case_type=p["incident"],
        subject="Production down",
        description="Nothing loads",
    )


@pytest.mark.django_db
def test_premium_customers_can_escalate(client, promark):
    case = promark_case(promark, "premium")
    client.force_login(promark["premium"])
    page = html(client.get(f"/portal/cases/{case.number}/"))
    assert 'data-testid="escalate"' in page

    empty = client.post(f"/portal/cases/{case.number}/escalate/", {"reason": ""})
    assert empty.status_code == 400
    assert "Say why the case needs escalation." in html(empty)

    response = client.post(
        f"/portal/cases/{case.number}/escalate/", {"reason": "Our shop has been down an hour"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.escalated_at is not None
    page = html(client.get(response["Location"]))
    assert 'data-testid="escalate"' not in page  # escalated once
    assert "Our shop has been down an hour" in page


@pytest.mark.django_db
def test_standard_customers_cannot_escalate(client, promark):
    case = promark_case(promark, "standard")
    client.force_login(promark["standard"])
    assert 'data-testid="escalate"' not in html(client.get(f"/portal/cases/{case.number}/"))
    response = client.post(f"/portal/cases/{case.number}/escalate/", {"reason": "Please"})
    assert response.status_code == 400
    assert "Your plan does not include escalation." in html(response)
    case.refresh_from_db()
    assert case.escalated_at is None


@pytest.mark.django_db
def test_promark_form_asks_for_the_case_type_and_version(client, promark):
    client.force_login(promark["standard"])
    text = html(client.get("/portal/cases/new/"))
    assert 'name="case_type"' in text
    assert 'name="deployment"' in text  # an optional field of the ProMark contract
    response = client.post(
        "/portal/cases/new/",
        {"subject": "Slow", "description": "Reports take minutes", "severity": promark["1"].pk},
    )
    assert response.status_code == 400
    assert "case_type" in response.context["form"].errors


# --- Who may use the portal -------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.AGENT, Role.TENANT_ADMIN, Role.ACCOUNT_MANAGER])
def test_staff_get_404_on_portal_urls(client, mobilise, role):
    case = file_directly(mobilise["admin"], mobilise["org"], mobilise["A"])
    attachment = Attachment.objects.get(case=case)
    client.force_login(UserFactory(tenant=mobilise["tenant"], role=role))
    base = f"/portal/cases/{case.number}/"
    for url in ("/portal/", "/portal/cases/new/", base, f"{base}attachments/{attachment.pk}/"):
        assert client.get(url).status_code == 404, url
    for action in ("reply", "reopen", "escalate", "submit"):
        assert client.post(f"{base}{action}/", {"body": "x"}).status_code == 404, action


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(client, mobilise):
    response = client.get("/portal/cases/new/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
