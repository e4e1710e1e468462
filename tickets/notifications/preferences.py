"""What each person chooses to be told of, per kind: by e-mail, in the app, both or neither.

No row means everything on (`ON`); only the kinds a person can receive can be chosen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from plans.models import ContactRole
from supportdesk.models import User
from tickets.models import NotificationKind, NotificationPreference

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


def choices_for(
    *, tenant_ids: Iterable[int], user_ids: Iterable[int], kinds: Iterable[str]
) -> dict[tuple[int, str], tuple[bool, bool]]:
    """(user, kind) -> (e-mail, in-app) for every choice these users made, one query: the
    outbox asks once for a whole batch of notices."""
    rows = NotificationPreference.objects.filter(
        tenant_id__in=set(tenant_ids), user_id__in=set(user_ids), kind__in=set(kinds)
    ).values_list("user_id", "kind", "email", "in_app")
    return {(user, kind): (email, in_app) for user, kind, email, in_app in rows}
