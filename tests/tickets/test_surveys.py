"""Satisfaction surveys (issue 6.5) under Vivant's pack: the invitation after resolution,
the signed single-use link (tampering 404, expiry 410, used once), answering with field
errors, the viewer's language, results for reports, and the staff and link APIs.
"""

import datetime as dt
import re

import pytest
import time_machine
from django.core import signing
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from plans.models import SeverityLevel
from supportdesk.models import Role
from tests.factories import OrganizationFactory, TenantFactory, UserFactory
from tests.factories_surveys import answer_in, response_in
from tickets.cases.services import case_file, case_transition
from tickets.models import Case, Notification, SurveyAnswer, SurveyInvitation, SurveyResponse
from tickets.surveys import links as survey_links
from tickets.surveys import selectors as survey_selectors
from tickets.surveys import services as surveys

# Tuesday 10 March 2026, 10:00 in Copenhagen.
NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
DANISH_SPEED = "Hvor tilfreds er du med, hvor hurtigt vi hjalp dig?"
ENGLISH_SPEED = "How satisfied are you with how quickly we helped you?"
GOOD = {"score_speed": "4", "score_solution": "5", "score_information": "3", "comment": "Fast!"}


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def vivant(load_pack, subscribed, contact_in):
    tenant = load_pack("vivant")
    org = subscribed(tenant, "fixed_price", name="Kunde A/S")
    other_org = subscribed(tenant, "consumption", name="Anden Kunde ApS")
    return {
        "tenant": tenant,
        "org": org,
        "other_org": other_org,
        "contact": contact_in(org).user,
        "other_contact": contact_in(other_org).user,
        "agent": UserFactory(tenant=tenant, role=Role.AGENT),
        "manager": UserFactory(tenant=tenant, role=Role.ACCOUNT_MANAGER),
        "admin": UserFactory(tenant=tenant, role=Role.TENANT_ADMIN),
    }


def finished_case(world, *, contact="contact", org="org", to=("resolved",), subject=None):
    """A case filed by a contact of `org` and moved by an agent through the statuses `to`."""
    case = case_file(
        actor=world[contact],
        organization=world[org],
        requester=world[contact],
        severity=SeverityLevel.objects.get(tenant=world["tenant"], key="non_critical_fault"),
        subject=subject or "Printer 1 does not print",
        description="Printer 2 works.",
    )
    for status in to:
        case = case_transition(case=case, to=status, actor=world["agent"])
    return case


def invited(world, **kwargs):
    """(case, invitation, link path) for a resolved case."""
    case = finished_case(world, **kwargs)
    invitation, path = surveys.survey_invite(case=case)
    return case, invitation, path


def token_of(path: str) -> str:
    return re.fullmatch(r"/survey/([^/]+)/", path).group(1)


def stored(invitation) -> dict[str, int]:
    return {
        a.question.key: a.score
        for a in SurveyAnswer.objects.for_tenant(invitation.tenant).filter(
            response__invitation=invitation
        )
    }


# --- Inviting ---------------------------------------------------------------------------------


def test_invite_on_a_resolved_case_creates_one_invitation(vivant):
    case = finished_case(vivant)
    invitation, path = surveys.survey_invite(case=case)
    assert invitation.case == case
    assert invitation.recipient == vivant["contact"]
    assert invitation.tenant == vivant["tenant"]
    assert invitation.expires_at == NOW + dt.timedelta(days=14)
    assert invitation.answered_at is None
    assert path.startswith("/survey/") and path.endswith("/")
    raw = signing.TimestampSigner(salt="survey").unsign(token_of(path))
    assert invitation.token_digest == survey_links.token_digest(raw) != raw  # only the digest

    again, no_path = surveys.survey_invite(case=case)
    assert again == invitation and no_path is None
    assert SurveyInvitation.objects.for_tenant(vivant["tenant"]).count() == 1


def test_invite_if_due_follows_the_packs_trigger(vivant):
    case = finished_case(vivant)
    assert survey_selectors.survey_trigger(tenant=vivant["tenant"]) == "closed"
    assert surveys.survey_invite_if_due(case=case) is None  # Vivant asks on closing
    assert not SurveyInvitation.objects.for_tenant(vivant["tenant"]).exists()
    case = case_transition(case=case, to="closed", actor=vivant["agent"])  # the workflow invites
    invitation = SurveyInvitation.objects.for_tenant(vivant["tenant"]).get(case=case)
    assert surveys.survey_invite_if_due(case=case) == (invitation, None)  # once only


def test_send_if_due_puts_the_link_in_the_requesters_notifications(vivant):
    case = finished_case(vivant)
    assert surveys.survey_send_if_due(case=case) is None  # resolved: Vivant waits for closing
    case = case_transition(case=case, to="closed", actor=vivant["agent"])  # sends the link
    invitation = SurveyInvitation.objects.for_tenant(vivant["tenant"]).get(case=case)
    (note,) = Notification.objects.for_tenant(vivant["tenant"]).filter(kind="survey")
    assert note.recipient == vivant["contact"] and note.case == case
    link = re.search(r"https?://\S+/survey/([^/\s]+)/", note.body)
    assert link, note.body
    assert survey_links.survey_link_open(token=link.group(1)) == invitation
    assert surveys.survey_send_if_due(case=case) is None  # mailed once
    assert Notification.objects.for_tenant(vivant["tenant"]).filter(kind="survey").count() == 1


def test_no_invitation_for_a_case_still_being_worked(vivant):
    case = finished_case(vivant, to=())
    assert surveys.survey_invite(case=case) is None


def test_no_invitation_where_the_pack_has_no_survey(load_pack, subscribed, contact_in):
    tenant = load_pack("mobilise")
    org = subscribed(tenant, "standard")
    admin = contact_in(org, trained_admin=True).user
    case = Case.objects.create(
        tenant=tenant,
        number="MOB-000099",
        organization=org,
        requester=admin,
        severity=SeverityLevel.objects.get(tenant=tenant, key="C"),
        subject="Done",
        description="Done",
        channel="portal",
        filed_at=NOW,
        status="closed",
    )
    assert survey_selectors.survey_trigger(tenant=tenant) is None
    assert surveys.survey_invite(case=case) is None
    assert surveys.survey_invite_if_due(case=case) is None
    assert not SurveyInvitation.objects.for_tenant(tenant).exists()


def test_no_invitation_for_a_customer_whose_plan_lacks_the_survey(vivant, contact_in):
    unsubscribed = OrganizationFactory(tenant=vivant["tenant"], name="Uden Aftale A/S")
    vivant["loose"] = contact_in(unsubscribed).user
    vivant["loose_org"] = unsubscribed
    case = finished_case(vivant, contact="loose", org="loose_org")
    assert surveys.survey_invite(case=case) is None


def test_no_invitation_for_an_inactive_requester(vivant):
    case = finished_case(vivant)
    vivant["contact"].is_active = False
    vivant["contact"].save()
    case.refresh_from_db()
    assert surveys.survey_invite(case=case) is None


# --- The link ---------------------------------------------------------------------------------


def tampered(token: str) -> list[str]:
    raw, stamp, signature = token.split(":")
    return [
        f"{raw[:-1]}{'A' if raw[-1] != 'A' else 'B'}:{stamp}:{signature}",  # other token
        f"{raw}:{stamp}:{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",
        f"{raw}:{'1' + stamp}:{signature}",  # later timestamp
        raw,  # unsigned
        "not-a-token",
    ]


def test_tampered_links_are_404_before_any_query(vivant, client, django_assert_num_queries):
    _case, _invitation, path = invited(vivant)
    for token in tampered(token_of(path)):
        with django_assert_num_queries(0), pytest.raises(survey_links.SurveyLinkInvalid):
            survey_links.survey_link_open(token=token)
        assert client.get(f"/survey/{token}/").status_code == 404
        assert client.post(f"/survey/{token}/", GOOD).status_code == 404
    assert not SurveyResponse.objects.for_tenant(vivant["tenant"]).exists()


def test_a_validly_signed_unknown_token_is_404(vivant, client):
    invited(vivant)
    forged = signing.TimestampSigner(salt="survey").sign("no-such-token")
    assert client.get(f"/survey/{forged}/").status_code == 404
    other_salt = signing.TimestampSigner(salt="other").sign("no-such-token")
    assert client.get(f"/survey/{other_salt}/").status_code == 404


def test_expired_link_is_410_with_a_friendly_page(vivant, client, django_assert_num_queries):
    _case, invitation, path = invited(vivant)
    with time_machine.travel(NOW + dt.timedelta(days=13), tick=False):
        assert client.get(path).status_code == 200
    with time_machine.travel(NOW + dt.timedelta(days=15), tick=False):
        with django_assert_num_queries(0), pytest.raises(survey_links.SurveyLinkExpired):
            survey_links.survey_link_open(token=token_of(path))
        response = client.get(path)
        assert response.status_code == 410
        assert "This link has expired" in response.content.decode()
        assert client.post(path, GOOD).status_code == 410
        with pytest.raises(survey_links.SurveyLinkExpired):
            surveys.survey_submit(invitation=invitation, scores={"speed": 4})
    invitation.refresh_from_db()
    assert invitation.answered_at is None


def test_the_page_shows_the_case_number_subject_and_questions_only(vivant, client):
    case, _invitation, path = invited(vivant, subject="Printer 1 does not print")
    other = finished_case(vivant, contact="other_contact", org="other_org", subject="Secret VPN")
    response = client.get(path)
    assert response.status_code == 200
    page = response.content.decode()
    assert case.number in page and "Printer 1 does not print" in page
    assert other.number not in page and "Secret VPN" not in page
    assert "Printer 2 works" not in page  # not even this case's description
    assert vivant["contact"].email not in page
    assert ENGLISH_SPEED in page
    for key in ("speed", "solution", "information"):
        for score in range(1, 6):
            assert f'name="score_{key}" value="{score}"' in page
    assert "very dissatisfied" in page and "very satisfied" in page
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-cache" in response["Cache-Control"]


def test_submitting_valid_answers_stores_them_and_uses_the_link(vivant, client):
    case, invitation, path = invited(vivant)
    response = client.post(path, GOOD)
    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.answered_at == NOW
    answer = SurveyResponse.objects.for_tenant(vivant["tenant"]).get()
    assert (answer.case, answer.invitation, answer.comment) == (case, invitation, "Fast!")
    assert case.survey_response == answer
    assert stored(invitation) == {"speed": 4, "solution": 5, "information": 3}


def test_a_link_answers_once(vivant, client):
    _case, invitation, path = invited(vivant)
    client.post(path, GOOD)
    second = client.post(path, {**GOOD, "score_speed": "1", "comment": "Changed my mind"})
    assert second.status_code == 409
    assert "answered already" in second.content.decode()
    again = client.get(path)
    assert again.status_code == 200
    assert "answered already" in again.content.decode()
    assert stored(invitation) == {"speed": 4, "solution": 5, "information": 3}
    assert SurveyResponse.objects.for_tenant(vivant["tenant"]).get().comment == "Fast!"
    with pytest.raises(surveys.SurveyAlreadyAnswered):
        surveys.survey_submit(
            invitation=invitation, scores={"speed": 1, "solution": 1, "information": 1}
        )


@pytest.mark.parametrize("bad", ["6", "0", "x"])
def test_out_of_scale_scores_are_400_and_keep_the_choices(vivant, client, bad):
    _case, invitation, path = invited(vivant)
    response = client.post(path, {**GOOD, "score_speed": bad})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"score_speed"}
    assert "Choose a score from 1 to 5." in errors["score_speed"]
    page = response.content.decode()
    assert 'data-testid="error-score_speed"' in page
    assert re.search(r'name="score_solution" value="5"[^>]*checked', page)
    assert "Fast!" in page
    invitation.refresh_from_db()
    assert invitation.answered_at is None
    assert not SurveyResponse.objects.for_tenant(vivant["tenant"]).exists()


def test_missing_answers_are_400_per_question(vivant, client):
    _case, _invitation, path = invited(vivant)
    response = client.post(path, {"score_speed": "2"})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"score_solution", "score_information"}
    assert errors["score_solution"] == ["Please choose a score."]
    assert re.search(r'name="score_speed" value="2"[^>]*checked', response.content.decode())
    assert not SurveyResponse.objects.for_tenant(vivant["tenant"]).exists()


def test_the_service_checks_scores_against_the_tenants_scale(vivant):
    _case, invitation, _path = invited(vivant)
    with pytest.raises(ValidationError) as caught:
        surveys.survey_submit(
            invitation=invitation,
            scores={"speed": 6, "solution": 0, "mood": 3, "information": True},
            comment="x" * 2001,
        )
    errors = caught.value.message_dict
    assert set(errors) == {"speed", "solution", "information", "mood", "comment"}
    assert errors["speed"] == ["Choose a score from 1 to 5."]
    assert errors["mood"] == ["This survey has no such question."]
    assert not SurveyResponse.objects.for_tenant(vivant["tenant"]).exists()


# --- Language -----------------------------------------------------------------------------------


def test_a_danish_browser_sees_the_danish_questions(vivant, client):
    vivant["contact"].language = ""  # no setting of their own: the browser decides
    vivant["contact"].save()
    _case, _invitation, path = invited(vivant)
    page = client.get(path, HTTP_ACCEPT_LANGUAGE="da").content.decode()
    assert DANISH_SPEED in page and ENGLISH_SPEED not in page
    assert "Hvor tilfreds er du med løsningen på din sag?" in page
    english = client.get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert ENGLISH_SPEED in english


def test_the_recipients_own_language_wins_over_the_browser(vivant, client):
    vivant["contact"].language = "da"
    vivant["contact"].save()
    _case, _invitation, path = invited(vivant)
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert DANISH_SPEED in response.content.decode()
    assert response["Content-Language"] == "da"


def test_without_any_hint_the_tenants_language_is_used(vivant, client):
    vivant["contact"].language = ""
    vivant["contact"].save()
    _case, _invitation, path = invited(vivant)
    assert DANISH_SPEED in client.get(path).content.decode()  # Vivant speaks Danish


def test_a_signed_in_viewer_reads_in_their_language(vivant, client):
    _case, _invitation, path = invited(vivant)
    vivant["contact"].language = "da"
    vivant["contact"].save()
    client.force_login(vivant["contact"])
    assert DANISH_SPEED in client.get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()


# --- Results ------------------------------------------------------------------------------------


@pytest.fixture
def answered(vivant):
    """Three surveys in March: two answered (one per customer), one not; one in February."""
    _c1, first, _p = invited(vivant)
    surveys.survey_submit(
        invitation=first, scores={"speed": 4, "solution": 5, "information": 2}, comment="Good"
    )
    _c2, second, _p = invited(vivant, contact="other_contact", org="other_org")
    surveys.survey_submit(invitation=second, scores={"speed": 2, "solution": 4, "information": 5})
    invited(vivant)
    with time_machine.travel(dt.datetime(2026, 2, 27, 12, tzinfo=dt.UTC), tick=False):
        _c4, old, _p = invited(vivant)
        surveys.survey_submit(invitation=old, scores={"speed": 1, "solution": 1, "information": 1})
    return {"first": first, "second": second, "old": old}


def averages(results):
    return {q.key: (q.average, q.count) for q in results.questions}


def test_results_average_per_question_and_response_rate(vivant, answered):
    tenant = vivant["tenant"]
    since, until = survey_selectors.month_window(tenant=tenant, month=dt.date(2026, 3, 1))
    assert since == dt.datetime(2026, 2, 28, 23, tzinfo=dt.UTC)  # midnight in Copenhagen
    march = survey_selectors.survey_results(tenant=tenant, since=since, until=until)
    assert (march.invited, march.answered, march.response_rate) == (3, 2, 0.667)
    assert averages(march) == {"speed": (3.0, 2), "solution": (4.5, 2), "information": (3.5, 2)}
    assert (march.scale.low, march.scale.high) == (1, 5)

    one = survey_selectors.survey_results(tenant=tenant, organization=vivant["org"], since=since)
    assert (one.invited, one.answered) == (2, 1)
    assert averages(one)["information"] == (2.0, 1)

    overall = survey_selectors.survey_results(tenant=tenant)
    assert (overall.invited, overall.answered) == (4, 3)
    assert averages(overall)["speed"] == (2.33, 3)

    danish = survey_selectors.survey_results(tenant=tenant, language="da")
    assert danish.questions[0].text == DANISH_SPEED


def test_results_of_nothing(vivant):
    results = survey_selectors.survey_results(tenant=vivant["tenant"])
    assert (results.invited, results.answered, results.response_rate) == (0, 0, None)
    assert averages(results) == {k: (None, 0) for k in ("speed", "solution", "information")}


def test_results_page_for_account_managers_with_filters(vivant, answered, client):
    client.force_login(vivant["manager"])
    page = client.get("/survey/results/")
    assert page.status_code == 200
    assert "3 of 4 surveys answered (75 %)." in page.content.decode()
    march = client.get("/survey/results/", {"month": "2026-03", "organization": vivant["org"].pk})
    assert march.status_code == 200
    text = march.content.decode()
    assert "1 of 2 surveys answered (50 %)." in text
    assert answered["first"].case.number in text and "Good" in text
    assert answered["second"].case.number not in text
    bad = client.get("/survey/results/", {"month": "March"})
    assert bad.status_code == 400
    assert bad.context["form"].errors["month"] == ["Give a month as YYYY-MM."]
    other_tenants = OrganizationFactory(tenant=TenantFactory())
    assert client.get("/survey/results/", {"organization": other_tenants.pk}).status_code == 400
    client.force_login(vivant["admin"])
    assert client.get("/survey/results/").status_code == 200


@pytest.mark.parametrize("who", ["contact", "agent"])
def test_results_page_is_404_for_contacts_and_agents(vivant, client, who):
    client.force_login(vivant[who])
    assert client.get("/survey/results/").status_code == 404


def test_results_page_asks_anonymous_visitors_to_sign_in(client, db):
    response = client.get("/survey/results/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- Staff API ----------------------------------------------------------------------------------


@pytest.fixture
def api():
    return APIClient()


def test_api_lists_responses_with_scores_per_question_key(vivant, answered, api):
    api.force_authenticate(vivant["agent"])
    response = api.get("/api/v1/surveys/")
    assert response.status_code == 200
    assert response.data["count"] == 3
    first = next(r for r in response.data["results"] if r["case"] == answered["first"].case.number)
    assert first["scores"] == {"speed": 4, "solution": 5, "information": 2}
    assert first["comment"] == "Good"
    assert first["customer"] == "Kunde A/S"
    assert first["organization"] == vivant["org"].pk
    assert first["requester"] == vivant["contact"].pk
    assert first["subject"] == "Printer 1 does not print"

    march = api.get("/api/v1/surveys/", {"month": "2026-03"}).data
    assert {r["case"] for r in march["results"]} == {
        answered["first"].case.number,
        answered["second"].case.number,
    }
    one = api.get("/api/v1/surveys/", {"organization": vivant["other_org"].pk}).data
    assert [r["case"] for r in one["results"]] == [answered["second"].case.number]
    bad = api.get("/api/v1/surveys/", {"month": "2026-13"})
    assert bad.status_code == 400 and "month" in bad.data

    detail = api.get(f"/api/v1/surveys/{answered['old'].case.number}/")
    assert detail.status_code == 200 and detail.data["scores"]["speed"] == 1


def test_api_summary(vivant, answered, api):
    api.force_authenticate(vivant["manager"])
    data = api.get("/api/v1/surveys/summary/", {"month": "2026-03"}).data
    assert (data["invited"], data["answered"], data["response_rate"]) == (3, 2, 0.667)
    assert (data["scale_min"], data["scale_max"]) == (1, 5)
    assert [(q["key"], q["average"], q["count"]) for q in data["questions"]] == [
        ("speed", 3.0, 2),
        ("solution", 4.5, 2),
        ("information", 3.5, 2),
    ]
    assert api.get("/api/v1/surveys/summary/", {"organization": "x"}).status_code == 400


def test_api_never_shows_another_tenants_responses(vivant, answered, api):
    other = TenantFactory()
    foreign = response_in(other)
    foreign_answer = answer_in(other)
    api.force_authenticate(vivant["admin"])
    listed = {r["case"] for r in api.get("/api/v1/surveys/").data["results"]}
    assert foreign.case.number not in listed and len(listed) == 3
    assert api.get(f"/api/v1/surveys/{foreign.case.number}/").status_code == 404
    foreign_org = api.get("/api/v1/surveys/", {"organization": foreign.case.organization_id})
    assert foreign_org.status_code == 400
    summary = api.get("/api/v1/surveys/summary/").data
    assert summary["invited"] == 4  # Vivant's own four only

    api.force_authenticate(UserFactory(tenant=other, role=Role.TENANT_ADMIN))
    theirs = {r["case"] for r in api.get("/api/v1/surveys/").data["results"]}
    assert theirs == {foreign.case.number, foreign_answer.response.case.number}
    number = answered["first"].case.number
    assert api.get(f"/api/v1/surveys/{number}/").status_code == 404


def test_api_is_for_staff_only(vivant, answered, api):
    api.force_authenticate(vivant["contact"])
    assert api.get("/api/v1/surveys/").status_code == 403
    assert api.get("/api/v1/surveys/summary/").status_code == 403
    assert api.get(f"/api/v1/surveys/{answered['first'].case.number}/").status_code == 403
    api.force_authenticate(None)
    assert api.get("/api/v1/surveys/").status_code in (401, 403)


# --- Link API -----------------------------------------------------------------------------------


def test_link_api_shows_the_questions_and_takes_the_answers_once(vivant, api):
    vivant["contact"].language = ""
    vivant["contact"].save()
    case, invitation, path = invited(vivant)
    url = f"/api/v1/survey-links/{token_of(path)}/"
    shown = api.get(url, HTTP_ACCEPT_LANGUAGE="da")
    assert shown.status_code == 200
    assert shown.data["case"] == case.number and shown.data["answered"] is False
    assert shown.data["language"] == "da"
    assert shown.data["questions"][0] == {"key": "speed", "text": DANISH_SPEED}
    assert (shown.data["scale_min"], shown.data["scale_max"]) == (1, 5)

    bad = api.post(
        url + "answer/", {"scores": {"speed": 6, "solution": 0}, "comment": ""}, format="json"
    )
    assert bad.status_code == 400
    assert set(bad.data["scores"]) == {"speed", "solution", "information"}
    wrong_type = api.post(url + "answer/", {"scores": {"speed": "fast"}}, format="json")
    assert wrong_type.status_code == 400 and "speed" in wrong_type.data["scores"]

    scores = {"speed": 5, "solution": 4, "information": 4}
    done = api.post(url + "answer/", {"scores": scores, "comment": " Tak "}, format="json")
    assert done.status_code == 201, done.data
    assert done.data["scores"] == scores and done.data["comment"] == "Tak"
    assert stored(invitation) == scores
    again = api.post(url + "answer/", {"scores": scores}, format="json")
    assert again.status_code == 409
    assert api.get(url).data["answered"] is True


def test_link_api_refuses_tampered_and_expired_links(vivant, api):
    _case, _invitation, path = invited(vivant)
    token = token_of(path)
    for forged in tampered(token):
        assert api.get(f"/api/v1/survey-links/{forged}/").status_code == 404
    with time_machine.travel(NOW + dt.timedelta(days=15), tick=False):
        assert api.get(f"/api/v1/survey-links/{token}/").status_code == 410
        answer = api.post(
            f"/api/v1/survey-links/{token}/answer/",
            {"scores": {"speed": 5, "solution": 5, "information": 5}},
            format="json",
        )
        assert answer.status_code == 410
