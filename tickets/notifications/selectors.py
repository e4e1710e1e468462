"""Reading notifications: a person's in-app list and unread count, and the record of who
was told what about a case (the agent's case page)."""

from __future__ import annotations

from django.db.models import QuerySet

from supportdesk.models import User
from tickets.models import Case, Notification


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
