"""The outbox: notification rows written in the caller's transaction, e-mail queued after it.

`notify` / `notify_many` run inside the transaction of the change they tell of (the case
services, the SLA sweep, surveys), so the rows commit with the change or not at all. After
the commit a Celery task is queued per batch of e-mails, by its registered name: the outbox
never imports the tasks module (the tasks call `delivery`, the only direction). When the
broker is down at that moment the rows stay pending and the beat sweep
(`delivery.notifications_deliver_due`) sends them later. Nothing the outbox does fails the
commit because the broker is down.

Each text is rendered when the row is written, inside the recipient's language and time
zone (`translation.override`, `timezone.override`), from `templates/email/`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from plans.wording import metric_label
from supportdesk.models import User
from supportdesk.queueing import enqueue_on_commit
from tickets.models import Case, CaseEvent, EmailStatus, Notification, NotificationKind
from tickets.notifications.delivery import SWEEP_GRACE
from tickets.notifications.links import absolute_url, case_path_for, preferences_url, site_url
from tickets.notifications.preferences import ON, choices_for

DUE_FORMAT = "D j M H:i"  # "Tue 14 Apr 10:00", weekday and month in the reader's language

DELIVERY_BATCH = 100  # e-mails one delivery task sends over one SMTP connection

# The delivery tasks (`tickets.tasks`), queued by their registered names.
DELIVER_ONE = "tickets.tasks.deliver_notification"
DELIVER_MANY = "tickets.tasks.deliver_notifications"


def when(value: datetime) -> str:
    """A due time in the active language and zone ("Tue 14 Apr 10:00")."""
    return _when_in(value, translation.get_language(), timezone.get_current_timezone_name())


@lru_cache(maxsize=4096)
def _when_in(value: datetime, language: str | None, zone: str) -> str:
    # Remembered per instant, language and zone: a burst of breaches shares due times.
    return formats.date_format(timezone.localtime(value), DUE_FORMAT)


def _render(template: str, context: dict) -> tuple[str, str]:
    subject = render_to_string(f"email/{template}_subject.txt", context)
    subject = " ".join(subject.split())[:255]
    body = render_to_string(f"email/{template}_body.txt", context)
    body = re.sub(r"\n[ \t]*\n(?:[ \t]*\n)+", "\n\n", body).strip() + "\n"
    return subject, body


def _person(user: User | None) -> str:
    return str(user) if user is not None else _("The support desk")


def _enqueue_delivery(notification_ids: list[int]) -> None:
    """After the commit: queue the e-mails (one task per batch), by task name so that the
    outbox does not import the tasks that import delivery. When the broker is down the rows
    stay pending and the beat sweep (`delivery.notifications_deliver_due`) sends them."""
    for start in range(0, len(notification_ids), DELIVERY_BATCH):
        batch = notification_ids[start : start + DELIVERY_BATCH]
        if len(batch) == 1:
            enqueue_on_commit(DELIVER_ONE, args=batch, what=f"notification {batch[0]}")
        else:
            enqueue_on_commit(DELIVER_MANY, args=[batch], what=f"{len(batch)} notifications")


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
    return choices_for(
        tenant_ids={n.tenant_id for n in notices},
        user_ids={n.recipient.pk for n in notices},
        kinds={n.kind for n in notices},
    )


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
            extra.setdefault("due", when(clock.due_at) if clock.due_at else "")
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
