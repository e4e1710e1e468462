"""Outbound notifications: who hears of what, in their own language and zone; the outbox
survives a broker outage; delivery sends once; preferences mute; nobody sees anyone
else's notifications (404), and no tenant's notifications reach another tenant.

ProMark's pack speaks Danish (da) and keeps Copenhagen office hours. Premium severity 3
promises a response within 1 working day (8 working hours): filed Monday 13 April 2026
10:00 in Copenhagen, it is due Tuesday 14 April 10:00.
"""

import datetime as dt
import smtplib
from unittest import mock

import pytest
import time_machine
from celery.exceptions import Retry
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import formats, translation
from kombu.exceptions import OperationalError
from rest_framework.test import APIClient

from plans.models import CaseType, Plan, SeverityLevel, SlaTarget
from plans.policy import policy_pack_load
from plans.services import subscription_create
from supportdesk.models import Role
from tests.factories import ContactFactory, OrganizationFactory, UserFactory
from tests.factories_notifications import NotificationFactory
from tests.plans.conftest import read_pack
from tests.tickets.conftest import contact_in, subscribed
from tickets.cases.services import (
    case_assign,
    case_escalate,
    case_file,
    case_forward,
    case_reclassify,
    case_reopen,
    case_reply,
    case_submit_returned,
    case_transition,
)
from tickets.models import (
    CaseEvent,
    EmailStatus,
    EventKind,
    Notification,
    NotificationKind,
)
from tickets.notifications import audience, delivery, outbox, preferences, selectors
from tickets.tasks import deliver_notification, deliver_pending_notifications

UTC = dt.UTC
# Monday 13 April 2026, 10:00 in Copenhagen (CEST, UTC+2).
NOW = dt.datetime(2026, 4, 13, 8, 0, tzinfo=UTC)
DUE = dt.datetime(2026, 4, 14, 8, 0, tzinfo=UTC)  # Tuesday 10:00 in Copenhagen


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def world(db):
    tenant = policy_pack_load(document=read_pack("promark")).tenant
    manager = UserFactory(tenant=tenant, role=Role.ACCOUNT_MANAGER)
    org = subscribed(tenant, "premium", name="Premium Kunde A/S", account_manager=manager)
    return {
        "tenant": tenant,
        "org": org,
        # A Danish contact on the tenant's zone, and an English colleague in London.
        "contact": contact_in(org, user__language="da", user__first_name="Karen").user,
        "colleague": contact_in(org, user__language="en", user__timezone="Europe/London").user,
        "agent": UserFactory(tenant=tenant, role=Role.AGENT),
        "agent2": UserFactory(tenant=tenant, role=Role.AGENT),
        "admin": UserFactory(tenant=tenant, role=Role.TENANT_ADMIN),
        "manager": manager,
    }


def severity(world, key):
    return SeverityLevel.objects.get(tenant=world["tenant"], key=key)


def file(world, who="contact", key="3", **extra):
    user = world[who]
    fields = {
        "subject": "Fakturaer udskrives ikke & <print> virker ikke",
        "description": "Knappen gør ingenting.",
        "case_type": CaseType.objects.get(tenant=world["tenant"], key="incident"),
        **extra,
    }
    return case_file(
        actor=user,
        organization=world["org"],
        requester=user,
        severity=severity(world, key),
        **fields,
    )


def notes_of(case, **filters):
    return Notification.objects.filter(case=case, **filters)


def recipients(case, **filters) -> set:
    return set(notes_of(case, **filters).values_list("recipient__email", flat=True))


def emails(*users) -> set:
    return {u.email for u in users}


def in_language(language, value, fmt="D j M H:i", zone="Europe/Copenhagen"):
    from django.utils import timezone

    with translation.override(language), timezone.override(zone):
        return formats.date_format(timezone.localtime(value), fmt)


# --- case created -----------------------------------------------------------------------------


def test_case_created_promises_the_response_in_the_requesters_language_and_zone(world):
    case = file(world)
    note = Notification.objects.get(case=case)
    assert note.recipient == world["contact"]
    assert note.kind == NotificationKind.CREATED
    assert note.email_status == EmailStatus.PENDING
    assert case.number in note.body
    # Danish words and a Danish date: "inden for 1 arbejdsdag, … tir 14 apr 10:00".
    assert "inden for 1 arbejdsdag" in note.body
    due = in_language("da", DUE)
    assert due in note.body and due != in_language("en", DUE)
    assert note.link == f"/portal/cases/{case.number}/"
    # The subject is the case's own text, not HTML-escaped.
    assert "& <print>" in note.subject
    assert "&amp;" not in note.body


def test_an_english_requester_in_london_reads_english_and_london_time(world):
    case = file(world, who="colleague")
    note = Notification.objects.get(case=case)
    assert note.recipient == world["colleague"]
    assert "within 1 working day, by Tue 14 Apr 09:00" in note.body  # 10:00 Copenhagen


def test_no_response_clock_means_no_promise(world):
    SlaTarget.objects.filter(
        tenant=world["tenant"], plan__key="premium", severity__key="3", metric="response"
    ).delete()
    case = file(world, who="colleague")
    assert not case.clocks.filter(metric="response").exists()
    note = Notification.objects.get(case=case)
    assert "within" not in note.body and "We will respond" not in note.body


@pytest.fixture
def mobilise(db):
    tenant = policy_pack_load(document=read_pack("mobilise")).tenant
    org = OrganizationFactory(tenant=tenant, name="Oslo Idrettslag")
    subscription_create(
        organization=org,
        plan=Plan.objects.get(tenant=tenant, key="standard"),
        starts_on=dt.date(2025, 1, 1),
    )
    return {
        "tenant": tenant,
        "org": org,
        "trained": ContactFactory(organization=org, trained_admin=True).user,
        "trained2": ContactFactory(organization=org, trained_admin=True).user,
        "untrained": ContactFactory(organization=org, untrained_admin=True).user,
        "user": ContactFactory(organization=org).user,
        "agent": UserFactory(tenant=tenant, role=Role.AGENT),
    }


def file_mobilise(world, who):
    screenshot = SimpleUploadedFile("e.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png")
    return case_file(
        actor=world[who],
        organization=world["org"],
        requester=world[who],
        severity=SeverityLevel.objects.get(tenant=world["tenant"], key="A"),
        subject="Registration page fails",
        description="Volunteers get an error.",
        event_name="oslo-cup.example",
        affected_users="Kari",
        steps_tried="Cleared cache",
        attachments=[screenshot],
    )


def test_a_returned_case_tells_the_trained_administrators_then_submitting_tells_the_requester(
    mobilise,
):
    case = file_mobilise(mobilise, "user")
    assert recipients(case) == emails(mobilise["trained"], mobilise["trained2"])
    assert set(notes_of(case).values_list("kind", flat=True)) == {NotificationKind.RETURNED}
    assert not notes_of(case, recipient__role=Role.AGENT).exists()

    case_submit_returned(case=case, actor=mobilise["trained"])
    created = notes_of(case, kind=NotificationKind.CREATED).get()
    assert created.recipient == mobilise["user"]
    assert "within" in created.body  # the clocks started on submission: a promise


# --- replies and notes ------------------------------------------------------------------------


def test_an_agents_public_reply_reaches_the_requester_only(world):
    case = file(world)
    case_reply(case=case, actor=world["agent"], body="Vi kigger på det.")
    reply = notes_of(case, kind=NotificationKind.REPLY).get()
    assert reply.recipient == world["contact"]
    assert "Vi kigger på det." in reply.body


def test_a_customer_reply_reaches_every_agent_when_unassigned_then_only_the_assignee(world):
    case = file(world)
    event = case_reply(case=case, actor=world["contact"], body="Mere info")
    assert recipients(case, event=event) == emails(
        world["agent"], world["agent2"], world["admin"]
    )  # not the account manager, not the customer who wrote
    staff_note = notes_of(case, event=event, recipient=world["agent"]).get()
    assert staff_note.link == f"/queue/cases/{case.number}/"

    case_assign(case=case, assignee=world["agent"], actor=world["admin"])
    event = case_reply(case=case, actor=world["contact"], body="Endnu mere")
    assert recipients(case, event=event) == emails(world["agent"])


def test_a_colleagues_reply_tells_the_requester(world):
    case = file(world)
    case_assign(case=case, assignee=world["agent"], actor=world["agent"])
    event = case_reply(case=case, actor=world["colleague"], body="I found the log")
    assert recipients(case, event=event) == emails(world["agent"], world["contact"])


def test_internal_notes_never_leave_the_desk(world):
    case = file(world)
    case_assign(case=case, assignee=world["agent"], actor=world["agent"])
    own = case_reply(case=case, actor=world["agent"], body="Mine", public=False)
    assert not notes_of(case, event=own).exists()  # nobody hears of their own note
    note = case_reply(case=case, actor=world["agent2"], body="Check the printer", public=False)
    written = notes_of(case, event=note)
    assert recipients(case, event=note) == emails(world["agent"])
    assert written.get().kind == NotificationKind.NOTE
    assert (
        not notes_of(case, recipient__role=Role.CONTACT)
        .exclude(kind=NotificationKind.CREATED)
        .exists()
    )


def test_assignment_tells_the_new_assignee_unless_they_took_it(world):
    case = file(world)
    case_assign(case=case, assignee=world["agent"], actor=world["agent"])
    assert not notes_of(case, kind=NotificationKind.ASSIGNED).exists()
    case_assign(case=case, assignee=world["agent2"], actor=world["admin"])
    assert recipients(case, kind=NotificationKind.ASSIGNED) == emails(world["agent2"])


# --- workflow ---------------------------------------------------------------------------------


def test_status_changes_and_resolution_reach_the_requester(world):
    case = file(world)
    case_assign(case=case, assignee=world["agent"], actor=world["agent"])
    case_transition(case=case, to="in_progress", actor=world["agent"])
    status = notes_of(case, kind=NotificationKind.STATUS).get()
    assert status.recipient == world["contact"]
    with translation.override("da"):
        assert str(dict(case._meta.get_field("status").choices)["in_progress"]) in status.body

    case_transition(case=case, to="resolved", actor=world["agent"], reason="Ny driver")
    resolved = notes_of(case, kind=NotificationKind.RESOLVED).get()
    assert resolved.recipient == world["contact"]
    assert "Ny driver" in resolved.body

    case_reopen(case=case, actor=world["contact"], body="Det virker stadig ikke")
    reopened = notes_of(case, event__kind=EventKind.REOPENED)
    assert recipients(case, event__kind=EventKind.REOPENED) == emails(world["agent"])
    assert reopened.get().kind == NotificationKind.STATUS


def test_the_customers_answer_resuming_a_paused_case_sends_no_status_mail(world):
    case = file(world)
    case_assign(case=case, assignee=world["agent"], actor=world["agent"])
    case_transition(case=case, to="awaiting_customer", actor=world["agent"])
    assert notes_of(case, kind=NotificationKind.STATUS).count() == 1
    case_reply(case=case, actor=world["contact"], body="Here it is")
    assert notes_of(case, kind=NotificationKind.STATUS).count() == 1
    assert recipients(case, kind=NotificationKind.REPLY) == emails(world["agent"])


def test_reclassification_tells_the_requester_why_with_the_new_targets(world):
    case = file(world)
    with time_machine.travel(NOW + dt.timedelta(minutes=30), tick=False):
        case_reclassify(
            case=case,
            severity=severity(world, "1"),
            reason="Alle brugere ramt",
            actor=world["agent"],
        )
    note = notes_of(case, kind=NotificationKind.RECLASSIFIED).get()
    assert note.recipient == world["contact"]
    assert "Alle brugere ramt" in note.body
    assert "Kritisk sag" in note.body  # the new severity's name
    # Severity 1: response within 1 working hour from filing at 10:00 -> due 11:00.
    assert in_language("da", NOW + dt.timedelta(hours=1)) in note.body


def test_escalation_reaches_assignee_tenant_admins_and_account_manager(world):
    case = file(world)
    case_assign(case=case, assignee=world["agent"], actor=world["agent"])
    case_escalate(case=case, actor=world["contact"], reason="Hele salgsafdelingen står stille")
    assert recipients(case, kind=NotificationKind.ESCALATED) == emails(
        world["agent"], world["admin"], world["manager"]
    )
    manager_note = notes_of(case, kind=NotificationKind.ESCALATED, recipient=world["manager"])
    assert "Hele salgsafdelingen" in manager_note.get().body


def test_an_escalation_by_staff_tells_the_customer_too_but_not_the_escalating_agent(world):
    case = file(world)
    case_assign(case=case, assignee=world["agent"], actor=world["agent"])
    case_escalate(case=case, actor=world["agent"], reason="Needs the lead")
    assert recipients(case, kind=NotificationKind.ESCALATED) == emails(
        world["admin"], world["manager"], world["contact"]
    )


def test_forwarding_tells_the_requester(world):
    case = file(world)
    case_forward(case=case, actor=world["agent"], vendor="PrintCo", reference="PC-1")
    note = notes_of(case, event__kind=EventKind.FORWARDED).get()
    assert note.recipient == world["contact"] and "PrintCo" in note.body and "PC-1" in note.body


def test_an_event_notifies_each_person_once_however_often_it_is_reported(world):
    case = file(world)
    event = case_reply(case=case, actor=world["contact"], body="x")
    before = notes_of(case).count()
    audience.notifications_for_event(event=event)
    audience.notifications_for_event(event=event)
    assert notes_of(case).count() == before


# --- tenants ----------------------------------------------------------------------------------


def test_a_tenants_notifications_never_reach_another_tenants_users(world, tenant_b):
    outsider = UserFactory(tenant=tenant_b, role=Role.AGENT)
    outsider_admin = UserFactory(tenant=tenant_b, role=Role.TENANT_ADMIN)
    case = file(world)
    case_reply(case=case, actor=world["contact"], body="anyone?")
    case_escalate(case=case, actor=world["contact"], reason="now")
    assert not Notification.objects.filter(recipient__in=[outsider, outsider_admin]).exists()
    assert not Notification.objects.for_tenant(tenant_b).exists()
    with pytest.raises(ValueError):
        outbox.notify(recipient=outsider, kind=NotificationKind.REPLY, case=case, dedupe_key="x")


# --- preferences ------------------------------------------------------------------------------


def test_a_muted_kind_sends_no_mail_but_still_lists_in_the_app(
    world, django_capture_on_commit_callbacks
):
    preferences.notification_preference_set(user=world["contact"], kind="reply", email=False)
    case = file(world)
    with django_capture_on_commit_callbacks() as callbacks:
        case_reply(case=case, actor=world["agent"], body="Svar")
    reply = notes_of(case, kind=NotificationKind.REPLY).get()
    assert reply.email_status == EmailStatus.MUTED
    assert callbacks == []  # nothing queued
    assert reply in selectors.notification_list(user=world["contact"])
    deliver_notification(reply.pk)
    assert mail.outbox == []


def test_muting_the_app_list_hides_it_but_the_mail_goes(world):
    preferences.notification_preference_set(user=world["contact"], kind="status", in_app=False)
    case = file(world)
    case_assign(case=case, assignee=world["agent"], actor=world["agent"])
    case_transition(case=case, to="in_progress", actor=world["agent"])
    status = notes_of(case, kind=NotificationKind.STATUS).get()
    assert status.email_status == EmailStatus.PENDING and not status.in_app
    assert status not in selectors.notification_list(user=world["contact"])
    assert selectors.unread_count(user=world["contact"]) == 1  # the "case received" one
    deliver_notification(status.pk)
    assert len(mail.outbox) == 1


def test_preferences_default_to_on_and_only_offer_the_users_kinds(world):
    prefs = {
        p.kind: (p.email, p.in_app) for p in preferences.preference_list(user=world["contact"])
    }
    assert prefs["created"] == (True, True) and "note" not in prefs
    assert "returned" not in prefs  # only administrators take returned cases over
    staff = {p.kind for p in preferences.preference_list(user=world["agent"])}
    assert {"note", "assigned", "sla_breach"} <= staff and "created" not in staff
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        preferences.notification_preference_set(user=world["contact"], kind="note", email=False)


# --- delivery ---------------------------------------------------------------------------------


def test_delivery_sends_one_threaded_mail_however_often_the_task_runs(world, settings):
    settings.SITE_URL = "https://desk.example"
    settings.DEFAULT_FROM_EMAIL = "ProMark support <support@promark.example>"
    case = file(world)
    note = Notification.objects.get(case=case)
    assert deliver_notification(note.pk) == "sent"
    assert deliver_notification(note.pk) == "skipped"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [world["contact"].email]
    assert message.subject.startswith(f"[{case.number}] ")
    assert message.extra_headers["Message-ID"] == (
        f"<case-{case.number}-{note.pk}@promark.example>"
    )
    assert message.extra_headers["In-Reply-To"] == f"<case-{case.number}@promark.example>"
    assert message.extra_headers["References"] == f"<case-{case.number}@promark.example>"
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    assert f"https://desk.example/portal/cases/{case.number}/" in message.body
    assert "https://desk.example/notifications/preferences/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and f"/portal/cases/{case.number}/" in html
    note.refresh_from_db()
    assert note.email_status == EmailStatus.SENT and note.emailed_at == NOW
    assert note.attempts == 1


def test_links_default_to_the_local_site(world, settings):
    if hasattr(settings, "SITE_URL"):
        del settings.SITE_URL
    case = file(world)
    deliver_notification(Notification.objects.get(case=case).pk)
    assert f"http://127.0.0.1:8000/portal/cases/{case.number}/" in mail.outbox[0].body


def test_commit_queues_one_task_per_pending_mail(world, django_capture_on_commit_callbacks):
    with (
        mock.patch.object(deliver_notification, "apply_async") as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        case = file(world)
    note = Notification.objects.get(case=case)
    queued.assert_called_once()
    assert queued.call_args.kwargs["args"] == [note.pk]


def test_nothing_is_queued_when_the_change_rolls_back(world, django_capture_on_commit_callbacks):
    from django.core.exceptions import ValidationError

    with (
        mock.patch.object(deliver_notification, "apply_async") as queued,
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ValidationError),
    ):
        file(world, subject="")
    queued.assert_not_called()
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    "error",
    [OperationalError("broker down"), __import__("redis").exceptions.ConnectionError("refused")],
    ids=["kombu", "redis"],
)
def test_a_broker_outage_at_commit_loses_nothing(
    world, django_capture_on_commit_callbacks, time_machine, error
):
    with (
        mock.patch.object(deliver_notification, "apply_async", side_effect=error) as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        case = file(world)  # filing succeeds although the broker is down
    assert queued.called
    note = Notification.objects.get(case=case)
    assert note.email_status == EmailStatus.PENDING and mail.outbox == []

    assert deliver_pending_notifications() == 0  # within the grace its own task may still come
    time_machine.move_to(NOW + dt.timedelta(minutes=3), tick=False)
    assert deliver_pending_notifications() == 1
    assert deliver_pending_notifications() == 0
    assert len(mail.outbox) == 1
    note.refresh_from_db()
    assert note.email_status == EmailStatus.SENT


def test_smtp_errors_are_recorded_and_retried_with_backoff_then_fail(world, time_machine):
    case = file(world)
    note = Notification.objects.get(case=case)
    down = smtplib.SMTPServerDisconnected("connection lost")
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=down):
        with pytest.raises(Retry):
            deliver_notification(note.pk)
        note.refresh_from_db()
        assert note.email_status == EmailStatus.PENDING
        assert note.attempts == 1 and "connection lost" in note.last_error
        assert note.next_attempt_at > NOW + dt.timedelta(minutes=2)
        # The sweep leaves it to the task's own retry until its time comes.
        assert deliver_pending_notifications() == 0
        for _ in range(delivery.MAX_ATTEMPTS - 1):
            delivery.notification_deliver(notification_id=note.pk)
    note.refresh_from_db()
    assert note.email_status == EmailStatus.FAILED
    assert note.attempts == delivery.MAX_ATTEMPTS
    assert deliver_notification(note.pk) == "skipped"
    assert mail.outbox == []


def test_a_refused_address_fails_at_once(world):
    case = file(world)
    note = Notification.objects.get(case=case)
    refused = smtplib.SMTPRecipientsRefused({world["contact"].email: (550, b"no such user")})
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=refused):
        assert delivery.notification_deliver(notification_id=note.pk).outcome == "failed"
    note.refresh_from_db()
    assert note.email_status == EmailStatus.FAILED and note.attempts == 1


def test_the_sweep_is_scheduled_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["notifications-deliver-pending"]
    assert entry == {"task": "tickets.tasks.deliver_pending_notifications", "schedule": 60.0}


def test_sla_and_survey_notifications_render_through_notify(world):
    from sla.models import SlaClock

    case = file(world)
    clock = SlaClock.objects.get(case=case, metric="response")
    warning = outbox.notify(
        recipient=world["agent"],
        kind=NotificationKind.SLA_WARNING,
        case=case,
        dedupe_key=f"clock:{clock.pk}:warning",
        context={"clock": clock},
    )
    assert in_language("en", DUE) in warning.subject and case.number in warning.body
    survey = outbox.notify(
        recipient=world["contact"],
        kind=NotificationKind.SURVEY,
        case=case,
        dedupe_key="survey:1",
        context={"survey_url": "https://desk.example/survey/abc/"},
    )
    assert "https://desk.example/survey/abc/" in survey.body
    again = outbox.notify(
        recipient=world["contact"], kind=NotificationKind.SURVEY, case=case, dedupe_key="survey:1"
    )
    assert again.pk == survey.pk


# --- web --------------------------------------------------------------------------------------


def test_the_list_shows_own_notifications_newest_first_unread_highlighted(world, client):
    case = file(world)
    case_reply(case=case, actor=world["agent"], body="Svar")
    NotificationFactory(recipient=world["colleague"], subject="Not yours")
    client.force_login(world["contact"])
    page = client.get("/notifications/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('data-testid="notification"') == 2
    assert "Not yours" not in html
    first, second = selectors.notification_list(user=world["contact"])
    assert html.index(f'id="notification-{first.pk}"') < html.index(
        f'id="notification-{second.pk}"'
    )
    assert 'class="notification unread"' in html


def test_mark_read_one_and_all(world, client):
    case = file(world)
    case_reply(case=case, actor=world["agent"], body="Svar")
    first, _older = selectors.notification_list(user=world["contact"])
    client.force_login(world["contact"])
    fragment = client.post(f"/notifications/{first.pk}/read/", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()
    assert "unread" not in fragment.content.decode()
    assert fragment["HX-Trigger"] == "notifications-changed"
    first.refresh_from_db()
    assert first.read_at == NOW
    count = client.get("/notifications/count/").content.decode()
    assert 'data-testid="unread-count">1<' in count

    response = client.post("/notifications/read-all/")
    assert response.status_code == 302
    assert selectors.unread_count(user=world["contact"]) == 0
    assert "unread-count" not in client.get("/notifications/count/").content.decode()


def test_opening_a_notification_marks_it_read_and_goes_to_the_case(world, client):
    case = file(world)
    note = Notification.objects.get(case=case)
    client.force_login(world["contact"])
    response = client.get(f"/notifications/{note.pk}/")
    assert response.status_code == 302 and response["Location"] == f"/portal/cases/{case.number}/"
    note.refresh_from_db()
    assert note.read_at is not None


def test_another_users_notification_answers_404_on_the_web(world, client, tenant_b):
    case = file(world)
    note = Notification.objects.get(case=case)
    for intruder in (
        world["colleague"],  # same organisation
        world["agent"],  # same tenant, staff
        UserFactory(tenant=tenant_b, role=Role.TENANT_ADMIN),  # another tenant
    ):
        client.force_login(intruder)
        assert client.post(f"/notifications/{note.pk}/read/").status_code == 404
        assert client.get(f"/notifications/{note.pk}/").status_code == 404
        assert f"notification-{note.pk}" not in client.get("/notifications/").content.decode()
    note.refresh_from_db()
    assert note.read_at is None


def test_pages_need_a_signed_in_tenant_member(client, db):
    assert client.get("/notifications/").status_code == 302  # to sign in
    from supportdesk.models import User

    operator = User.objects.create_superuser(email="root@example.com", password="x")
    client.force_login(operator)
    assert client.get("/notifications/").status_code == 404
    assert client.get("/notifications/count/").status_code == 404


def test_the_preferences_page_saves_the_choices(world, client):
    client.force_login(world["contact"])
    page = client.get("/notifications/preferences/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-kind="reply"' in html and 'data-kind="note"' not in html
    choices = {
        f"{field}_{kind}": "on"
        for kind in preferences.kinds_for(world["contact"])
        for field in ("email", "in_app")
        if (kind, field) != ("reply", "email")
    }
    response = client.post("/notifications/preferences/", choices)
    assert response.status_code == 302
    prefs = {
        p.kind: (p.email, p.in_app) for p in preferences.preference_list(user=world["contact"])
    }
    assert prefs["reply"] == (False, True) and prefs["status"] == (True, True)


# --- API --------------------------------------------------------------------------------------


@pytest.fixture
def api():
    return APIClient()


def test_api_lists_own_notifications_with_unread_filter(world, api):
    case = file(world)
    case_reply(case=case, actor=world["agent"], body="Svar")
    NotificationFactory(recipient=world["colleague"])
    api.force_authenticate(world["contact"])
    data = api.get("/api/v1/notifications/").json()
    assert data["count"] == 2
    first = data["results"][0]
    assert first["kind"] == "reply" and first["case"] == case.number and not first["is_read"]
    assert first["url"].endswith(f"/portal/cases/{case.number}/")

    answer = api.post(f"/api/v1/notifications/{first['id']}/read/")
    assert answer.status_code == 200 and answer.json()["is_read"]
    assert api.get("/api/v1/notifications/", {"unread": "1"}).json()["count"] == 1
    assert api.get("/api/v1/notifications/", {"unread": "0"}).json()["count"] == 1
    assert api.post("/api/v1/notifications/read-all/").json() == {"marked": 1}
    assert api.get("/api/v1/notifications/", {"unread": "true"}).json()["count"] == 0


def test_api_another_users_notification_answers_404(world, api, tenant_b):
    case = file(world)
    note = Notification.objects.get(case=case)
    for intruder in (world["colleague"], world["admin"], UserFactory(tenant=tenant_b)):
        api.force_authenticate(intruder)
        assert api.get(f"/api/v1/notifications/{note.pk}/").status_code == 404
        assert api.post(f"/api/v1/notifications/{note.pk}/read/").status_code == 404
        assert api.get("/api/v1/notifications/").json()["count"] == 0
    api.force_authenticate(None)
    assert api.get("/api/v1/notifications/").status_code in (401, 403)


def test_api_preferences(world, api):
    api.force_authenticate(world["contact"])
    listed = api.get("/api/v1/notification-preferences/").json()
    assert [row["kind"] for row in listed] == [
        kind for kind in preferences.CONTACT_KINDS if kind != "returned"
    ]
    assert all(row["email"] and row["in_app"] for row in listed)

    patched = api.patch("/api/v1/notification-preferences/reply/", {"email": False}, format="json")
    assert patched.status_code == 200
    assert patched.json() | {"label": ""} == {
        "kind": "reply",
        "label": "",
        "email": False,
        "in_app": True,
    }
    put = api.put("/api/v1/notification-preferences/status/", {"email": False}, format="json")
    assert put.status_code == 400 and "in_app" in put.json()
    bad = api.patch("/api/v1/notification-preferences/status/", {"email": "maybe"}, format="json")
    assert bad.status_code == 400 and "email" in bad.json()
    # Kinds the user does not receive, and made-up kinds, are not there.
    assert api.get("/api/v1/notification-preferences/note/").status_code == 404
    assert api.patch("/api/v1/notification-preferences/bogus/", {}, format="json").status_code == (
        404
    )
    api.force_authenticate(world["colleague"])
    colleague = {r["kind"]: r for r in api.get("/api/v1/notification-preferences/").json()}
    assert colleague["reply"]["email"] is True  # one user's choice is theirs alone


def test_staff_muting_notes_in_the_api_stops_note_mail(world, api):
    api.force_authenticate(world["agent"])
    api.patch("/api/v1/notification-preferences/note/", {"email": False}, format="json")
    case = file(world)
    case_assign(case=case, assignee=world["agent"], actor=world["agent"])
    event = case_reply(case=case, actor=world["agent2"], body="psst", public=False)
    note = Notification.objects.get(event=event)
    assert note.email_status == EmailStatus.MUTED and note.in_app


def test_event_rows_point_at_their_event(world):
    case = file(world)
    note = Notification.objects.get(case=case)
    assert note.event == CaseEvent.objects.get(case=case, kind=EventKind.CREATED)
    assert note.dedupe_key == f"event:{note.event_id}"


def test_staff_filing_on_a_contacts_behalf_sends_the_receipt_to_the_contact(world):
    case = case_file(
        actor=world["agent"],
        organization=world["org"],
        requester=world["contact"],
        severity=severity(world, "2"),
        subject="Phoned in",
        description="Called at 09:40",
        channel="phone",
        filed_at=NOW - dt.timedelta(minutes=20),
    )
    assert recipients(case) == emails(world["contact"])


def test_inactive_people_are_not_notified(world):
    world["agent2"].is_active = False
    world["agent2"].save()
    case = file(world)
    event = case_reply(case=case, actor=world["contact"], body="hello?")
    assert recipients(case, event=event) == emails(world["agent"], world["admin"])


def test_the_case_record_of_notifications_is_for_its_tenants_staff(world, tenant_b):
    case = file(world)
    case_reply(case=case, actor=world["agent"], body="Svar")
    record = selectors.case_notifications(case=case, actor=world["agent"])
    assert [n.kind for n in record] == ["created", "reply"]
    assert not selectors.case_notifications(case=case, actor=world["contact"]).exists()
    outsider = UserFactory(tenant=tenant_b, role=Role.TENANT_ADMIN)
    assert not selectors.case_notifications(case=case, actor=outsider).exists()


def test_staff_see_their_own_kinds_and_counter(world, client):
    case = file(world)
    case_reply(case=case, actor=world["contact"], body="hello?")
    client.force_login(world["agent"])
    html = client.get("/notifications/preferences/").content.decode()
    assert 'data-kind="note"' in html and 'data-kind="created"' not in html
    assert 'data-testid="unread-count">1<' in client.get("/notifications/count/").content.decode()
    nav = client.get("/notifications/").content.decode()
    assert f"/queue/cases/{case.number}/" in nav


def test_api_put_sets_both_choices(world, api):
    api.force_authenticate(world["agent"])
    answer = api.put(
        "/api/v1/notification-preferences/sla_warning/",
        {"email": False, "in_app": False},
        format="json",
    )
    assert answer.status_code == 200
    assert api.get("/api/v1/notification-preferences/sla_warning/").json()["in_app"] is False


@pytest.mark.django_db
def test_the_agent_case_page_records_who_was_told(client, tenant_a):
    from tests.factories import CaseFactory
    from tickets.notifications.outbox import notify

    case = CaseFactory(organization=OrganizationFactory(tenant=tenant_a))
    notify(recipient=case.requester, kind="reply", dedupe_key="t:1", case=case)
    agent = UserFactory(tenant=tenant_a, role=Role.AGENT)
    client.force_login(agent)
    html = client.get(f"/queue/cases/{case.number}/").content.decode()
    assert 'data-testid="sent-notifications"' in html
    assert str(case.requester) in html


# --- Many at once (the SLA sweep's way) -------------------------------------------------------


def notices_for(users, key, case=None):
    return [
        outbox.Notice(
            recipient=user, kind=NotificationKind.ESCALATED, dedupe_key=key, case=case, at=NOW
        )
        for user in users
    ]


def test_notify_many_writes_each_recipient_once_in_their_language_and_choice(world):
    case = file(world)
    Notification.objects.all().delete()
    preferences.notification_preference_set(user=world["agent2"], kind="escalated", email=False)
    people = [world["agent"], world["agent2"], world["manager"]]
    rows = outbox.notify_many(
        notices=notices_for(people, "batch:1", case)
        + notices_for([world["agent"]], "batch:1", case)
    )
    assert len(rows) == 4 and rows[0].pk == rows[3].pk  # the same person and key: one row
    assert Notification.objects.filter(dedupe_key="batch:1").count() == 3
    by_user = {row.recipient_id: row for row in rows}
    assert by_user[world["agent2"].pk].email_status == EmailStatus.MUTED
    assert by_user[world["agent"].pk].email_status == EmailStatus.PENDING
    again = outbox.notify_many(notices=notices_for(people, "batch:1", case))
    assert [row.pk for row in again] == [row.pk for row in rows[:3]]  # nothing new


def test_notify_many_costs_the_same_queries_for_two_people_as_for_twenty(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case = file(world)
    crowd = [UserFactory(tenant=world["tenant"], role=Role.AGENT) for _ in range(20)]

    def queries(users, key):
        with CaptureQueriesContext(connection) as captured:
            outbox.notify_many(notices=notices_for(users, key, case))
        return len(captured)

    assert queries(crowd[:2], "few") == queries(crowd, "many") <= 5


def test_a_row_written_meanwhile_by_another_transaction_is_kept_not_duplicated(world):
    """The (recipient, dedupe key) constraint decides, as `get_or_create` would."""
    case = file(world)
    people = [world["agent"], world["manager"]]
    theirs = {}

    def written_meanwhile(notices):
        found = {}
        theirs["row"] = NotificationFactory(
            tenant=world["tenant"], recipient=world["agent"], dedupe_key="race", case=case
        )
        return found

    with mock.patch.object(outbox, "_existing", written_meanwhile):
        rows = outbox.notify_many(notices=notices_for(people, "race", case))
    assert rows[0].pk == theirs["row"].pk
    assert Notification.objects.filter(dedupe_key="race").count() == 2


def test_commit_queues_one_task_per_batch_of_mails(world, django_capture_on_commit_callbacks):
    from tickets.tasks import deliver_notifications

    case = file(world)
    crowd = [UserFactory(tenant=world["tenant"], role=Role.AGENT) for _ in range(3)]
    with (
        mock.patch.object(deliver_notifications, "apply_async") as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        rows = outbox.notify_many(notices=notices_for(crowd, "crowd", case))
    queued.assert_called_once()
    assert queued.call_args.kwargs["args"] == [[row.pk for row in rows]]


def test_a_batch_of_mails_shares_one_connection_and_hands_failures_to_retries(world, settings):
    from tickets.tasks import deliver_notifications

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    case = file(world)
    crowd = [UserFactory(tenant=world["tenant"], role=Role.AGENT) for _ in range(3)]
    rows = outbox.notify_many(notices=notices_for(crowd, "crowd", case))
    from django.core.mail.backends.locmem import EmailBackend

    opened = []
    real_open = EmailBackend.open

    def counting_open(self):
        opened.append(self)
        return real_open(self)

    refused = rows[1]
    real_message = delivery._email_message

    def message(notification):
        built = real_message(notification)
        if notification.pk == refused.pk:
            built.send = mock.Mock(side_effect=smtplib.SMTPServerDisconnected("gone"))
        return built

    with (
        mock.patch.object(EmailBackend, "open", counting_open),
        mock.patch.object(delivery, "_email_message", message),
        mock.patch.object(deliver_notification, "apply_async") as retried,
    ):
        assert deliver_notifications([row.pk for row in rows]) == {"sent": 2, "retry": 1}
    assert len(opened) == 1  # one connection for the batch
    assert len(mail.outbox) == 2
    retried.assert_called_once_with(args=[refused.pk], countdown=120)
    refused.refresh_from_db()
    assert refused.email_status == EmailStatus.PENDING and refused.attempts == 1


def test_a_burst_of_sla_alerts_reaches_a_person_as_one_digest_in_their_language(world, settings):
    """Five or more SLA alerts waiting for one person: one e-mail listing them all; every
    alert is still in the app and marked mailed. Fewer: one e-mail each."""
    from tickets.tasks import deliver_notifications

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    danish = UserFactory(tenant=world["tenant"], role=Role.AGENT, language="da")
    cases = [file(world) for _ in range(6)]
    Notification.objects.all().delete()
    rows = []
    for index, case in enumerate(cases):
        kind = "sla_breach" if index < 5 else "sla_warning"
        for user in (danish, world["agent"]) if index < 2 else (danish,):
            rows.append(
                outbox.notify(
                    recipient=user, kind=kind, dedupe_key=f"sla-{kind}:{index}", case=case, at=NOW
                )
            )
    mail.outbox.clear()

    outcomes = deliver_notifications([row.pk for row in rows])

    assert outcomes == {"sent": len(rows)}
    digests = [m for m in mail.outbox if m.to == [danish.email]]
    assert len(digests) == 1  # six alerts, one e-mail
    digest = digests[0]
    with translation.override("da"):
        assert digest.subject == (
            translation.ngettext(
                "SLA alerts: %(counter)s breach", "SLA alerts: %(counter)s breaches", 5
            )
            % {"counter": 5}
            + ", "
            + translation.ngettext("%(counter)s warning", "%(counter)s warnings", 1)
            % {"counter": 1}
        )
    for case in cases:
        assert case.number in digest.body and f"/queue/cases/{case.number}/" in digest.body
    assert digest.extra_headers["Auto-Submitted"] == "auto-generated"
    # Two alerts for the other agent: below the threshold, one mail each.
    assert len([m for m in mail.outbox if m.to == [world["agent"].email]]) == 2
    assert set(Notification.objects.values_list("email_status", flat=True)) == {EmailStatus.SENT}
    assert Notification.objects.filter(recipient=danish, in_app=True).count() == 6


def test_a_digest_the_mail_server_refuses_falls_back_to_one_mail_each(world, settings):
    from tickets.tasks import deliver_notifications

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    case = file(world)
    Notification.objects.all().delete()
    rows = [
        outbox.notify(
            recipient=world["agent"], kind="sla_breach", dedupe_key=f"k{i}", case=case, at=NOW
        )
        for i in range(5)
    ]
    mail.outbox.clear()
    refused = mock.Mock(side_effect=smtplib.SMTPServerDisconnected("digest too big"))
    real = delivery._digest_message

    def refusing(recipient, digest_rows):
        message = real(recipient, digest_rows)
        message.send = refused
        return message

    with mock.patch.object(delivery, "_digest_message", refusing):
        assert deliver_notifications([row.pk for row in rows]) == {"sent": 5}
    refused.assert_called_once()
    assert len(mail.outbox) == 5  # one each, as without a digest
