"""What a reader does with their in-app notifications: mark one, or all, as read.

Writing new notifications is the outbox's job (`tickets.notifications.outbox`).
"""

from __future__ import annotations

from django.utils import timezone

from supportdesk.models import User
from tickets.models import Notification
from tickets.notifications.selectors import notification_list


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
