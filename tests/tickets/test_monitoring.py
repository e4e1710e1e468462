"""The monitoring webhook (`POST /api/v1/monitoring/alerts/`) on the real Vivant and Pector
contracts: token auth, payload validation, outage cases whose SLA starts when the alert
occurred, repeats and resolutions as internal notes, idempotent replays, the open-alert
lock, throttling and tenant isolation.

Time is frozen on Tuesday 10 March 2026, 10:00 in Copenhagen (09:00 UTC): Vivant is open.
"""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.utils import translation
from rest_framework.test import APIClient

from plans.models import CustomerOrganization
from sla.models import SlaClock
from supportdesk.models import Role
from tests.factories import OrganizationFactory, UserFactory
from tests.factories_monitoring import MonitoringAlertFactory, monitoring_token
from tests.tickets.conftest import contact_in, subscribed
from tickets.api.monitoring import MonitoringThrottle
from tickets.cases.services import case_assign, case_transition
from tickets.models import (
    Case,
    CaseEvent,
    CaseStatus,
    EventKind,
    IntakeToken,
    MonitoringAlert,
    MonitoringDelivery,
    Notification,
)
from tickets.monitoring import selectors as monitoring_selectors
from tickets.monitoring import services as monitoring

URL = "/api/v1/monitoring/alerts/"
NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
REGISTERED = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
OCCURRED = NOW - dt.timedelta(minutes=30)  # 09:30 in Copenhagen


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


def registered_contact(organization, **traits):
    """A contact registered on REGISTERED (alerts may not predate the contact)."""
    return contact_in(organization, user__date_joined=REGISTERED, **traits)


@pytest.fixture
def vivant(load_pack):
    tenant = load_pack("vivant")
    customer = subscribed(tenant, "fixed_price", name="Køge Tømrer ApS")
    user = registered_contact(customer)  # an ordinary user first: the admin is still chosen
    admin = registered_contact(customer, trained_admin=True)
    token, raw = monitoring_token(customer, name="Server monitoring")
    return {
        "tenant": tenant,
        "customer": customer,
        "user": user,
        "admin": admin,
        "token": token,
        "raw": raw,
        "agent": UserFactory(tenant=tenant, role=Role.AGENT),
    }


@pytest.fixture
def pector(load_pack):
    tenant = load_pack("pector")
    customer = subscribed(tenant, "gold", name="Webbhandel AB")
    contact = registered_contact(customer)
    _token, raw = monitoring_token(customer, name="Pector Import")
    return {"tenant": tenant, "customer": customer, "contact": contact, "raw": raw}


def said(tenant, text, **params):
    """What the desk writes into a case: in the tenant's language (Vivant: Danish)."""
    with translation.override(tenant.language):
        return translation.gettext(text) % params


def alert(**fields):
    payload = {
        "delivery_id": "d-1",
        "alert_key": "webshop-order-import",
        "status": "firing",
        "summary": "Order import stalled",
        "details": "No orders imported for 15 minutes.",
        "occurred_at": OCCURRED.isoformat(),
    }
    payload.update(fields)
    return {k: v for k, v in payload.items() if v is not ...}


def post(raw, payload=None, **fields):
    client = APIClient()
    return client.post(
        URL,
        payload if payload is not None else alert(**fields),
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )


# --- who may call ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_unknown_missing_or_inactive_tokens_answer_401(vivant):
    client = APIClient()
    missing = client.post(URL, alert(), format="json")
    assert missing.status_code == 401
    assert missing["WWW-Authenticate"].startswith("Bearer")
    assert post("not-a-token").status_code == 401
    assert (
        client.post(
            URL, alert(), format="json", HTTP_AUTHORIZATION=f"Token {vivant['raw']}"
        ).status_code
        == 401
    )

    _email_token, email_raw = IntakeToken.issue(
        tenant=vivant["tenant"], kind="email", name="relay", organization=vivant["customer"]
    )
    assert post(email_raw).status_code == 401  # an e-mail relay token is no monitoring token

    IntakeToken.objects.filter(pk=vivant["token"].pk).update(active=False)
    assert post(vivant["raw"]).status_code == 401
    assert not Case.objects.exists() and not MonitoringDelivery.objects.exists()


@pytest.mark.django_db
def test_a_token_without_a_customer_is_refused_with_an_explanation(vivant):
    _token, raw = IntakeToken.issue(tenant=vivant["tenant"], kind="monitoring", name="Loose")
    response = post(raw)
    assert response.status_code == 400
    assert "not linked to a customer" in str(response.data["detail"])


@pytest.mark.django_db
def test_a_token_whose_customer_is_another_tenants_is_refused(vivant, tenant_b):
    foreign = OrganizationFactory(tenant=tenant_b)
    _token, raw = IntakeToken.issue(
        tenant=vivant["tenant"], kind="monitoring", name="Misconfigured", organization=foreign
    )
    assert post(raw).status_code == 400
    assert not Case.objects.exists()


# --- what may be sent --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"alert_key": ...}, "alert_key"),
        ({"delivery_id": ...}, "delivery_id"),
        ({"delivery_id": "x" * 101}, "delivery_id"),
        ({"alert_key": ""}, "alert_key"),
        ({"status": "exploded"}, "status"),
        ({"status": ...}, "status"),
        ({"summary": ""}, "summary"),
        ({"summary": "x" * 201}, "summary"),
        ({"occurred_at": (NOW + dt.timedelta(hours=1)).isoformat()}, "occurred_at"),
        ({"occurred_at": "2026-03-10T08:00:00"}, "occurred_at"),  # no offset: ambiguous
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"severity": "apocalypse"}, "severity"),
        ({"sumary": "typo"}, "sumary"),
    ],
)
def test_bad_payloads_answer_400_naming_the_field(vivant, fields, field):
    response = post(vivant["raw"], **fields)
    assert response.status_code == 400, response.data
    assert field in response.data, response.data
    assert not Case.objects.exists()
    assert not MonitoringDelivery.objects.exists()
    assert not MonitoringAlert.objects.exists()


@pytest.mark.django_db
def test_error_details_are_helpful(vivant):
    unknown = post(vivant["raw"], severity="apocalypse", sumary="typo").data
    assert "outage" in str(unknown["severity"]) and "critical_fault" in str(unknown["severity"])
    assert "alert_key" in str(unknown["sumary"])  # lists the fields an alert has
    naive = post(vivant["raw"], occurred_at="2026-03-10T08:00:00").data
    assert "offset" in str(naive["occurred_at"])


@pytest.mark.django_db
def test_a_body_that_is_not_a_json_object_is_refused(vivant):
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {vivant['raw']}")
    broken = client.post(URL, "{not json", content_type="application/json")
    assert broken.status_code == 400
    listed = client.post(URL, [alert()], format="json")
    assert listed.status_code == 400
    assert not MonitoringDelivery.objects.exists()


@pytest.mark.django_db
def test_a_resolved_alert_needs_no_summary(vivant):
    response = post(vivant["raw"], status="resolved", summary=...)
    assert response.status_code == 200, response.data
    assert response.data["outcome"] == "no_open_alert"
    assert response.data["case"] is None


# --- the outage case ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_first_firing_files_an_outage_case_whose_sla_starts_when_the_alert_occurred(vivant):
    response = post(vivant["raw"])
    assert response.status_code == 201, response.data
    assert response.data == {
        "delivery_id": "d-1",
        "alert_key": "webshop-order-import",
        "status": "firing",
        "outcome": "case_opened",
        "case": "VIV-000001",
        "replayed": False,
    }
    case = Case.objects.get(number="VIV-000001")
    assert case.tenant == vivant["tenant"]
    assert case.organization == vivant["customer"]
    assert case.channel == "monitoring"
    assert case.severity.key == "outage"  # the pack's monitoring severity
    assert case.case_type.key == "incident"  # the pack's monitoring case type
    assert case.subject == said(
        vivant["tenant"], "[monitoring] %(summary)s", summary="Order import stalled"
    )
    assert "No orders imported" in case.description
    assert "webshop-order-import" in case.description
    assert case.requester == vivant["admin"].user  # the trained administrator
    assert case.status == CaseStatus.NEW
    assert case.filed_at == OCCURRED

    clock = SlaClock.objects.get(case=case, metric="response")
    assert clock.started_at == OCCURRED
    # Outage: 1 working hour on the opening hours; 09:30 + 1 h = 10:30 Copenhagen.
    assert clock.due_at == OCCURRED + dt.timedelta(hours=1)

    created = CaseEvent.objects.get(case=case, kind=EventKind.CREATED)
    assert created.actor is None  # filed by the system, not by a person
    assert created.data["monitoring"]["alert_key"] == "webshop-order-import"
    # Vivant tells the reporter of creation: the customer's administrator hears of it.
    told = Notification.objects.filter(case=case, kind="created")
    assert list(told.values_list("recipient", flat=True)) == [vivant["admin"].user.pk]

    alert_row = MonitoringAlert.objects.get()
    assert (alert_row.is_open, alert_row.case, alert_row.repeat_count) == (True, case, 0)
    assert alert_row.opened_at == OCCURRED
    delivery = MonitoringDelivery.objects.get()
    assert (delivery.outcome, delivery.case, delivery.alert) == ("case_opened", case, alert_row)
    assert delivery.payload["summary"] == "Order import stalled"
    vivant["token"].refresh_from_db()
    assert vivant["token"].last_used_at == NOW


@pytest.mark.django_db
def test_occurred_at_defaults_to_now_and_a_slightly_fast_sender_clock_is_now(vivant):
    assert post(vivant["raw"], occurred_at=...).status_code == 201
    assert Case.objects.get().filed_at == NOW
    skewed = (NOW + dt.timedelta(seconds=30)).isoformat()
    assert (
        post(vivant["raw"], delivery_id="d-2", alert_key="dns", occurred_at=skewed).status_code
        == 201
    )
    assert Case.objects.get(number="VIV-000002").filed_at == NOW


@pytest.mark.django_db
def test_an_explicit_severity_is_used(vivant):
    assert post(vivant["raw"], severity="critical_fault").status_code == 201
    assert Case.objects.get().severity.key == "critical_fault"


@pytest.mark.django_db
def test_pector_files_with_its_monitoring_terms_and_any_contact(pector):
    response = post(pector["raw"])
    assert response.status_code == 201, response.data
    case = Case.objects.get()
    assert case.number == "PEC-000001"
    assert case.severity.key == "normal"
    assert case.case_type.key == "monitoring_alert"
    assert case.requester == pector["contact"].user  # no trained administrator: any contact
    assert not SlaClock.objects.filter(case=case).exists()  # Pector has no targets


@pytest.mark.django_db
def test_a_customer_without_contacts_cannot_be_filed_for(load_pack):
    tenant = load_pack("vivant")
    customer = subscribed(tenant, "fixed_price", name="Tom Kunde ApS")
    _token, raw = monitoring_token(customer)
    response = post(raw)
    assert response.status_code == 400
    assert "no contact" in str(response.data["detail"])
    assert not MonitoringDelivery.objects.exists() and not MonitoringAlert.objects.exists()


@pytest.mark.django_db
def test_an_alert_older_than_every_contact_is_refused(vivant):
    response = post(vivant["raw"], occurred_at=(REGISTERED - dt.timedelta(days=1)).isoformat())
    assert response.status_code == 400
    assert "occurred_at" in response.data
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_long_summaries_fit_the_subject(vivant):
    assert post(vivant["raw"], summary="x" * 200).status_code == 201
    subject = Case.objects.get().subject
    assert len(subject) == 200 and subject.endswith("…")


# --- repeats, replays, resolution --------------------------------------------------------------


@pytest.mark.django_db
def test_repeats_add_internal_notes_to_the_open_case(vivant):
    post(vivant["raw"])
    second = post(vivant["raw"], delivery_id="d-2", summary="Still stalled")
    third = post(vivant["raw"], delivery_id="d-3", occurred_at=...)
    assert (second.status_code, third.status_code) == (200, 200)
    assert second.data["outcome"] == "repeated" and second.data["case"] == "VIV-000001"
    assert third.data["case"] == "VIV-000001"
    assert Case.objects.count() == 1
    notes = list(
        CaseEvent.objects.filter(case__number="VIV-000001", kind=EventKind.NOTE).order_by("pk")
    )
    assert [n.public for n in notes] == [False, False]
    assert [n.actor for n in notes] == [None, None]
    repeated = "Alert repeated (%(count)s): %(summary)s. Occurred %(when)s."
    first_when = "10 Mar 2026 09:30 CET"  # OCCURRED in Copenhagen
    assert notes[0].body == said(
        vivant["tenant"], repeated, count=1, summary="Still stalled", when=first_when
    )
    assert notes[1].body == said(
        vivant["tenant"],
        repeated,
        count=2,
        summary="Order import stalled",
        when="10 Mar 2026 10:00 CET",  # no occurred_at: when it arrived
    )
    alert_row = MonitoringAlert.objects.get()
    assert alert_row.repeat_count == 2 and alert_row.last_seen_at == NOW


@pytest.mark.django_db
def test_a_replayed_delivery_returns_the_first_result_and_changes_nothing(vivant):
    first = post(vivant["raw"])
    events = CaseEvent.objects.count()
    again = post(vivant["raw"])
    assert again.status_code == 200
    assert again.data == {**first.data, "replayed": True}
    assert (Case.objects.count(), CaseEvent.objects.count()) == (1, events)
    assert MonitoringDelivery.objects.count() == 1

    post(vivant["raw"], delivery_id="d-2")
    repeat_again = post(vivant["raw"], delivery_id="d-2", summary="resent with new text")
    assert repeat_again.data["replayed"] is True and repeat_again.data["outcome"] == "repeated"
    assert MonitoringAlert.objects.get().repeat_count == 1


@pytest.mark.django_db
def test_a_delivery_id_reused_for_another_alert_is_a_conflict(vivant):
    post(vivant["raw"])
    response = post(vivant["raw"], status="resolved")
    assert response.status_code == 409
    assert "delivery_id" in response.data
    assert MonitoringAlert.objects.get().is_open


@pytest.mark.django_db
def test_resolved_adds_a_note_and_a_later_firing_opens_a_new_case(vivant):
    post(vivant["raw"])
    case_assign(case=Case.objects.get(), assignee=vivant["agent"], actor=vivant["agent"])
    post(vivant["raw"], delivery_id="d-1b", occurred_at=...)  # a repeat: nobody is told
    assert not Notification.objects.filter(kind="note").exists()
    resolved_at = NOW - dt.timedelta(minutes=5)
    response = post(
        vivant["raw"], delivery_id="d-2", status="resolved", occurred_at=resolved_at.isoformat()
    )
    assert response.status_code == 200
    assert response.data["outcome"] == "resolved" and response.data["case"] == "VIV-000001"
    note = CaseEvent.objects.filter(case__number="VIV-000001", kind=EventKind.NOTE).last()
    # The case's agent hears that the monitoring says it is resolved; the customer does not.
    told = Notification.objects.filter(event=note)
    assert list(told.values_list("recipient", flat=True)) == [vivant["agent"].pk]
    resolved_text = said(
        vivant["tenant"], "Alert resolved at %(when)s.", when="10 Mar 2026 09:55 CET"
    )
    assert note.body == f"{resolved_text} Order import stalled"  # the resolved alert's summary
    assert note.public is False
    first = Case.objects.get(number="VIV-000001")
    assert first.status == CaseStatus.OPEN  # still open: the agents resolve the case
    alert_row = MonitoringAlert.objects.get()
    assert (alert_row.is_open, alert_row.resolved_at, alert_row.closed_at) == (
        False,
        resolved_at,
        NOW,
    )

    again = post(vivant["raw"], delivery_id="d-3", occurred_at=...)
    assert again.status_code == 201 and again.data["case"] == "VIV-000002"
    assert MonitoringAlert.objects.filter(is_open=True).get().case.number == "VIV-000002"


@pytest.mark.django_db
def test_a_firing_after_the_agents_resolved_the_case_opens_a_new_one(vivant):
    post(vivant["raw"])
    case = Case.objects.get()
    case_assign(case=case, assignee=vivant["agent"], actor=vivant["agent"])
    case_transition(case=case, to="resolved", actor=vivant["agent"])
    response = post(vivant["raw"], delivery_id="d-2", occurred_at=...)
    assert response.status_code == 201 and response.data["case"] == "VIV-000002"
    assert "VIV-000001" in Case.objects.get(number="VIV-000002").description
    old, new = MonitoringAlert.objects.order_by("pk")
    assert (old.is_open, old.closed_at, old.resolved_at) == (False, NOW, None)
    assert new.is_open and new.case.number == "VIV-000002"


@pytest.mark.django_db
def test_a_resolved_alert_after_the_agents_closed_the_case_still_notes_it(vivant):
    post(vivant["raw"])
    case = Case.objects.get()
    case_transition(case=case, to="resolved", actor=vivant["agent"])
    response = post(vivant["raw"], delivery_id="d-2", status="resolved", occurred_at=...)
    assert response.data["outcome"] == "resolved"
    assert CaseEvent.objects.filter(case=case, kind=EventKind.NOTE).count() == 1
    assert not MonitoringAlert.objects.filter(is_open=True).exists()


# --- the open-alert lock -----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_database_refuses_a_second_open_alert_for_a_key(vivant):
    MonitoringAlertFactory(organization=vivant["customer"], alert_key="dns")
    with pytest.raises(IntegrityError), transaction.atomic():
        MonitoringAlertFactory(organization=vivant["customer"], alert_key="dns")
    # Closed alerts of the key, and the same key of another customer, are fine.
    MonitoringAlertFactory(
        organization=vivant["customer"], alert_key="dns", is_open=False, closed_at=NOW
    )
    MonitoringAlertFactory(
        organization=OrganizationFactory(tenant=vivant["tenant"]), alert_key="dns"
    )


@pytest.mark.django_db
def test_a_concurrent_first_firing_that_lost_the_race_becomes_a_repeat(vivant, monkeypatch):
    post(vivant["raw"])
    real = monitoring._open_alert
    calls = []

    def not_yet_visible(organization, alert_key):
        # The other request's alert was not committed when this one looked first.
        calls.append(alert_key)
        return None if len(calls) == 1 else real(organization, alert_key)

    monkeypatch.setattr(monitoring, "_open_alert", not_yet_visible)
    response = post(vivant["raw"], delivery_id="d-2")
    assert response.status_code == 200, response.data
    assert response.data["outcome"] == "repeated" and response.data["case"] == "VIV-000001"
    assert Case.objects.count() == 1
    assert MonitoringAlert.objects.get().repeat_count == 1
    assert len(calls) == 2


@pytest.mark.django_db
def test_a_concurrent_replay_of_the_same_delivery_returns_the_first_result(vivant, monkeypatch):
    post(vivant["raw"])
    real = monitoring._delivery_of
    calls = []

    def not_yet_visible(organization, delivery_id):
        calls.append(delivery_id)
        return None if len(calls) == 1 else real(organization, delivery_id)

    monkeypatch.setattr(monitoring, "_delivery_of", not_yet_visible)
    response = post(vivant["raw"])
    assert response.status_code == 200
    assert response.data["replayed"] is True and response.data["case"] == "VIV-000001"
    assert MonitoringDelivery.objects.count() == 1 and Case.objects.count() == 1


# --- throttling --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_webhook_is_rate_limited_per_token(vivant, monkeypatch):
    monkeypatch.setattr(MonitoringThrottle, "THROTTLE_RATES", {"inbound": "2/min"})
    assert post(vivant["raw"], delivery_id="a").status_code == 201
    assert post(vivant["raw"], delivery_id="b").status_code == 200
    limited = post(vivant["raw"], delivery_id="c")
    assert limited.status_code == 429
    assert "Retry-After" in limited
    assert not MonitoringDelivery.objects.filter(delivery_id="c").exists()

    _other, other_raw = monitoring_token(vivant["customer"], name="Second system")
    assert post(other_raw, delivery_id="c").status_code == 200  # its own budget


# --- isolation ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_tokens_only_ever_touch_their_own_tenant_and_customer(vivant, pector):
    # Same delivery id and alert key at two tenants: two cases, one per tenant.
    assert post(vivant["raw"]).data["case"] == "VIV-000001"
    assert post(pector["raw"]).data["case"] == "PEC-000001"
    # Pector's repeat lands on Pector's case only.
    post(pector["raw"], delivery_id="d-2")
    viv_alert = MonitoringAlert.objects.get(tenant=vivant["tenant"])
    pec_alert = MonitoringAlert.objects.get(tenant=pector["tenant"])
    assert (viv_alert.repeat_count, pec_alert.repeat_count) == (0, 1)
    assert not CaseEvent.objects.filter(case__number="VIV-000001", kind=EventKind.NOTE).exists()

    # Two customers of one tenant with the same key and delivery id stay apart.
    other = subscribed(vivant["tenant"], "fixed_price", name="Roskilde Bageri")
    contact_in(other, trained_admin=True)
    _token, other_raw = monitoring_token(other)
    response = post(other_raw, occurred_at=...)
    assert response.status_code == 201 and response.data["replayed"] is False
    assert Case.objects.get(number=response.data["case"]).organization == other

    assert set(
        monitoring_selectors.alert_list(tenant=vivant["tenant"]).values_list("tenant", flat=True)
    ) == {vivant["tenant"].pk}
    assert monitoring_selectors.delivery_list(tenant=pector["tenant"]).count() == 2
    assert not monitoring_selectors.delivery_list(tenant=None).exists()


@pytest.mark.django_db
def test_a_delivery_id_used_at_another_tenant_is_no_replay(vivant, pector):
    """A Pector token sending Vivant's delivery id after Vivant used it files its own case."""
    post(vivant["raw"], delivery_id="shared", alert_key="disk")
    response = post(pector["raw"], delivery_id="shared", alert_key="disk")
    assert response.status_code == 201 and response.data["replayed"] is False
    assert response.data["case"].startswith("PEC-")


# --- the token command -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_command_issues_a_token_printed_once(pector):
    out = StringIO()
    call_command(
        "monitoring_token",
        "--tenant=pector",
        f"--customer={pector['customer'].pk}",
        "--name=Pector Import",
        stdout=out,
    )
    raw = out.getvalue().strip().splitlines()[-1]
    token = IntakeToken.authenticate(raw, kind="monitoring")
    assert token.organization == pector["customer"] and token.name == "Pector Import"
    assert raw not in {t.digest for t in IntakeToken.objects.all()}
    assert post(raw, delivery_id="cmd").status_code == 201


@pytest.mark.django_db
def test_the_command_refuses_another_tenants_customer(pector, tenant_b):
    foreign = CustomerOrganization.objects.create(tenant=tenant_b, name="Fremmed AB")
    with pytest.raises(CommandError, match="no customer"):
        call_command("monitoring_token", "--tenant=pector", f"--customer={foreign.pk}", "--name=x")
    with pytest.raises(CommandError, match="No tenant"):
        call_command("monitoring_token", "--tenant=nobody", "--customer=1", "--name=x")
