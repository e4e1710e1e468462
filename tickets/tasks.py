"""Background work of the tickets app. Thin: the services decide, the tasks run them."""

from __future__ import annotations

from celery import shared_task

from tickets.notifications.delivery import (
    MAX_ATTEMPTS,
    notification_deliver,
    notifications_deliver,
    notifications_deliver_due,
)


@shared_task(
    bind=True,
    name="tickets.tasks.deliver_notification",
    acks_late=True,
    max_retries=MAX_ATTEMPTS,
    ignore_result=True,
)
def deliver_notification(self, notification_id: int) -> str:
    """Send one notification's e-mail; a duplicate delivery of this task sends nothing."""
    delivery = notification_deliver(notification_id=notification_id)
    if delivery.outcome == "retry":
        raise self.retry(countdown=delivery.countdown)
    return delivery.outcome


@shared_task(name="tickets.tasks.deliver_notifications", acks_late=True, ignore_result=True)
def deliver_notifications(notification_ids: list[int]) -> dict[str, int]:
    """Send a batch of e-mails over one connection; a message that must wait is handed to
    `deliver_notification` with its backoff. A duplicate delivery of this task sends nothing."""
    outcomes = notifications_deliver(notification_ids=notification_ids)
    counts: dict[str, int] = {}
    for pk, delivery in outcomes.items():
        counts[delivery.outcome] = counts.get(delivery.outcome, 0) + 1
        if delivery.outcome == "retry":
            deliver_notification.apply_async(args=[pk], countdown=delivery.countdown)
    return counts


@shared_task(name="tickets.tasks.deliver_pending_notifications", acks_late=True, ignore_result=True)
def deliver_pending_notifications() -> int:
    """Beat, every minute: send e-mails left pending (e.g. the broker was down at commit)."""
    return notifications_deliver_due()
