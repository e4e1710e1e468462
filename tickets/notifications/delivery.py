"""Sending the outbox's e-mails: one by one, in batches over one SMTP connection, as a digest
for a storm of SLA alerts, and the sweep that sends what no task did (broker down).

What the tasks in `tickets.tasks` call. Each e-mail is marked sent in the transaction that
sends it, under a `SKIP LOCKED` row lock, so a duplicate task or an overlapping sweep sends
nothing twice.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation

from supportdesk.models import User
from tickets.models import EmailStatus, Notification, NotificationKind
from tickets.notifications.links import (
    absolute_url,
    case_thread_id,
    mail_domain,
    notification_message_id,
    preferences_url,
    reply_tag,
)

logger = logging.getLogger(__name__)

# A pending e-mail whose task did not run within this grace (broker down at commit)
# is sent by the sweep.
SWEEP_GRACE = timedelta(minutes=2)
MAX_ATTEMPTS = 5
SWEEP_BATCH = 200
# A person with this many SLA alerts waiting for the mail gets them in one digest e-mail.
DIGEST_AT = 5
DIGEST_MAX = 500  # alerts one digest lists at most; the rest go in the next
SLA_KINDS = (NotificationKind.SLA_WARNING, NotificationKind.SLA_BREACH)


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
