"""SLA due times in words, in the viewer's language and time zone.

"filed Fri 27 Mar 15:00; skipped Sat–Sun and Easter Monday (6 Apr); due Mon 30 Mar 08:30":
built from the calendar core's structured explanation, so holidays are named
and the weekday and month names follow the active language.
"""

from __future__ import annotations

from datetime import date

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from sla.calendar import Reason
from sla.models import ClockState, SlaClock
from sla.services import calendar_for_clock


def _day(day: date) -> str:
    return formats.date_format(day, "D")


def _moment(value) -> str:
    return formats.date_format(timezone.localtime(value), "D j M H:i")


def _closures(explanation) -> list[str]:
    phrases: list[str] = []
    for stretch in explanation.skipped:
        if stretch.reason == Reason.WEEKEND:
            days = stretch.dates
            phrases.append(_day(days[0]) if len(days) == 1 else f"{_day(days[0])}–{_day(days[-1])}")
        elif stretch.reason in (Reason.HOLIDAY, Reason.CLOSED_DATE):
            for day, name in zip(stretch.dates, stretch.names, strict=False):
                label = name or _("closed")
                phrases.append(f"{label} ({formats.date_format(day, 'j M')})")
        elif stretch.reason == Reason.SPECIAL_HOURS:
            phrases.append(
                _("special hours on %(day)s")
                % {"day": formats.date_format(stretch.dates[0], "j M")}
            )
    unique: list[str] = []
    for phrase in phrases:
        if phrase not in unique:
            unique.append(phrase)
    return unique


def due_explanation(clock: SlaClock) -> str:
    """Why the clock is due when it is, or how it ended."""
    started = _("filed %(when)s") % {"when": _moment(clock.started_at)}
    if clock.state == ClockState.PAUSED:
        return _("%(started)s; paused while we wait for you") % {"started": started}
    if clock.state == ClockState.CANCELLED:
        return _("%(started)s; no longer targeted after reclassification") % {"started": started}
    if clock.due_at is None:
        return started
    explanation = calendar_for_clock(clock).explain(clock.started_at, clock.due_at)
    parts = [started]
    closures = _closures(explanation)
    if closures:
        joined = ", ".join(closures[:-1]) + (_(" and ") if len(closures) > 1 else "") + closures[-1]
        parts.append(_("skipped %(closures)s") % {"closures": joined})
    if any(
        pause.started_at < clock.due_at
        and (pause.ended_at is None or pause.ended_at > clock.started_at)
        for pause in clock.case.pauses.all()
    ):
        parts.append(_("paused time not counted"))
    parts.append(_("due %(when)s") % {"when": _moment(clock.due_at)})
    if clock.state in (ClockState.MET, ClockState.BREACHED) and clock.stopped_at:
        verdict = _("met") if clock.state == ClockState.MET else _("breached")
        parts.append(f"{verdict} {_moment(clock.stopped_at)}")
    return "; ".join(parts)
