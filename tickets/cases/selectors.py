"""Tenant-scoped reads for cases: lists, the agent queue, the timeline, clock views."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, F, Min, Prefetch, Q, QuerySet
from django.utils import timezone

from sla.models import ClockState, SlaClock
from sla.services import clock_remaining
from supportdesk.models import User
from tickets.models import ACTIVE_STATUSES, Case, CaseEvent, CaseStatus


def case_list(*, actor: User) -> QuerySet[Case]:
    """Staff see their tenant's cases; a contact sees its organisation's."""
    qs = Case.objects.for_tenant(actor.tenant).select_related(
        "organization", "requester", "severity", "case_type", "assignee"
    )
    if actor.is_contact:
        return qs.filter(organization__contacts__user=actor)
    if actor.is_desk_staff:
        return qs.exclude(status=CaseStatus.RETURNED)
    return qs.none()


def case_search(qs: QuerySet[Case], text: str) -> QuerySet[Case]:
    text = text.strip()
    if not text:
        return qs
    return qs.filter(
        Q(number__iexact=text) | Q(subject__icontains=text) | Q(description__icontains=text)
    )


def queue(*, actor: User, filters: dict | None = None) -> QuerySet[Case]:
    """Open cases, nearest breach first; cases with no running clock come last."""
    filters = filters or {}
    qs = case_list(actor=actor).filter(status__in=ACTIVE_STATUSES)
    if filters.get("severity"):
        qs = qs.filter(severity__key=filters["severity"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("organization"):
        qs = qs.filter(organization_id=filters["organization"])
    if filters.get("plan"):
        today = timezone.localdate()
        qs = qs.filter(
            organization__subscriptions__plan__key=filters["plan"],
            organization__subscriptions__starts_on__lte=today,
        ).filter(
            Q(organization__subscriptions__ends_on__isnull=True)
            | Q(organization__subscriptions__ends_on__gte=today)
        )
    if filters.get("assignee") == "me":
        qs = qs.filter(assignee=actor)
    elif filters.get("assignee") == "none":
        qs = qs.filter(assignee__isnull=True)
    elif filters.get("assignee"):
        qs = qs.filter(assignee_id=filters["assignee"])
    if filters.get("breached"):
        qs = qs.filter(
            Q(clocks__state=ClockState.BREACHED)
            | Q(clocks__state=ClockState.RUNNING, clocks__breach_at__lt=timezone.now())
        )
    return (
        qs.annotate(
            next_breach=Min("clocks__breach_at", filter=Q(clocks__state=ClockState.RUNNING)),
            next_due=Min("clocks__due_at", filter=Q(clocks__state=ClockState.RUNNING)),
        )
        .prefetch_related(
            Prefetch("clocks", SlaClock.objects.select_related("calendar").order_by("metric")),
            "pauses",
        )
        .order_by(F("next_breach").asc(nulls_last=True), "filed_at")
        .distinct()
    )


@dataclass(frozen=True)
class QueueCounters:
    open: int
    unassigned: int
    mine: int
    paused: int
    warning: int
    breached: int


def queue_counters(*, actor: User) -> QueueCounters:
    now = timezone.now()
    qs = case_list(actor=actor).filter(status__in=ACTIVE_STATUSES)
    running = Q(clocks__state=ClockState.RUNNING)
    numbers = qs.aggregate(
        open=Count("pk", distinct=True),
        unassigned=Count("pk", filter=Q(assignee__isnull=True), distinct=True),
        mine=Count("pk", filter=Q(assignee=actor), distinct=True),
        paused=Count("pk", filter=Q(clocks__state=ClockState.PAUSED), distinct=True),
        warning=Count(
            "pk", filter=running & Q(clocks__warn_at__lte=now, clocks__breach_at__gte=now),
            distinct=True,
        ),
        breached=Count(
            "pk",
            filter=Q(clocks__state=ClockState.BREACHED) | (running & Q(clocks__breach_at__lt=now)),
            distinct=True,
        ),
    )  # fmt: skip
    return QueueCounters(**numbers)


def case_state(case: Case, *, now: datetime | None = None) -> str:
    """on_track | warning | breached | paused | done: the queue's colour for a case.

    Reads the prefetched clocks, so a page of cases costs no query per case.
    """
    now = now or timezone.now()
    clocks = list(case.clocks.all())
    running = [c for c in clocks if c.state == ClockState.RUNNING]
    if any(c.state == ClockState.BREACHED for c in clocks) or any(
        c.breach_at and c.breach_at < now for c in running
    ):
        return "breached"
    if any(c.warn_at and c.warn_at <= now for c in running):
        return "warning"
    if any(c.state == ClockState.PAUSED for c in clocks):
        return "paused"
    return "on_track" if running else "done"


def timeline(*, case: Case, actor: User) -> QuerySet[CaseEvent]:
    qs = CaseEvent.objects.for_tenant(case.tenant).filter(case=case).select_related("actor")
    qs = qs.prefetch_related("attachments")
    if not actor.is_desk_staff:
        qs = qs.filter(public=True)
    return qs.order_by("created_at", "pk")


@dataclass(frozen=True)
class ClockView:
    clock: SlaClock
    state: str
    remaining: timedelta | None
    explanation: str


def clock_views(*, case: Case, now: datetime | None = None) -> list[ClockView]:
    """Each clock with its state, remaining business time and its due time in words."""
    from sla.wording import due_explanation

    now = now or timezone.now()
    views = []
    for clock in case.clocks.select_related("calendar").order_by("metric"):
        clock.case = case  # the clock's case is this one: no query to fetch it again
        views.append(
            ClockView(
                clock=clock,
                state=clock_display_state(clock, now),
                remaining=clock_remaining(clock, at=now),
                explanation=due_explanation(clock),
            )
        )
    return views


def clock_display_state(clock: SlaClock, now: datetime) -> str:
    """The stored state, with "warning" and "overdue" for running clocks past those marks.

    A running clock past `breach_at` is overdue until the sweep records the breach.
    """
    if clock.state == ClockState.RUNNING and clock.breach_at and clock.breach_at < now:
        return "overdue"
    if clock.state == ClockState.RUNNING and clock.warn_at and clock.warn_at <= now:
        return "warning"
    return clock.state
