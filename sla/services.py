"""Writes for business calendars and SLA clocks."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from plans.selectors import always_open_calendar, policy_for, sla_targets_for

from . import calendar as core
from .clocks import Pause, business_ran, schedule
from .models import BusinessCalendar, ClockState, SlaClock

CLOCK_METRICS = ("response", "solution_started", "resolution")


@transaction.atomic
def calendar_save(*, calendar: BusinessCalendar, values: dict[str, Any]) -> BusinessCalendar:
    """Create or change a calendar; the core validates it (per-field errors) before saving."""
    organization = values.get("organization", calendar.organization if calendar.pk else None)
    if organization is not None and organization.tenant_id != calendar.tenant_id:
        raise ValidationError({"organization": _("Not found.")})
    for name, value in values.items():
        setattr(calendar, name, value)
    calendar.full_clean()
    calendar.save()
    return calendar


# --- SLA clocks -------------------------------------------------------------------------------


# Clocks not derived from the plan's targets: the escalation task force's wall-clock
# deadline (`tickets.escalations`). Contract resyncs and pauses leave them alone.
OWN_DEADLINE_METRICS = ("task_force",)


def calendar_for_clock(clock: SlaClock) -> core.BusinessCalendar:
    if clock.calendar_id is None:
        return always_open_calendar(clock.case.tenant.timezone)
    return clock.calendar.core()


def _pauses(case) -> list[Pause]:
    return [(p.started_at, p.ended_at) for p in case.pauses.all()]


def _warn_share(case) -> float:
    policy = policy_for(tenant=case.tenant)
    return (policy.warning_at_percent if policy else 75) / 100


def _reschedule(clock: SlaClock, pauses: list[Pause], warn_share: float) -> None:
    plan = schedule(
        calendar_for_clock(clock),
        start=clock.started_at,
        target=timedelta(seconds=clock.target_seconds),
        pauses=pauses,
        warn_share=warn_share,
    )
    clock.due_at, clock.breach_at, clock.warn_at = plan.due_at, plan.breach_at, plan.warn_at
    clock.state = ClockState.PAUSED if plan.due_at is None else ClockState.RUNNING


def clocks_sync(*, case, at: datetime) -> list[SlaClock]:
    """Bring the case's clocks in line with its contract as resolved at filing.

    Used at filing, on reclassification and when a hypercare window changes: targets
    are resolved from the case's start, so paused time stays out of every clock.
    Clocks already met or breached keep their verdict; a metric no longer targeted
    is cancelled; a newly targeted one starts at filing.
    """
    targets = sla_targets_for(customer=case.organization, severity=case.severity, at=case.filed_at)
    measured = {
        metric: t for metric, t in targets.items() if t.is_measured and t.duration is not None
    }
    measured = {m: t for m, t in measured.items() if m in CLOCK_METRICS}
    pauses = _pauses(case)
    share = _warn_share(case)
    existing = {
        clock.metric: clock
        for clock in case.clocks.select_related("calendar").exclude(metric__in=OWN_DEADLINE_METRICS)
    }
    for metric, target in measured.items():
        clock = existing.pop(metric, None) or SlaClock(
            tenant=case.tenant, case=case, metric=metric, started_at=case.filed_at
        )
        if clock.state in (ClockState.MET, ClockState.BREACHED):
            continue
        clock.target_value = target.value
        clock.target_unit = target.unit
        clock.target_seconds = int(target.duration.total_seconds())
        clock.calendar_id = target.calendar_id
        clock.source = target.source
        clock.case = case
        _reschedule(clock, pauses, share)
        clock.save()
    for clock in existing.values():
        if clock.state in (ClockState.RUNNING, ClockState.PAUSED):
            clock.state = ClockState.CANCELLED
            clock.due_at = clock.breach_at = clock.warn_at = None
            clock.stopped_at = at
            clock.save()
    return list(case.clocks.all())


def clocks_reschedule(*, case) -> None:
    """After a pause starts or ends: recompute due, breach and warning instants."""
    pauses = _pauses(case)
    share = _warn_share(case)
    for clock in (
        case.clocks.select_related("calendar")
        .filter(state__in=(ClockState.RUNNING, ClockState.PAUSED))
        .exclude(metric__in=OWN_DEADLINE_METRICS)
    ):
        _reschedule(clock, pauses, share)
        clock.save(update_fields=["due_at", "breach_at", "warn_at", "state", "updated_at"])


def clock_stop(*, case, metric: str, at: datetime) -> SlaClock | None:
    """The event a metric waits for happened at `at`: met if within target, else breached.

    A clock the sweep already marked breached stays breached; stopping it records when
    the event came and how much business time it took, for the reports. A clock found
    over its target here, before the sweep fired it, gets its breach recorded now
    (`sla.alerts.breach_record`): alert, notifications, escalation, credit.
    """
    clock = (
        case.clocks.select_related("calendar")
        .filter(
            metric=metric,
            state__in=(ClockState.RUNNING, ClockState.PAUSED, ClockState.BREACHED),
            stopped_at__isnull=True,
        )
        .first()
    )
    if clock is None:
        return None
    pauses = [] if metric in OWN_DEADLINE_METRICS else _pauses(case)
    used = business_ran(calendar_for_clock(clock), clock.started_at, at, pauses)
    clock.business_seconds_used = int(used.total_seconds())
    within = used <= timedelta(seconds=clock.target_seconds)
    breached_now = clock.state != ClockState.BREACHED and not within
    if clock.state != ClockState.BREACHED:
        clock.state = ClockState.MET if within else ClockState.BREACHED
    clock.stopped_at = at
    clock.breach_at = clock.warn_at = None
    clock.save()
    if breached_now:  # late, and before the sweep noticed: the same breach as the sweep's
        from .alerts import breach_record

        breach_record(clock=clock, case=case, at=at)
    return clock


def clock_restart(*, case, metric: str) -> SlaClock | None:
    """A reopened case runs its resolution clock again, the resolved stretch paused out."""
    clock = case.clocks.select_related("calendar").filter(metric=metric).first()
    if clock is None or clock.state not in (ClockState.MET, ClockState.BREACHED):
        return clock
    if clock.state == ClockState.BREACHED:
        return clock  # a breach stays a breach; reopening does not undo it
    clock.stopped_at = None
    clock.business_seconds_used = None
    _reschedule(clock, _pauses(case), _warn_share(case))
    clock.save()
    return clock


def clock_remaining(clock: SlaClock, *, at: datetime) -> timedelta | None:
    """Business time left at `at` (negative once past due); None for stopped clocks."""
    if clock.state not in (ClockState.RUNNING, ClockState.PAUSED):
        return None
    used = business_ran(calendar_for_clock(clock), clock.started_at, at, _pauses(clock.case))
    return timedelta(seconds=clock.target_seconds) - used
