"""Who is told of a timeline event, and what the event's notification says about its clocks.

`notifications_for_event(event=...)` runs inside the transaction of the case change (the
case services call it right after writing the timeline event) and hands its notices to the
outbox. The actor hears of nothing they did (except the receipt of a case they filed); an
internal event never leaves the desk; another tenant's users never hear of anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from plans.models import Contact, ContactRole, SeverityLevel
from plans.selectors import policy_for
from plans.wording import metric_label, target_in_words
from sla.models import ClockState, SlaClock
from supportdesk.models import Role, User
from tickets.models import Case, CaseEvent, CaseStatus, EventKind, Notification, NotificationKind
from tickets.notifications.links import CASE_WORKERS
from tickets.notifications.outbox import Notice, notify_many, when


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
        "due": when(clock.due_at),
    }


def target_lines(clocks: Iterable[SlaClock]) -> list[str]:
    """ "Response: within 4 working hours, by Tue 14 Apr 10:00", one per running clock."""
    return [
        _("%(metric)s: %(target)s, by %(due)s")
        % {
            "metric": metric_label(clock.metric),
            "target": _target_words(clock),
            "due": when(clock.due_at),
        }
        for clock in clocks
    ]


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
    # Inside the function: tickets.cases.services imports this module (the outbox of every
    # case change). It goes when the filing decision moves to `plans` (issue 12, point 2).
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
