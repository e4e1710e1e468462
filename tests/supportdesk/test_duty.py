"""Who is on duty: the rules, the queue panel, the roster page and `/api/v1/duty/`.

On-duty case workers are who the SLA sweep alerts (`sla.sweep.on_duty_agents`).
Agents switch their own duty, tenant admins anyone's in their tenant; account
managers and contacts cannot; another tenant's user does not exist (404).
"""

import datetime as dt
import re
from types import SimpleNamespace

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from sla.sweep import on_duty_agents
from supportdesk.models import Role
from supportdesk.selectors import duty_roster
from supportdesk.services import user_duty_set
from tests.factories import PASSWORD, ContactFactory, OrganizationFactory, UserFactory

UTC = dt.UTC
NOBODY = "Nobody is on duty: breach alerts reach only the assignee and the account manager"


@pytest.fixture
def desk(tenant_a, tenant_b):
    return SimpleNamespace(
        tenant=tenant_a,
        agent=UserFactory(tenant=tenant_a, role=Role.AGENT, first_name="Agnes", last_name="Berg"),
        colleague=UserFactory(
            tenant=tenant_a, role=Role.AGENT, first_name="Carl", last_name="Dahl"
        ),
        admin=UserFactory(
            tenant=tenant_a, role=Role.TENANT_ADMIN, first_name="Tove", last_name="Holm"
        ),
        manager=UserFactory(
            tenant=tenant_a, role=Role.ACCOUNT_MANAGER, first_name="Mads", last_name="Lund"
        ),
        contact=ContactFactory(organization=OrganizationFactory(tenant=tenant_a)).user,
        foreign_agent=UserFactory(tenant=tenant_b, role=Role.AGENT, first_name="Birk"),
        foreign_admin=UserFactory(tenant=tenant_b, role=Role.TENANT_ADMIN),
    )


def on_duty(user) -> bool:
    user.refresh_from_db()
    return user.on_duty


# --- the rules (services and selectors) -------------------------------------------------------


def test_an_agent_goes_on_and_off_duty_and_repeating_it_changes_nothing(desk):
    with time_machine.travel(dt.datetime(2026, 3, 3, 8, 0, tzinfo=UTC), tick=False):
        returned = user_duty_set(user=desk.agent, actor=desk.agent, on_duty=True)
    assert returned is desk.agent and desk.agent.on_duty is True
    assert on_duty(desk.agent)
    since = desk.agent.on_duty_changed_at
    assert since == dt.datetime(2026, 3, 3, 8, 0, tzinfo=UTC)

    with time_machine.travel(dt.datetime(2026, 3, 3, 9, 0, tzinfo=UTC), tick=False):
        user_duty_set(user=desk.agent, actor=desk.agent, on_duty=True)
    desk.agent.refresh_from_db()
    assert desk.agent.on_duty and desk.agent.on_duty_changed_at == since  # nothing written

    user_duty_set(user=desk.agent, actor=desk.agent, on_duty=False)
    assert not on_duty(desk.agent)
    assert desk.agent.on_duty_changed_at > since


def test_a_tenant_admin_sets_any_case_worker_of_the_tenant(desk):
    other_admin = UserFactory(tenant=desk.tenant, role=Role.TENANT_ADMIN)
    user_duty_set(user=desk.colleague, actor=desk.admin, on_duty=True)
    user_duty_set(user=other_admin, actor=desk.admin, on_duty=True)
    user_duty_set(user=desk.admin, actor=desk.admin, on_duty=True)
    assert on_duty(desk.colleague) and on_duty(other_admin) and on_duty(desk.admin)


def test_an_agent_cannot_set_a_colleagues_duty(desk):
    with pytest.raises(PermissionDenied, match="Only a tenant admin"):
        user_duty_set(user=desk.colleague, actor=desk.agent, on_duty=True)
    with pytest.raises(PermissionDenied):
        user_duty_set(user=desk.admin, actor=desk.agent, on_duty=True)
    assert not on_duty(desk.colleague) and not on_duty(desk.admin)


@pytest.mark.parametrize("who", ["manager", "contact"])
def test_account_managers_and_contacts_cannot_change_duty(desk, who):
    actor = getattr(desk, who)
    for user in (desk.agent, desk.admin, actor):
        with pytest.raises(PermissionDenied, match="Only agents and tenant admins can change"):
            user_duty_set(user=user, actor=actor, on_duty=True)
    assert not on_duty(desk.agent) and not on_duty(desk.admin) and not on_duty(actor)


def test_only_case_workers_can_be_on_duty(desk):
    for user in (desk.manager, desk.contact):
        with pytest.raises(ValidationError, match="Only agents and tenant admins can be on duty"):
            user_duty_set(user=user, actor=desk.admin, on_duty=True)
        assert not on_duty(user)


def test_another_tenants_user_is_not_found(desk):
    with pytest.raises(ValidationError) as refused:
        user_duty_set(user=desk.foreign_agent, actor=desk.admin, on_duty=True)
    assert refused.value.message_dict == {"user": ["Not found."]}
    assert not on_duty(desk.foreign_agent)


def test_a_deactivated_user_cannot_go_on_duty_but_can_be_taken_off(desk):
    desk.colleague.on_duty = True
    desk.colleague.is_active = False
    desk.colleague.save()
    with pytest.raises(ValidationError) as refused:
        user_duty_set(user=desk.colleague, actor=desk.admin, on_duty=True)
    assert refused.value.message_dict == {
        "on_duty": ["Carl Dahl is deactivated and cannot go on duty."]
    }
    user_duty_set(user=desk.colleague, actor=desk.admin, on_duty=False)
    assert not on_duty(desk.colleague)


def test_the_sweep_alerts_whoever_the_switch_puts_on_duty(desk):
    assert on_duty_agents(tenant=desk.tenant) == []
    user_duty_set(user=desk.agent, actor=desk.agent, on_duty=True)
    user_duty_set(user=desk.colleague, actor=desk.admin, on_duty=True)
    assert on_duty_agents(tenant=desk.tenant) == [desk.agent, desk.colleague]
    user_duty_set(user=desk.agent, actor=desk.agent, on_duty=False)
    assert on_duty_agents(tenant=desk.tenant) == [desk.colleague]
    assert on_duty_agents(tenant=desk.foreign_agent.tenant) == []


def test_the_roster_is_the_tenants_active_case_workers_by_name(desk):
    UserFactory(tenant=desk.tenant, role=Role.AGENT, first_name="Zed", is_active=False)
    expected = [desk.agent, desk.colleague, desk.admin]  # Agnes, Carl, Tove
    for viewer in (desk.agent, desk.admin, desk.manager):
        assert list(duty_roster(actor=viewer)) == expected
    assert list(duty_roster(actor=desk.contact)) == []


# --- the queue page ---------------------------------------------------------------------------


def panel(html: str) -> str:
    match = re.search(r'<section id="duty-panel".*?</section>', html, re.S)
    assert match, "the queue page has no duty panel"
    return match.group(0)


def test_queue_page_shows_my_state_and_warns_when_nobody_is_on_duty(client, desk):
    client.force_login(desk.agent)
    html = panel(client.get("/queue/").content.decode())
    assert 'data-on-duty="false"' in html and "You are off duty" in html
    assert "Go on duty" in html
    assert NOBODY in html
    assert 'href="/queue/duty/"' in html

    user_duty_set(user=desk.colleague, actor=desk.admin, on_duty=True)
    html = panel(client.get("/queue/").content.decode())
    assert NOBODY not in html
    assert "1 agent on duty" in html and "You are off duty" in html


def test_agent_switches_own_duty_from_the_queue_page_without_javascript(client, desk):
    client.force_login(desk.agent)
    user_duty_set(user=desk.admin, actor=desk.admin, on_duty=True)
    response = client.post(
        f"/queue/duty/{desk.agent.pk}/", {"on_duty": "true", "next": "/queue/?assignee=me"}
    )
    assert response.status_code == 302 and response["Location"] == "/queue/?assignee=me"
    assert on_duty(desk.agent)

    html = client.get("/queue/").content.decode()
    assert "You are on duty." in html  # the message after the redirect
    duty = panel(html)
    assert 'data-on-duty="true"' in duty and "2 agents on duty" in duty
    assert "Go off duty" in duty

    client.post(f"/queue/duty/{desk.agent.pk}/", {"on_duty": "false", "next": "/queue/"})
    assert not on_duty(desk.agent)


def test_the_switch_is_htmx_enhanced_and_answers_with_the_panel(client, desk):
    client.force_login(desk.agent)
    queue = panel(client.get("/queue/").content.decode())
    assert f'hx-post="/queue/duty/{desk.agent.pk}/"' in queue
    assert 'hx-target="#duty-panel"' in queue and 'hx-swap="outerHTML"' in queue

    fragment = client.post(
        f"/queue/duty/{desk.agent.pk}/",
        {"on_duty": "true", "next": "/queue/"},
        headers={"HX-Request": "true", "HX-Target": "duty-panel"},
    )
    assert fragment.status_code == 200
    html = fragment.content.decode()
    assert "<html" not in html and html.lstrip().startswith('<section id="duty-panel"')
    assert 'data-on-duty="true"' in html and "1 agent on duty" in html and NOBODY not in html
    assert on_duty(desk.agent)


def test_the_switch_is_csrf_protected(client, desk):
    from django.test import Client

    guarded = Client(enforce_csrf_checks=True)
    guarded.force_login(desk.agent)
    html = guarded.get("/queue/").content.decode()
    assert 'name="csrfmiddlewaretoken"' in panel(html)
    response = guarded.post(f"/queue/duty/{desk.agent.pk}/", {"on_duty": "true"})
    assert response.status_code == 403
    assert not on_duty(desk.agent)


# --- the roster page --------------------------------------------------------------------------


def roster_rows(html: str) -> dict[int, str]:
    return {
        int(pk): row
        for pk, row in re.findall(
            r'<tr data-testid="duty-row" data-user-id="(\d+)"(.*?)</tr>', html, re.S
        )
    }


def switches(html: str) -> set[int]:
    return {pk for pk, row in roster_rows(html).items() if 'data-testid="duty-switch"' in row}


def test_agents_read_the_roster_and_switch_only_their_own_row(client, desk):
    user_duty_set(user=desk.colleague, actor=desk.admin, on_duty=True)
    client.force_login(desk.agent)
    html = client.get("/queue/duty/").content.decode()
    rows = roster_rows(html)
    assert list(rows) == [desk.agent.pk, desk.colleague.pk, desk.admin.pk]
    assert desk.manager.pk not in rows and desk.contact.pk not in rows
    assert desk.foreign_agent.pk not in rows
    assert 'data-on-duty="true"' in rows[desk.colleague.pk]
    assert switches(html) == {desk.agent.pk}
    assert "1 agent on duty" in html


def test_tenant_admins_switch_anyone_and_account_managers_only_read(client, desk):
    client.force_login(desk.admin)
    html = client.get("/queue/duty/").content.decode()
    assert switches(html) == {desk.agent.pk, desk.colleague.pk, desk.admin.pk}
    assert NOBODY in html

    client.force_login(desk.manager)
    html = client.get("/queue/duty/").content.decode()
    assert len(roster_rows(html)) == 3 and switches(html) == set()


def test_tenant_admin_puts_a_colleague_on_duty_from_the_roster(client, desk):
    client.force_login(desk.admin)
    response = client.post(
        f"/queue/duty/{desk.colleague.pk}/", {"on_duty": "true", "next": "/queue/duty/"}
    )
    assert response.status_code == 302 and response["Location"] == "/queue/duty/"
    assert on_duty(desk.colleague)
    assert "Carl Dahl is on duty." in client.get("/queue/duty/").content.decode()

    fragment = client.post(
        f"/queue/duty/{desk.colleague.pk}/",
        {"on_duty": "false"},
        headers={"HX-Request": "true", "HX-Target": "duty-roster"},
    ).content.decode()
    assert fragment.lstrip().startswith('<section id="duty-roster"')
    assert 'data-on-duty="false"' in roster_rows(fragment)[desk.colleague.pk]
    assert NOBODY in fragment
    assert not on_duty(desk.colleague)


def test_an_agent_cannot_switch_a_colleague_on_the_web(client, desk):
    client.force_login(desk.agent)
    response = client.post(f"/queue/duty/{desk.colleague.pk}/", {"on_duty": "true"})
    assert response.status_code == 403
    assert not on_duty(desk.colleague)


def test_account_managers_are_refused_and_contacts_find_nothing(client, desk):
    client.force_login(desk.manager)
    assert client.post(f"/queue/duty/{desk.agent.pk}/", {"on_duty": "true"}).status_code == 403
    client.force_login(desk.contact)
    assert client.get("/queue/duty/").status_code == 404
    assert client.post(f"/queue/duty/{desk.agent.pk}/", {"on_duty": "true"}).status_code == 404
    assert not on_duty(desk.agent)


def test_another_tenants_user_or_a_non_case_worker_is_404_on_the_web(client, desk):
    client.force_login(desk.admin)
    for user in (desk.foreign_agent, desk.manager, desk.contact):
        response = client.post(f"/queue/duty/{user.pk}/", {"on_duty": "true"})
        assert response.status_code == 404, user
        assert "Birk" not in response.content.decode()
    assert not on_duty(desk.foreign_agent) and not on_duty(desk.manager)


def test_a_deactivated_user_or_bad_input_is_refused_on_the_web_with_the_reason(client, desk):
    desk.colleague.is_active = False
    desk.colleague.save()
    client.force_login(desk.admin)
    response = client.post(f"/queue/duty/{desk.colleague.pk}/", {"on_duty": "true"})
    assert response.status_code == 400
    assert "Carl Dahl is deactivated and cannot go on duty." in response.content.decode()

    htmx = client.post(
        f"/queue/duty/{desk.colleague.pk}/",
        {"on_duty": "true"},
        headers={"HX-Request": "true", "HX-Target": "duty-roster"},
    )
    assert htmx.status_code == 200  # htmx swaps 2xx only: the fragment carries the error
    assert 'data-testid="duty-errors"' in htmx.content.decode()

    response = client.post(f"/queue/duty/{desk.agent.pk}/", {"on_duty": "maybe"})
    assert response.status_code == 400 and 'data-testid="duty-errors"' in response.content.decode()
    assert client.post(f"/queue/duty/{desk.agent.pk}/", {}).status_code == 400
    assert not on_duty(desk.colleague) and not on_duty(desk.agent)


def test_a_foreign_next_url_is_not_followed(client, desk):
    client.force_login(desk.agent)
    response = client.post(
        f"/queue/duty/{desk.agent.pk}/", {"on_duty": "true", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/queue/duty/"


def test_since_is_shown_in_the_viewers_time_zone(client, desk):
    with time_machine.travel(dt.datetime(2026, 3, 3, 8, 30, tzinfo=UTC), tick=False):
        user_duty_set(user=desk.colleague, actor=desk.admin, on_duty=True)
    client.force_login(
        UserFactory(tenant=desk.tenant, role=Role.AGENT, timezone="America/New_York")
    )
    assert (
        "Tue 3 Mar 03:30"
        in roster_rows(client.get("/queue/duty/").content.decode())[desk.colleague.pk]
    )
    client.force_login(desk.agent)  # the tenant's zone: Europe/Copenhagen
    assert (
        "Tue 3 Mar 09:30"
        in roster_rows(client.get("/queue/duty/").content.decode())[desk.colleague.pk]
    )


def test_the_roster_page_costs_the_same_queries_for_3_and_30_case_workers(
    client, desk, django_assert_max_num_queries
):
    client.force_login(desk.admin)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/queue/duty/").status_code == 200
    for n in range(27):
        worker = UserFactory(tenant=desk.tenant, role=Role.AGENT, first_name=f"Worker {n:02d}")
        user_duty_set(user=worker, actor=desk.admin, on_duty=n % 2 == 0)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get("/queue/duty/").content.decode()
    assert len(roster_rows(html)) == 30 and "14 agents on duty" in html
    assert len(few.captured_queries) <= 8


# --- the API ----------------------------------------------------------------------------------


@pytest.fixture
def api():
    return APIClient()


def token_client(user) -> APIClient:
    api = APIClient()
    token = api.post("/api/v1/auth/token/", {"email": user.email, "password": PASSWORD})
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.data['token']}")
    return api


def test_api_roster_and_an_agent_switching_their_own_duty_with_a_token(desk):
    api = token_client(desk.agent)
    roster = api.get("/api/v1/duty/").json()
    assert [row["id"] for row in roster["results"]] == [
        desk.agent.pk,
        desk.colleague.pk,
        desk.admin.pk,
    ]
    assert roster["results"][0] == {
        "id": desk.agent.pk,
        "email": desk.agent.email,
        "name": "Agnes Berg",
        "role": "agent",
        "on_duty": False,
        "on_duty_changed_at": None,
    }
    response = api.patch(f"/api/v1/duty/{desk.agent.pk}/", {"on_duty": True}, format="json")
    assert response.status_code == 200
    assert response.data["on_duty"] is True and response.data["on_duty_changed_at"]
    assert on_duty(desk.agent)
    assert api.get(f"/api/v1/duty/{desk.agent.pk}/").json()["on_duty"] is True
    again = api.patch(f"/api/v1/duty/{desk.agent.pk}/", {"on_duty": True}, format="json")
    assert again.status_code == 200 and again.data == response.data  # idempotent


def test_api_tenant_admin_switches_others_and_an_agent_may_not(desk, api):
    api.force_authenticate(desk.admin)
    url = f"/api/v1/duty/{desk.colleague.pk}/"
    assert api.patch(url, {"on_duty": True}, format="json").status_code == 200
    assert on_duty(desk.colleague)

    api.force_authenticate(desk.agent)
    refused = api.patch(url, {"on_duty": False}, format="json")
    assert refused.status_code == 403
    assert "Only a tenant admin" in refused.data["detail"]
    assert on_duty(desk.colleague)


@pytest.mark.parametrize("who", ["manager", "contact"])
def test_api_account_managers_and_contacts_get_403_for_any_id(desk, api, who):
    api.force_authenticate(getattr(desk, who))
    own = api.patch(f"/api/v1/duty/{desk.agent.pk}/", {"on_duty": True}, format="json")
    foreign = api.patch(f"/api/v1/duty/{desk.foreign_agent.pk}/", {"on_duty": True}, format="json")
    assert own.status_code == foreign.status_code == 403
    assert own.data == foreign.data  # the same answer: no hint about which ids exist
    assert not on_duty(desk.agent) and not on_duty(desk.foreign_agent)


def test_api_contacts_see_no_roster_and_account_managers_read_it(desk, api):
    api.force_authenticate(desk.contact)
    assert api.get("/api/v1/duty/").json()["results"] == []
    assert api.get(f"/api/v1/duty/{desk.agent.pk}/").status_code == 404
    api.force_authenticate(desk.manager)
    assert api.get("/api/v1/duty/").json()["count"] == 3


def test_api_another_tenants_user_or_a_non_case_worker_is_404(desk, api):
    api.force_authenticate(desk.admin)
    for user in (desk.foreign_agent, desk.foreign_admin, desk.manager, desk.contact):
        url = f"/api/v1/duty/{user.pk}/"
        assert api.get(url).status_code == 404, user
        response = api.patch(url, {"on_duty": True}, format="json")
        assert response.status_code == 404, user
        assert "Birk" not in response.content.decode()
    assert not on_duty(desk.foreign_agent)
    assert api.patch("/api/v1/duty/abc/", {"on_duty": True}, format="json").status_code == 404


def test_api_bad_input_and_a_deactivated_user_answer_400_with_details(desk, api):
    api.force_authenticate(desk.admin)
    url = f"/api/v1/duty/{desk.colleague.pk}/"
    missing = api.patch(url, {}, format="json")
    assert missing.status_code == 400 and "on_duty" in missing.data
    assert api.patch(url, {"on_duty": "maybe"}, format="json").status_code == 400
    assert api.patch(url, {"on_duty": None}, format="json").status_code == 400
    form_without_field = api.patch(url, {"note": "x"})  # multipart: a missing box is not "off"
    assert form_without_field.status_code == 400 and "on_duty" in form_without_field.data
    assert api.put(url, {"on_duty": True}, format="json").status_code == 405

    desk.colleague.is_active = False
    desk.colleague.save()
    deactivated = api.patch(url, {"on_duty": True}, format="json")
    assert deactivated.status_code == 400
    assert deactivated.data == {"on_duty": ["Carl Dahl is deactivated and cannot go on duty."]}


def test_api_session_auth_needs_the_csrf_token(desk):
    api = APIClient(enforce_csrf_checks=True)
    api.login(email=desk.agent.email, password=PASSWORD)
    url = f"/api/v1/duty/{desk.agent.pk}/"
    assert api.patch(url, {"on_duty": True}, format="json").status_code == 403
    assert not on_duty(desk.agent)
    api.get("/queue/")  # sets the CSRF cookie, as the pages do
    token = api.cookies["csrftoken"].value
    response = api.patch(url, {"on_duty": True}, format="json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200 and on_duty(desk.agent)


def test_api_schema_documents_the_duty_endpoints(api):
    paths = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]
    assert "get" in paths["/api/v1/duty/"]
    assert set(paths["/api/v1/duty/{user_id}/"]) >= {"get", "patch"}
    assert "put" not in paths["/api/v1/duty/{user_id}/"]
