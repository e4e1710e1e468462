"""Phone cases: an agent logs a call on behalf of a contact (`/queue/phone/new/`, and the
case API with channel "phone"); the SLA starts at the call time the agent enters.

Time is frozen on Tuesday 10 March 2026, 10:00 in Copenhagen (09:00 UTC), on the real
Vivant contract (critical fault: response within 2 working hours).
"""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from sla.models import SlaClock
from supportdesk.models import Role
from tests.factories import ContactFactory, OrganizationFactory, UserFactory
from tests.tickets.conftest import subscribed
from tickets.models import Case, CaseEvent, EventKind

URL = "/queue/phone/new/"
NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
REGISTERED = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def vivant(load_pack):
    tenant = load_pack("vivant")
    customer = subscribed(tenant, "fixed_price", name="Køge Tømrer ApS")
    neighbour = subscribed(tenant, "fixed_price", name="Roskilde Bageri ApS")
    return {
        "tenant": tenant,
        "customer": customer,
        "neighbour": neighbour,
        "caller": ContactFactory(
            organization=customer,
            user__date_joined=REGISTERED,
            user__first_name="Karen",
            user__last_name="Holm",
        ),
        "baker": ContactFactory(organization=neighbour, user__date_joined=REGISTERED),
        "agent": UserFactory(tenant=tenant, role=Role.AGENT),
    }


def form_data(world, **fields):
    data = {
        "organization": world["customer"].pk,
        "contact": world["caller"].pk,
        "called_at": "2026-03-10T09:20",  # Copenhagen, the agent's zone: 08:20 UTC
        "severity": "critical_fault",
        "case_type": "incident",
        "subject": "Nobody can log in to mail",
        "description": "Karen called: Outlook asks for the password again and again.",
    }
    data.update(fields)
    return data


@pytest.fixture
def agent_client(client, vivant):
    client.force_login(vivant["agent"])
    return client


def errors_on(response, field):
    return f'data-testid="error-{field}"' in response.content.decode()


@pytest.mark.django_db
def test_the_page_offers_the_tenants_customers_and_contacts_with_now_as_call_time(
    agent_client, vivant, tenant_b
):
    foreign = OrganizationFactory(tenant=tenant_b, name="Fremmed Firma")
    ContactFactory(organization=foreign, user__email="stranger@example.com")
    response = agent_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Køge Tømrer ApS" in html and "Roskilde Bageri ApS" in html
    assert vivant["caller"].user.email in html
    assert "Fremmed Firma" not in html and "stranger@example.com" not in html
    assert 'value="2026-03-10T10:00"' in html  # now, in the agent's zone
    assert 'max="2026-03-10T10:00"' in html


@pytest.mark.django_db
def test_choosing_a_customer_narrows_the_contacts(agent_client, vivant):
    html = agent_client.get(URL, {"organization": vivant["neighbour"].pk}).content.decode()
    assert vivant["baker"].user.email in html
    assert vivant["caller"].user.email not in html


@pytest.mark.django_db
def test_an_agent_logs_a_call_and_the_sla_starts_at_the_call_time(agent_client, vivant):
    response = agent_client.post(URL, form_data(vivant))
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/queue/cases/{case.number}/"
    assert case.channel == "phone"
    assert case.requester == vivant["caller"].user
    assert case.organization == vivant["customer"]
    assert case.severity.key == "critical_fault" and case.case_type.key == "incident"
    assert case.filed_at == dt.datetime(2026, 3, 10, 8, 20, tzinfo=dt.UTC)
    clock = SlaClock.objects.get(case=case, metric="response")
    assert clock.started_at == case.filed_at
    assert clock.due_at == case.filed_at + dt.timedelta(hours=2)
    created = CaseEvent.objects.get(case=case, kind=EventKind.CREATED)
    assert created.actor == vivant["agent"]
    page = agent_client.get(response["Location"])
    assert f"Phone case {case.number} was logged." in page.content.decode()


@pytest.mark.django_db
def test_a_tenant_admin_may_log_calls_too(client, vivant):
    client.force_login(UserFactory(tenant=vivant["tenant"], role=Role.TENANT_ADMIN))
    assert client.get(URL).status_code == 200
    assert client.post(URL, form_data(vivant)).status_code == 302


@pytest.mark.django_db
def test_a_call_in_the_future_is_refused_on_the_call_time(agent_client, vivant):
    response = agent_client.post(URL, form_data(vivant, called_at="2026-03-10T10:30"))
    assert response.status_code == 400
    assert errors_on(response, "called_at")
    assert "future" in response.content.decode()
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_a_call_before_the_contact_existed_is_refused(agent_client, vivant):
    response = agent_client.post(URL, form_data(vivant, called_at="2026-02-27T10:00"))
    assert response.status_code == 400
    assert errors_on(response, "called_at")
    assert "before the contact was registered" in response.content.decode()
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_a_call_time_that_does_not_exist_in_the_agents_zone_is_refused(agent_client, vivant):
    # 29 March 2026, 02:30 in Copenhagen: the clocks jump from 02:00 to 03:00.
    with_gap = form_data(vivant, called_at="2026-03-29T02:30")
    response = agent_client.post(URL, with_gap)
    assert response.status_code == 400 and errors_on(response, "called_at")


@pytest.mark.django_db
def test_a_contact_of_another_customer_is_refused(agent_client, vivant):
    response = agent_client.post(URL, form_data(vivant, contact=vivant["baker"].pk))
    assert response.status_code == 400
    assert errors_on(response, "contact")
    assert "is a contact of Roskilde Bageri ApS" in response.content.decode()
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_another_tenants_customer_or_contact_is_refused(agent_client, vivant, tenant_b):
    foreign = OrganizationFactory(tenant=tenant_b)
    stranger = ContactFactory(organization=foreign, user__date_joined=REGISTERED)
    by_org = agent_client.post(URL, form_data(vivant, organization=foreign.pk))
    assert by_org.status_code == 400 and errors_on(by_org, "organization")
    by_contact = agent_client.post(URL, form_data(vivant, contact=stranger.pk))
    assert by_contact.status_code == 400 and errors_on(by_contact, "contact")
    both = agent_client.post(URL, form_data(vivant, organization=foreign.pk, contact=stranger.pk))
    assert both.status_code == 400
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_required_fields_are_named(agent_client, vivant):
    response = agent_client.post(URL, {"organization": vivant["customer"].pk})
    assert response.status_code == 400
    for field in ("contact", "called_at", "severity", "subject", "description"):
        assert errors_on(response, field), field
    assert agent_client.post(URL, form_data(vivant, severity="apocalypse")).status_code == 400
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_only_agents_and_tenant_admins_reach_the_page(client, vivant):
    assert client.get(URL).status_code == 302  # anonymous: sign in first
    client.force_login(vivant["caller"].user)
    assert client.get(URL).status_code == 404
    assert client.post(URL, form_data(vivant)).status_code == 404
    client.force_login(UserFactory(tenant=vivant["tenant"], role=Role.ACCOUNT_MANAGER))
    assert client.get(URL).status_code == 404
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_the_case_api_files_phone_calls_from_the_call_time(vivant):
    api = APIClient()
    api.force_authenticate(vivant["agent"])
    called = NOW - dt.timedelta(minutes=40)
    response = api.post(
        "/api/v1/cases/",
        {
            "requester": vivant["caller"].user.pk,
            "channel": "phone",
            "filed_at": called.isoformat(),
            "severity": "critical_fault",
            "case_type": "incident",
            "subject": "Printer queue stuck",
            "description": "Called in.",
        },
        format="json",
    )
    assert response.status_code == 201, response.data
    assert response.data["channel"] == "phone"
    assert response.data["filed_at"] == "2026-03-10T08:20:00Z"
    clock = SlaClock.objects.get(case__number=response.data["number"], metric="response")
    assert clock.started_at == called

    early = api.post(
        "/api/v1/cases/",
        {
            "requester": vivant["caller"].user.pk,
            "channel": "phone",
            "filed_at": (REGISTERED - dt.timedelta(days=1)).isoformat(),
            "severity": "critical_fault",
            "subject": "Too early",
            "description": "Before the contact existed.",
        },
        format="json",
    )
    assert early.status_code == 400 and "filed_at" in early.data
