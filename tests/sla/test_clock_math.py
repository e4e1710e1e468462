"""Clock arithmetic: business time ran with pauses, and the due/breach/warn instants."""

from datetime import UTC, datetime, timedelta

from sla.calendar import BusinessCalendar
from sla.clocks import business_ran, schedule

# Oslo office: Mon–Fri 09:00–16:00, Norwegian holidays (Ascension Day 14 May 2026).
OSLO = BusinessCalendar(
    timezone="Europe/Oslo",
    weekly_hours={day: [("09:00", "16:00")] for day in range(5)},
    holiday_country="NO",
)
H = timedelta(hours=1)


def oslo(day, hour, minute=0):
    """Local CEST time in May 2026 as UTC (CEST = UTC+2)."""
    return datetime(2026, 5, day, hour - 2, minute, tzinfo=UTC)


def test_business_time_excludes_pauses_and_closed_hours():
    start = oslo(13, 15)  # Wednesday 15:00
    pauses = [(oslo(15, 9, 30), oslo(18, 10))]  # Friday 09:30 to Monday 10:00
    assert business_ran(OSLO, start, oslo(18, 11), pauses) == timedelta(hours=2, minutes=30)


def test_an_open_pause_counts_until_now():
    start = oslo(13, 15)
    assert business_ran(OSLO, start, oslo(15, 12), [(oslo(15, 10), None)]) == 2 * H


def test_schedule_skips_ascension_day_and_breaches_at_next_opening():
    plan = schedule(OSLO, start=oslo(13, 9), target=7 * H, pauses=[], warn_share=0.75)
    assert plan.due_at == oslo(13, 16)  # Wednesday closing time
    assert plan.breach_at == oslo(15, 9)  # Thursday is Ascension Day: Friday's opening
    assert plan.warn_at == oslo(13, 14, 15)  # 75 % of 7 h = 5 h 15 min


def test_schedule_after_a_pause_continues_with_what_is_left():
    pauses = [(oslo(15, 9, 30), oslo(18, 10))]
    plan = schedule(OSLO, start=oslo(13, 15), target=7 * H, pauses=pauses, warn_share=0.75)
    # 1 h 30 used before the pause; 5 h 30 left from Monday 10:00.
    assert plan.due_at == oslo(18, 15, 30)
    assert plan.breach_at == plan.due_at
    # Warning at 5 h 15: 3 h 45 after Monday 10:00.
    assert plan.warn_at == oslo(18, 13, 45)


def test_paused_clocks_have_no_instants_and_late_warnings_are_dropped():
    paused = schedule(OSLO, start=oslo(13, 9), target=7 * H, pauses=[(oslo(13, 10), None)],
                      warn_share=0.75)  # fmt: skip
    assert (paused.due_at, paused.breach_at, paused.warn_at) == (None, None, None)
    late = schedule(OSLO, start=oslo(13, 9), target=7 * H, pauses=[(oslo(13, 15), oslo(15, 9))],
                    warn_share=0.75)  # fmt: skip
    assert late.warn_at is None  # 6 h already ran, beyond the 5 h 15 warning mark
    assert late.due_at == oslo(15, 10)
