"""Outbound notifications: who hears of a case change, in their language; delivery; preferences.

The outbox: `notifications_for_event(event=...)` runs inside the transaction of the
case change (the case services call it right after writing the timeline event), so
the notification rows commit with the change or not at all. After the commit a
Celery task is queued per e-mail; when the broker is down at that moment the rows
stay pending and the beat sweep (`notifications_deliver_due`) sends them later.
Filing a case never fails because the broker is down.

Each text is rendered when the row is written, inside the recipient's language and
time zone (`translation.override`, `timezone.override`), from `templates/email/`.
"""

from __future__ import annotations

import logging
import re
import smtplib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from plans.models import Contact, ContactRole, SeverityLevel
from plans.selectors import policy_for
from plans.wording import metric_label, target_in_words
from sla.models import ClockState, SlaClock
from supportdesk.models import Role, User
from supportdesk.queueing import enqueue_on_commit
from tickets.models import (
    Case,
    CaseEvent,
    CaseStatus,
    EmailStatus,
    EventKind,
    Notification,
    NotificationKind,
    NotificationPreference,
)

logger = logging.getLogger(__name__)

DEFAULT_SITE_URL = "http://127.0.0.1:8000"
# A pending e-mail whose task did not run within this grace (broker down at commit)
# is sent by the sweep.
SWEEP_GRACE = timedelta(minutes=2)
MAX_ATTEMPTS = 5
SWEEP_BATCH = 200
# A person with this many SLA alerts waiting for the mail gets them in one digest e-mail.
DIGEST_AT = 5
DIGEST_MAX = 500  # alerts one digest lists at most; the rest go in the next
SLA_KINDS = (NotificationKind.SLA_WARNING, NotificationKind.SLA_BREACH)
DUE_FORMAT = "D j M H:i"  # "Tue 14 Apr 10:00", weekday and month in the reader's language

CASE_WORKERS = (Role.AGENT, Role.TENANT_ADMIN)

# The kinds each audience receives, in the order the preferences page lists them.
CONTACT_KINDS = (
    NotificationKind.CREATED,
    NotificationKind.RETURNED,
    NotificationKind.REPLY,
    NotificationKind.STATUS,
    NotificationKind.RECLASSIFIED,
    NotificationKind.ESCALATED,
    NotificationKind.RESOLVED,
    NotificationKind.SURVEY,
)
STAFF_KINDS = (
    NotificationKind.REPLY,
    NotificationKind.NOTE,
    NotificationKind.ASSIGNED,
    NotificationKind.STATUS,
    NotificationKind.ESCALATED,
    NotificationKind.SLA_WARNING,
    NotificationKind.SLA_BREACH,
)


# --- addresses and links ----------------------------------------------------------------------


def site_url() -> str:
    """The desk's public base URL (`SITE_URL` setting), for links in e-mails."""
    return (getattr(settings, "SITE_URL", "") or DEFAULT_SITE_URL).rstrip("/")


def absolute_url(path: str) -> str:
    return f"{site_url()}{path}" if path else ""


def preferences_url() -> str:
    """The absolute link to the notification choices, for every mail's footer."""
    try:
        return absolute_url(_reverse("notifications:preferences", None, get_script_prefix()))
    except NoReverseMatch:  # pragma: no cover - the URLs are mounted in supportdesk.urls
        return ""


def mail_domain() -> str:
    """The domain of the desk's Message-IDs: the sender address's, else the site's host."""
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    domain = address.rpartition("@")[2] if "@" in address else ""
    return domain or urlsplit(site_url()).hostname or "localhost"


def reply_tag(case: Case) -> str:
    """The subject tag replies carry back ("[PRO-000123]"); inbound mail threads on it."""
    return f"[{case.number}]"


def case_thread_id(case: Case) -> str:
    """The Message-ID of the case's first message: every mail about the case refers to it."""
    return f"<case-{case.number}@{mail_domain()}>"


def notification_message_id(notification: Notification) -> str:
    number = notification.case.number if notification.case_id else "desk"
    return f"<case-{number}-{notification.pk}@{mail_domain()}>"


@lru_cache(maxsize=4096)
def _reverse(name: str, number: str | None, prefix: str) -> str:
    """`reverse`, remembered: the sweep links hundreds of notifications to the same pages.
    The script prefix is part of the key, so a desk mounted under a path stays right."""
    return reverse(name, kwargs={"number": number} if number is not None else None)


def case_path_for(user: User, case: Case) -> str:
    """Where `user` opens `case`: the portal for contacts, the queue's page for case workers."""
    if user.is_contact:
        return _reverse("portal:case", case.number, get_script_prefix())
    if user.role in CASE_WORKERS:
        return _reverse("queue:case", case.number, get_script_prefix())
    return ""


# --- preferences -------------------------------------------------------------------------------


def kinds_for(user: User) -> tuple[str, ...]:
    """The kinds a user may receive and therefore choose about."""
    if user.is_contact:
        contact = getattr(user, "contact", None)
        if contact is not None and contact.role == ContactRole.ADMINISTRATOR:
            return CONTACT_KINDS
        return tuple(k for k in CONTACT_KINDS if k != NotificationKind.RETURNED)
    if user.is_desk_staff:
        return STAFF_KINDS
    return ()


@dataclass(frozen=True)
class PreferenceView:
    kind: str
    label: str
    email: bool
    in_app: bool


def preference_list(*, user: User) -> list[PreferenceView]:
    """Every kind the user receives with the choice in force (no row: everything on)."""
    rows = {
        p.kind: p for p in NotificationPreference.objects.for_tenant(user.tenant).filter(user=user)
    }
    views = []
    for kind in kinds_for(user):
        row = rows.get(kind)
        views.append(
            PreferenceView(
                kind=kind,
                label=str(NotificationKind(kind).label),
                email=row.email if row else True,
                in_app=row.in_app if row else True,
            )
        )
    return views


def preference_get(*, user: User, kind: str) -> PreferenceView:
    for view in preference_list(user=user):
        if view.kind == kind:
            return view
    raise NotificationPreference.DoesNotExist(kind)


ON = (True, True)  # (e-mail, in-app) for a kind the user made no choice about


@transaction.atomic
def notification_preference_set(
    *, user: User, kind: str, email: bool | None = None, in_app: bool | None = None
) -> PreferenceView:
    """Turn e-mail and/or the in-app list on or off for one kind of the user's."""
    if kind not in kinds_for(user):
        raise ValidationError({"kind": _("There are no notifications of this kind for you.")})
    current = preference_get(user=user, kind=kind)
    NotificationPreference.objects.update_or_create(
        tenant=user.tenant,
        user=user,
        kind=kind,
        defaults={
            "email": current.email if email is None else email,
            "in_app": current.in_app if in_app is None else in_app,
        },
    )
    return preference_get(user=user, kind=kind)


# --- reading and marking ----------------------------------------------------------------------


def notification_list(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's in-app notifications, newest first; nobody else's, ever."""
    if not user.is_authenticated or not user.tenant_id:
        return Notification.objects.none()
    qs = (
        Notification.objects.for_tenant(user.tenant)
        .filter(recipient=user, in_app=True)
        .select_related("case")
        .order_by("-created_at", "-pk")
    )
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs


def case_notifications(*, case: Case, actor: User) -> QuerySet[Notification]:
    """What the desk told whom about a case, oldest first: the record for the agent's case
    page. Staff of the case's tenant only; anyone else gets nothing."""
    if not actor.is_desk_staff or actor.tenant_id != case.tenant_id:
        return Notification.objects.none()
    return (
        Notification.objects.for_tenant(case.tenant)
        .filter(case=case)
        .select_related("recipient", "event")
        .order_by("created_at", "pk")
    )


def unread_count(*, user: User) -> int:
    return notification_list(user=user, unread_only=True).count()


def notification_mark_read(*, notification: Notification, user: User) -> Notification:
    if notification.recipient_id != user.pk:
        raise Notification.DoesNotExist
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def notification_mark_all_read(*, user: User) -> int:
    return notification_list(user=user, unread_only=True).update(read_at=timezone.now())


# --- writing (the outbox) ---------------------------------------------------------------------


def _when(value: datetime) -> str:
    """A due time in the active language and zone ("Tue 14 Apr 10:00")."""
    return _when_in(value, translation.get_language(), timezone.get_current_timezone_name())


@lru_cache(maxsize=4096)
def _when_in(value: datetime, language: str | None, zone: str) -> str:
    # Remembered per instant, language and zone: a burst of breaches shares due times.
    return formats.date_format(timezone.localtime(value), DUE_FORMAT)


def running_clocks(case: Case) -> list[SlaClock]:
    """The case's running clocks with a due time, soonest first."""
    return list(
        SlaClock.objects.for_tenant(case.tenant)
        .filter(case=case, state=ClockState.RUNNING, due_at__isnull=False)
        .order_by("due_at", "metric")
    )


def _target_words(clock: SlaClock) -> str:
    return target_in_words(commitment="target", value=clock.target_value, unit=clock.target_unit)


def response_promise(clocks: Iterable[SlaClock]) -> str:
    """ "We will respond within 1 working hour, by Mon 30 Mar 08:30." in the active language
    and zone, or "" when no response clock runs."""
    clock = next((c for c in clocks if c.metric == "response"), None)
    if clock is None:
        return ""
    return _("We will respond %(target)s, by %(due)s.") % {
        "target": _target_words(clock),
        "due": _when(clock.due_at),
    }


def target_lines(clocks: Iterable[SlaClock]) -> list[str]:
    """ "Response: within 4 working hours, by Tue 14 Apr 10:00", one per running clock."""
    return [
        _("%(metric)s: %(target)s, by %(due)s")
        % {
            "metric": metric_label(clock.metric),
            "target": _target_words(clock),
            "due": _when(clock.due_at),
        }
        for clock in clocks
    ]


def _render(template: str, context: dict) -> tuple[str, str]:
    subject = render_to_string(f"email/{template}_subject.txt", context)
    subject = " ".join(subject.split())[:255]
    body = render_to_string(f"email/{template}_body.txt", context)
    body = re.sub(r"\n[ \t]*\n(?:[ \t]*\n)+", "\n\n", body).strip() + "\n"
    return subject, body


def _person(user: User | None) -> str:
    return str(user) if user is not None else _("The support desk")


DELIVERY_BATCH = 100  # e-mails one delivery task sends over one SMTP connection


def _enqueue_delivery(notification_ids: list[int]) -> None:
    """After the commit: queue the e-mails (one task per batch). When the broker is down the
    rows stay pending and the beat sweep (`notifications_deliver_due`) sends them."""
    from tickets.tasks import deliver_notification, deliver_notifications

    for start in range(0, len(notification_ids), DELIVERY_BATCH):
        batch = notification_ids[start : start + DELIVERY_BATCH]
        if len(batch) == 1:
            enqueue_on_commit(deliver_notification, args=batch, what=f"notification {batch[0]}")
        else:
            enqueue_on_commit(
                deliver_notifications, args=[batch], what=f"{len(batch)} notifications"
            )


@dataclass(frozen=True)
class Notice:
    """One notification to write: see `notify`."""

    recipient: User
    kind: str
    dedupe_key: str
    template: str | None = None
    case: Case | None = None
    event: CaseEvent | None = None
    context: dict | Callable[[], dict] | None = None
    at: datetime | None = None

    @property
    def tenant_id(self) -> int | None:
        return self.case.tenant_id if self.case is not None else self.recipient.tenant_id


def notify(
    *,
    recipient: User,
    kind: str,
    dedupe_key: str,
    template: str | None = None,
    case: Case | None = None,
    event: CaseEvent | None = None,
    context: dict | Callable[[], dict] | None = None,
    at: datetime | None = None,
) -> Notification:
    """Write one notification for `recipient` (once per `dedupe_key`) and queue its e-mail.

    For the features that notify outside the case timeline too (surveys:
    `kind="survey"`, `context={"survey_url": ...}`; the SLA sweep: `"sla_warning"`,
    `"sla_breach"` with `context={"clock": clock}`). `context` may be a callable,
    called inside the recipient's language and time zone. Call `notify` inside the
    transaction that makes the change; the e-mail is queued only when that commits.
    """
    notice = Notice(recipient, kind, dedupe_key, template, case, event, context, at)
    return notify_many(notices=[notice])[0]


def _check(notice: Notice) -> None:
    if notice.tenant_id is None or notice.recipient.tenant_id != notice.tenant_id:
        raise ValueError("a notification stays inside its tenant")
    if notice.kind not in NotificationKind.values:
        raise ValueError(f"unknown notification kind {notice.kind!r}")


def _share_tenant(notice: Notice) -> None:
    """The recipient's tenant is the case's (checked): hand it over, so that reading the
    recipient's language and zone costs no query per recipient."""
    case, recipient = notice.case, notice.recipient
    if case is not None and Case.tenant.is_cached(case) and not User.tenant.is_cached(recipient):
        recipient.tenant = case.tenant


def _preferences(notices: Sequence[Notice]) -> dict[tuple[int, str], tuple[bool, bool]]:
    """(user, kind) -> (e-mail, in-app) for every choice the recipients made, one query."""
    users = {n.recipient.pk for n in notices}
    rows = NotificationPreference.objects.filter(
        tenant_id__in={n.tenant_id for n in notices},
        user_id__in=users,
        kind__in={n.kind for n in notices},
    ).values_list("user_id", "kind", "email", "in_app")
    return {(user, kind): (email, in_app) for user, kind, email, in_app in rows}


def _existing(notices: Sequence[Notice]) -> dict[tuple[int, str], Notification]:
    rows = Notification.objects.filter(
        tenant_id__in={n.tenant_id for n in notices},
        recipient_id__in={n.recipient.pk for n in notices},
        dedupe_key__in={n.dedupe_key for n in notices},
    )
    return {(row.recipient_id, row.dedupe_key): row for row in rows}


def _compose(notice: Notice, wants: tuple[bool, bool]) -> Notification:
    """The row for one notice, its text rendered in the recipient's language and zone."""
    recipient, case, event = notice.recipient, notice.case, notice.event
    email_on, in_app_on = wants
    email_on = email_on and recipient.is_active and bool(recipient.email)
    link = case_path_for(recipient, case) if case is not None else ""
    now = notice.at or timezone.now()
    with (
        translation.override(recipient.effective_language),
        timezone.override(recipient.effective_timezone),
    ):
        context = notice.context
        extra = dict(context() if callable(context) else (context or {}))
        clock = extra.get("clock")
        if clock is not None:  # SLA warnings and breaches: the clock's metric and due time
            extra.setdefault("metric", metric_label(clock.metric))
            extra.setdefault("due", _when(clock.due_at) if clock.due_at else "")
        subject, body = _render(
            notice.template or notice.kind,
            {
                "recipient": recipient,
                "case": case,
                "event": event,
                "actor": _person(event.actor if event is not None else None),
                "for_staff": recipient.is_desk_staff,
                "case_url": absolute_url(link),
                "site_url": site_url(),
                "preferences_url": preferences_url(),
                **extra,
            },
        )
    return Notification(
        tenant_id=notice.tenant_id,
        recipient=recipient,
        dedupe_key=notice.dedupe_key,
        case=case,
        event=event,
        kind=notice.kind,
        subject=subject,
        body=body,
        link=link,
        in_app=in_app_on,
        created_at=now,
        email_status=EmailStatus.PENDING if email_on else EmailStatus.MUTED,
        next_attempt_at=now + SWEEP_GRACE if email_on else None,
    )


def _insert(rows: list[Notification]) -> list[Notification]:
    """Insert new rows in one statement; should another transaction have written one of
    the same (recipient, dedupe key) meanwhile, fall back to one row at a time, keeping
    theirs (the unique constraint decides, as `get_or_create` would)."""
    try:
        with transaction.atomic():
            return Notification.objects.bulk_create(rows)
    except IntegrityError:
        kept = []
        for row in rows:
            try:
                with transaction.atomic():
                    row.save(force_insert=True)
                    kept.append(row)
            except IntegrityError:
                row.pk = None
                kept.append(
                    Notification.objects.get(
                        tenant_id=row.tenant_id,
                        recipient_id=row.recipient_id,
                        dedupe_key=row.dedupe_key,
                    )
                )
        return kept


def notify_many(*, notices: Sequence[Notice]) -> list[Notification]:
    """`notify` for many notices at once: four queries whatever their number (the SLA
    sweep tells hundreds of people about hundreds of breaches in one transaction).

    Returns one notification per notice, in order: the existing row for a (recipient,
    dedupe key) already told, else the new one. E-mails are queued after the commit in
    batches that share an SMTP connection.
    """
    if not notices:
        return []
    for notice in notices:
        _check(notice)
        _share_tenant(notice)
    existing = _existing(notices)
    preferences = _preferences(notices)
    new: dict[tuple[int, str], Notification] = {}
    for notice in notices:
        key = (notice.recipient.pk, notice.dedupe_key)
        if key in existing or key in new:
            continue
        new[key] = _compose(notice, preferences.get((notice.recipient.pk, notice.kind), ON))
    created = _insert(list(new.values()))
    existing.update({(row.recipient_id, row.dedupe_key): row for row in created})
    pending = [
        row.pk for row in created if row.email_status == EmailStatus.PENDING and row.pk is not None
    ]
    if pending:
        _enqueue_delivery(pending)
    return [existing[(n.recipient.pk, n.dedupe_key)] for n in notices]


@dataclass(frozen=True)
class Recipient:
    user: User
    kind: str
    template: str


def _active(users: Iterable[User | None], tenant_id: int) -> list[User]:
    return [u for u in users if u is not None and u.is_active and u.tenant_id == tenant_id]


def _case_workers(case: Case) -> list[User]:
    return list(User.objects.for_tenant(case.tenant).filter(role__in=CASE_WORKERS, is_active=True))


def _assignee_or_workers(case: Case) -> list[User]:
    return [case.assignee] if case.assignee_id else _case_workers(case)


def _administrators_who_may_submit(case: Case) -> list[User]:
    from tickets.cases.services import contact_may_file

    policy = policy_for(tenant=case.tenant)
    contacts = (
        Contact.objects.for_tenant(case.tenant)
        .filter(organization=case.organization, role=ContactRole.ADMINISTRATOR)
        .select_related("user")
    )
    return [c.user for c in contacts if contact_may_file(policy=policy, contact=c)]


def _recipients(event: CaseEvent, case: Case) -> tuple[list[Recipient], list[User]]:
    """(recipients, always_notified): who hears of `event`. The actor hears of nothing they
    did, except the receipt of a case they filed (the second list)."""
    actor = event.actor
    requester = case.requester
    kind = event.kind
    receipts: list[User] = []
    out: list[Recipient] = []

    def add(users, notification_kind: str, template: str) -> None:
        out.extend(Recipient(u, notification_kind, template) for u in users if u is not None)

    if kind in (EventKind.CREATED, EventKind.SUBMITTED):
        if case.status == CaseStatus.RETURNED:
            add(_administrators_who_may_submit(case), NotificationKind.RETURNED, "returned")
        else:
            add([requester], NotificationKind.CREATED, "created")
            receipts.append(requester)
    elif kind == EventKind.REPLY:
        if actor is not None and actor.is_contact:
            add(_assignee_or_workers(case), NotificationKind.REPLY, "customer_reply")
            add([requester], NotificationKind.REPLY, "reply")
        else:
            add([requester], NotificationKind.REPLY, "reply")
    elif kind == EventKind.NOTE:
        # Internal: the case's agent hears of a colleague's note; no customer ever does.
        add([case.assignee], NotificationKind.NOTE, "note")
    elif kind == EventKind.ASSIGNED:
        if case.assignee_id and case.assignee_id == event.data.get("assignee"):
            add([case.assignee], NotificationKind.ASSIGNED, "assigned")
    elif kind == EventKind.STATUS:
        # A customer's answer resumes a paused case by itself: the reply tells the agent.
        if event.public and not (actor is not None and actor.is_contact):
            if event.data.get("to") == CaseStatus.RESOLVED:
                add([requester], NotificationKind.RESOLVED, "resolved")
            else:
                add([requester], NotificationKind.STATUS, "status")
    elif kind == EventKind.REOPENED:
        add(_assignee_or_workers(case), NotificationKind.STATUS, "reopened")
    elif kind == EventKind.RECLASSIFIED:
        add([requester], NotificationKind.RECLASSIFIED, "reclassified")
    elif kind == EventKind.ESCALATED:
        admins = User.objects.for_tenant(case.tenant).filter(role=Role.TENANT_ADMIN)
        add(
            [case.assignee, *admins, case.organization.account_manager],
            NotificationKind.ESCALATED,
            "escalated",
        )
        add([requester], NotificationKind.ESCALATED, "escalated")
    elif kind == EventKind.FORWARDED:
        add([requester], NotificationKind.STATUS, "forwarded")
    return out, receipts


def notifications_for_event(*, event: CaseEvent) -> list[Notification]:
    """The outbox: notify everyone who should hear of a timeline event, once each.

    Call inside the transaction that wrote the event (the case services do). A
    staff-only event reaches staff only; another tenant's users never.
    """
    case = event.case
    recipients, receipts = _recipients(event, case)
    seen: set[int] = set()
    notices = []
    context = _event_context(event, case) if recipients else None
    for recipient in recipients:
        user = recipient.user
        if user.pk in seen or not _active([user], case.tenant_id):
            continue
        if event.actor_id == user.pk and user not in receipts:
            continue
        if not event.public and not user.is_desk_staff:
            continue  # internal events never leave the desk
        seen.add(user.pk)
        notices.append(
            Notice(
                recipient=user,
                kind=recipient.kind,
                template=recipient.template,
                case=case,
                event=event,
                dedupe_key=f"event:{event.pk}",
                context=context,
                at=event.created_at,
            )
        )
    return notify_many(notices=notices)


def _event_context(event: CaseEvent, case: Case) -> Callable[[], dict]:
    """The event's template context: read once, worded per recipient (the callable runs
    inside each recipient's language and zone)."""
    clocks = running_clocks(case)
    old_severity = new_severity = ""
    if event.kind == EventKind.RECLASSIFIED:
        old_severity = _severity_name(case, event.data.get("from"))
        new_severity = _severity_name(case, event.data.get("to"))

    def context() -> dict:
        return {
            "promise": response_promise(clocks),
            "targets": target_lines(clocks),
            "status_label": _status_label(event.data.get("to", "")),
            "old_status_label": _status_label(event.data.get("from", "")),
            "old_severity": old_severity,
            "new_severity": new_severity,
        }

    return context


def _status_label(status: str) -> str:
    return str(CaseStatus(status).label) if status in CaseStatus.values else status


def _severity_name(case: Case, key: str | None) -> str:
    if not key:
        return ""
    level = SeverityLevel.objects.for_tenant(case.tenant).filter(key=key).first()
    return str(level) if level is not None else key


# --- delivery ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """What one delivery attempt did: sent, skipped (nothing pending), retry, failed."""

    outcome: str
    countdown: int = 0


def _backoff(attempts: int) -> int:
    return min(60 * 2**attempts, 3600)


def _email_message(notification: Notification) -> EmailMultiAlternatives:
    recipient = notification.recipient
    case = notification.case
    subject = notification.subject
    headers = {
        "Message-ID": notification_message_id(notification),
        # RFC 3834: out-of-office replies and other robots do not answer it.
        "Auto-Submitted": "auto-generated",
        "List-Unsubscribe": f"<{preferences_url()}>",
    }
    if case is not None:
        if reply_tag(case) not in subject:
            subject = f"{reply_tag(case)} {subject}"
        headers["In-Reply-To"] = headers["References"] = case_thread_id(case)
    with (
        translation.override(recipient.effective_language),
        timezone.override(recipient.effective_timezone),
    ):
        context = {
            "notification": notification,
            "case_url": absolute_url(notification.link),
            "preferences_url": preferences_url(),
        }
        footer = render_to_string("email/footer.txt", context).strip()
        html = render_to_string("email/notification.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=f"{notification.body.rstrip()}\n\n-- \n{footer}\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
        headers=headers,
    )
    message.attach_alternative(html, "text/html")
    return message


def notification_deliver(*, notification_id: int, connection=None) -> Delivery:
    """Send one pending e-mail and mark it sent in the same transaction.

    The row is taken with `select_for_update(skip_locked=True)` and only while
    pending, so a second worker (a duplicate task, the sweep) finds nothing to send.
    Connection and SMTP errors are recorded and answered with "retry" (backoff) until
    MAX_ATTEMPTS; a refused address fails at once. `connection`: an open e-mail
    backend connection to share between messages (`notifications_deliver`).
    """
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient", "case")
            .filter(pk=notification_id, email_status=EmailStatus.PENDING)
            .first()
        )
        if notification is None:
            return Delivery("skipped")
        now = timezone.now()
        notification.attempts += 1
        try:
            message = _email_message(notification)
            if connection is not None:
                message.connection = connection
            message.send()
        except (smtplib.SMTPException, OSError) as exc:
            permanent = isinstance(exc, smtplib.SMTPRecipientsRefused)
            notification.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if permanent or notification.attempts >= MAX_ATTEMPTS:
                notification.email_status = EmailStatus.FAILED
                notification.next_attempt_at = None
                delivery = Delivery("failed")
            else:
                countdown = _backoff(notification.attempts)
                # The task's own retry comes first; the sweep is the safety net.
                notification.next_attempt_at = now + timedelta(seconds=countdown) + SWEEP_GRACE
                delivery = Delivery("retry", countdown)
            logger.warning("Notification %s not sent: %s", notification.pk, exc)
        else:
            notification.email_status = EmailStatus.SENT
            notification.emailed_at = now
            notification.next_attempt_at = None
            notification.last_error = ""
            delivery = Delivery("sent")
        notification.save(
            update_fields=[
                "attempts",
                "email_status",
                "emailed_at",
                "next_attempt_at",
                "last_error",
            ]
        )
    return delivery


def _digest_message(recipient: User, rows: Sequence[Notification]) -> EmailMultiAlternatives:
    with (
        translation.override(recipient.effective_language),
        timezone.override(recipient.effective_timezone),
    ):
        breaches = sum(1 for row in rows if row.kind == NotificationKind.SLA_BREACH)
        context = {
            "total": len(rows),
            "breaches": breaches,
            "warnings": len(rows) - breaches,
            "lines": [(row.body.strip().splitlines()[0], absolute_url(row.link)) for row in rows],
        }
        subject = render_to_string("email/sla_digest_subject.txt", context)
        body = render_to_string("email/sla_digest_body.txt", context).strip()
        footer = render_to_string(
            "email/footer.txt", {"notification": None, "preferences_url": preferences_url()}
        ).strip()
    return EmailMultiAlternatives(
        subject=" ".join(subject.split())[:255],
        body=f"{body}\n\n-- \n{footer}\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
        headers={
            "Message-ID": f"<sla-digest-{rows[0].pk}-{len(rows)}@{mail_domain()}>",
            "Auto-Submitted": "auto-generated",
            "List-Unsubscribe": f"<{preferences_url()}>",
        },
    )


def _deliver_digest(*, recipient_id: int, connection) -> list[int]:
    """All of one person's pending SLA alerts in one e-mail, when there are `DIGEST_AT` or
    more: the rows are locked (`SKIP LOCKED`), mailed together and marked sent in one
    transaction. Returns the rows it sent; none when below the threshold or when the mail
    server refuses (they are then sent one by one, each with its own retry)."""
    with transaction.atomic():
        rows = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient")
            .filter(recipient_id=recipient_id, email_status=EmailStatus.PENDING)
            .filter(kind__in=SLA_KINDS)
            .order_by("created_at", "pk")[:DIGEST_MAX]
        )
        if len(rows) < DIGEST_AT:
            return []
        message = _digest_message(rows[0].recipient, rows)
        if connection is not None:
            message.connection = connection
        try:
            message.send()
        except (smtplib.SMTPException, OSError) as exc:
            logger.warning("SLA digest for user %s not sent: %s", recipient_id, exc)
            return []
        Notification.objects.filter(pk__in=[row.pk for row in rows]).update(
            email_status=EmailStatus.SENT,
            emailed_at=timezone.now(),
            next_attempt_at=None,
            last_error="",
            attempts=F("attempts") + 1,
        )
    return [row.pk for row in rows]


def notifications_deliver(*, notification_ids: Sequence[int]) -> dict[int, Delivery]:
    """Send several pending e-mails over one connection to the mail server, each marked
    in its own transaction (a crash half-way loses no state: what was sent is marked,
    the rest is still pending). Should the server not answer, each message records its
    own error and retry, as `notification_deliver` does alone.

    A person with `DIGEST_AT` or more SLA alerts waiting gets them in one digest e-mail
    (an on-duty agent must not receive a thousand mails when a thousand clocks breach
    together); their in-app notifications stay one per alert.
    """
    connection = get_connection()
    try:
        connection.open()
    except (smtplib.SMTPException, OSError) as exc:
        logger.warning("Mail server unavailable, sending one by one: %s", exc)
        connection = None
    try:
        outcomes: dict[int, Delivery] = {}
        wanted = set(notification_ids)
        storm = (
            Notification.objects.filter(
                pk__in=notification_ids, email_status=EmailStatus.PENDING, kind__in=SLA_KINDS
            )
            .order_by()
            .values_list("recipient_id", flat=True)
            .distinct()
        )
        for recipient_id in sorted(storm):
            for pk in _deliver_digest(recipient_id=recipient_id, connection=connection):
                if pk in wanted:
                    outcomes[pk] = Delivery("sent")
        for pk in notification_ids:
            if pk not in outcomes:
                outcomes[pk] = notification_deliver(notification_id=pk, connection=connection)
        return outcomes
    finally:
        if connection is not None:
            connection.close()


def notifications_deliver_due(*, now: datetime | None = None, limit: int = SWEEP_BATCH) -> int:
    """The sweep: send pending e-mails whose task never ran (broker down) or is overdue.

    Rows are claimed by moving their next attempt on before sending, so overlapping
    sweeps rarely meet; when they do, the row lock lets one of them send.
    """
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Notification.objects.filter(email_status=EmailStatus.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        Notification.objects.filter(pk__in=due).update(next_attempt_at=now + SWEEP_GRACE)
    outcomes = notifications_deliver(notification_ids=due)
    return sum(1 for delivery in outcomes.values() if delivery.outcome == "sent")
