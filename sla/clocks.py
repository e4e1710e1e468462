"""Clock arithmetic over a calendar and a case's pauses. Pure: no Django, no database.

Business time a clock ran = business time from its start to `t`, minus the
business time inside the case's pauses. From that follow the instants people
and the sweep need: when it is due, when it breaches, when to warn.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from .calendar import BusinessCalendar

Pause = tuple[datetime, datetime | None]  # (start, end); end None = still paused


def business_ran(
    calendar: BusinessCalendar, start: datetime, until: datetime, pauses: Iterable[Pause]
) -> timedelta:
    total = calendar.elapsed(start, until)
    for pause_start, pause_end in pauses:
        lo = max(pause_start, start)
        hi = min(pause_end or until, until)
        if hi > lo:
            total -= calendar.elapsed(lo, hi)
    return total


@dataclass(frozen=True)
class Schedule:
    due_at: datetime | None
    breach_at: datetime | None
    warn_at: datetime | None


def schedule(
    calendar: BusinessCalendar,
    *,
    start: datetime,
    target: timedelta,
    pauses: list[Pause],
    warn_share: float,
) -> Schedule:
    """Due, breach and warning instants of a running clock; all None while it is paused."""
    if any(end is None for _start, end in pauses):
        return Schedule(None, None, None)
    resumed = max([start, *(end for _start, end in pauses if end is not None)])
    used = business_ran(calendar, start, resumed, pauses)
    due = calendar.add(resumed, max(target - used, timedelta(0)))
    warn_target = target * warn_share
    warn = calendar.add(resumed, warn_target - used) if warn_target > used else None
    return Schedule(due_at=due, breach_at=calendar.next_open(due), warn_at=warn)
