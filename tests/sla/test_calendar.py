"""Hand-worked cases for the business calendar: each expected instant is written out, with the
reasoning in a comment. Instants are UTC unless a helper says otherwise.

2025 clock changes used below: the EU moves at 01:00 UTC on Sun 30 Mar (forward) and Sun 26 Oct
(back): Copenhagen/Oslo/Stockholm 02:00 CET -> 03:00 CEST and 03:00 CEST -> 02:00 CET, Helsinki
03:00 -> 04:00 and 04:00 -> 03:00, London 01:00 -> 02:00 and 02:00 -> 01:00. New York moves at
02:00 local on Sun 9 Mar (EST -> EDT, 07:00 UTC) and Sun 2 Nov (EDT -> EST, 06:00 UTC).
"""

import threading
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import holidays
import pytest

from sla import calendar as calendar_module
from sla.calendar import (
    CACHE_SIZE,
    BusinessCalendar,
    CalendarConfig,
    cached_calendar,
    calendar_cache_info,
    clear_calendar_cache,
    normalize_config,
)
from tests.sla.calendar_reference import (
    ALWAYS,
    DANISH_HOURS,
    local,
    utc,
)

H = timedelta(hours=1)
M = timedelta(minutes=1)
US = timedelta(microseconds=1)
ZERO = timedelta(0)
CPH = "Europe/Copenhagen"


def cph(*args: int) -> datetime:
    return local(CPH, *args)


@pytest.fixture(scope="module")
def dk() -> BusinessCalendar:
    return BusinessCalendar(timezone=CPH, weekly_hours=DANISH_HOURS, holiday_country="DK")


# -- the Danish desk, week of Mon 7 Apr 2025 (CEST, UTC+2) and Easter ----------------------------

DANISH_ADD = [
    # 8 h from Monday's opening are used up exactly at closing: due at closing, not Tuesday.
    (cph(2025, 4, 7, 8), 8 * H, cph(2025, 4, 7, 16)),
    (cph(2025, 4, 7, 15), H, cph(2025, 4, 7, 16)),
    # Filed exactly at closing time: nothing counts until Tuesday 08:00, so due 09:00.
    (cph(2025, 4, 7, 16), H, cph(2025, 4, 8, 9)),
    # Zero duration is due at the start, even while closed.
    (cph(2025, 4, 7, 16), ZERO, cph(2025, 4, 7, 16)),
    (cph(2025, 4, 12, 10), ZERO, cph(2025, 4, 12, 10)),
    # Friday closes 15:30: 30 min on Friday, the other 30 min on Monday.
    (cph(2025, 4, 11, 15), H, cph(2025, 4, 14, 8, 30)),
    # Filed on Saturday: Monday 08:00 + 1 h.
    (cph(2025, 4, 12, 10), H, cph(2025, 4, 14, 9)),
    # A full week: Mon-Thu 4 x 8 h + Fri 7.5 h = 39.5 h, so 40 h ends Mon 14 Apr 08:30.
    (cph(2025, 4, 7, 8), 40 * H, cph(2025, 4, 14, 8, 30)),
    # Wed 16 Apr 15:00, 2 h: 1 h on Wednesday; Thu 17 (Maundy Thursday), Fri 18 (Good Friday),
    # the weekend and Mon 21 (Easter Monday) are closed; 1 h more on Tue 22 -> 09:00.
    (cph(2025, 4, 16, 15), 2 * H, cph(2025, 4, 22, 9)),
    # Microseconds: 1 us before closing plus 1 us is closing; plus 2 us spills to Tuesday.
    (cph(2025, 4, 7, 15, 59, 59, 999_999), US, cph(2025, 4, 7, 16)),
    (cph(2025, 4, 7, 15, 59, 59, 999_999), 2 * US, cph(2025, 4, 8, 8, 0, 0, 1)),
    # Winter (CET, UTC+1): Fri 3 Jan 15:00 + 1 h -> 30 min Friday, 30 min Mon 6 Jan.
    (cph(2025, 1, 3, 15), H, utc(2025, 1, 6, 7, 30)),
    # New Year's Day 2026 is a Thursday holiday: Wed 31 Dec 15:00 + 2 h -> 1 h Wed, 1 h Fri.
    (cph(2025, 12, 31, 15), 2 * H, utc(2026, 1, 2, 8)),
]


@pytest.mark.parametrize(("start", "duration", "due"), DANISH_ADD)
def test_danish_add(dk, start, duration, due):
    assert dk.add(start, duration) == due
    assert dk.add(start, duration).tzinfo is UTC
    assert dk.elapsed(start, due) == duration


DANISH_ELAPSED = [
    # Fri 11 Apr 15:40 is after Friday's 15:30 close: Mon 8 h + Tue 08:00-09:40.
    (cph(2025, 4, 11, 15, 40), cph(2025, 4, 15, 9, 40), 9 * H + 40 * M),
    # Closing to opening counts nothing.
    (cph(2025, 4, 7, 16), cph(2025, 4, 8, 8), ZERO),
    # end <= start is zero, never negative.
    (cph(2025, 4, 8, 12), cph(2025, 4, 7, 12), ZERO),
    (cph(2025, 4, 8, 12), cph(2025, 4, 8, 12), ZERO),
    # Easter week: Mon 14-Wed 16 are 3 x 8 h, Thu-Mon are closed, Tue 22 is 8 h.
    (cph(2025, 4, 14), cph(2025, 4, 23), 32 * H),
    # 2 microseconds across the night.
    (cph(2025, 4, 7, 15, 59, 59, 999_999), cph(2025, 4, 8, 8, 0, 0, 1), 2 * US),
]


@pytest.mark.parametrize(("start", "end", "expected"), DANISH_ELAPSED)
def test_danish_elapsed(dk, start, end, expected):
    assert dk.elapsed(start, end) == expected


DANISH_OPEN = [
    # (instant, is_open, next_open)
    (cph(2025, 4, 7, 8), True, cph(2025, 4, 7, 8)),  # opening instant is open
    (cph(2025, 4, 7, 7, 59, 59, 999_999), False, cph(2025, 4, 7, 8)),
    (cph(2025, 4, 7, 15, 59, 59, 999_999), True, cph(2025, 4, 7, 15, 59, 59, 999_999)),
    (cph(2025, 4, 7, 16), False, cph(2025, 4, 8, 8)),  # closing instant is closed
    (cph(2025, 4, 11, 15, 30), False, cph(2025, 4, 14, 8)),  # Friday's early close
    (cph(2025, 4, 16, 16), False, cph(2025, 4, 22, 8)),  # Easter: Thu to Mon closed
    (cph(2025, 4, 17, 10), False, cph(2025, 4, 22, 8)),  # Maundy Thursday, office hours
]


@pytest.mark.parametrize(("moment", "is_open", "next_open"), DANISH_OPEN)
def test_danish_is_open_and_next_open(dk, moment, is_open, next_open):
    assert dk.is_open(moment) is is_open
    assert dk.next_open(moment) == next_open


def test_inputs_in_any_zone_outputs_in_utc(dk):
    start = cph(2025, 4, 7, 15)
    for same in (start, start.astimezone(UTC), start.astimezone(ZoneInfo("America/New_York"))):
        assert dk.add(same, H) == utc(2025, 4, 7, 14)
        assert dk.add(same, ZERO) == utc(2025, 4, 7, 13)
        assert dk.add(same, ZERO).tzinfo is UTC
        assert dk.next_open(same).tzinfo is UTC
        assert dk.elapsed(same, utc(2025, 4, 8, 7)) == 2 * H
    fixed = start.astimezone(timezone(timedelta(hours=5)))
    assert dk.is_open(fixed)


# -- clock changes: 24/7 desks and hours touching 00:00-03:00 -------------------------------------

ZONES = [
    "Europe/Copenhagen",
    "Europe/Oslo",
    "Europe/Stockholm",
    "Europe/Helsinki",
    "Europe/London",
    "America/New_York",
]

# (zone, local midnight before the change day, next midnight, the one after), in UTC.
CHANGE_DAYS = [
    # CET/CEST: 30 Mar 00:00 CET = 29 Mar 23:00Z; 31 Mar 00:00 CEST = 30 Mar 22:00Z -> 23 h.
    ("Europe/Copenhagen", utc(2025, 3, 29, 23), utc(2025, 3, 30, 22), 23 * H),
    ("Europe/Oslo", utc(2025, 3, 29, 23), utc(2025, 3, 30, 22), 23 * H),
    ("Europe/Stockholm", utc(2025, 3, 29, 23), utc(2025, 3, 30, 22), 23 * H),
    # 26 Oct 00:00 CEST = 25 Oct 22:00Z; 27 Oct 00:00 CET = 26 Oct 23:00Z -> 25 h.
    ("Europe/Copenhagen", utc(2025, 10, 25, 22), utc(2025, 10, 26, 23), 25 * H),
    ("Europe/Oslo", utc(2025, 10, 25, 22), utc(2025, 10, 26, 23), 25 * H),
    ("Europe/Stockholm", utc(2025, 10, 25, 22), utc(2025, 10, 26, 23), 25 * H),
    # EET/EEST: 30 Mar 00:00 EET = 29 Mar 22:00Z; 31 Mar 00:00 EEST = 30 Mar 21:00Z.
    ("Europe/Helsinki", utc(2025, 3, 29, 22), utc(2025, 3, 30, 21), 23 * H),
    # 26 Oct 00:00 EEST = 25 Oct 21:00Z; 27 Oct 00:00 EET = 26 Oct 22:00Z.
    ("Europe/Helsinki", utc(2025, 10, 25, 21), utc(2025, 10, 26, 22), 25 * H),
    # GMT/BST: 30 Mar 00:00 GMT = 00:00Z; 31 Mar 00:00 BST = 30 Mar 23:00Z.
    ("Europe/London", utc(2025, 3, 30), utc(2025, 3, 30, 23), 23 * H),
    # 26 Oct 00:00 BST = 25 Oct 23:00Z; 27 Oct 00:00 GMT = 27 Oct 00:00Z.
    ("Europe/London", utc(2025, 10, 25, 23), utc(2025, 10, 27), 25 * H),
    # EST/EDT: 9 Mar 00:00 EST = 05:00Z; 10 Mar 00:00 EDT = 04:00Z.
    ("America/New_York", utc(2025, 3, 9, 5), utc(2025, 3, 10, 4), 23 * H),
    # 2 Nov 00:00 EDT = 04:00Z; 3 Nov 00:00 EST = 05:00Z.
    ("America/New_York", utc(2025, 11, 2, 4), utc(2025, 11, 3, 5), 25 * H),
]


# A 24/7 calendar answers by subtraction; the same hours with one closed date long ago go
# through the interval arrays. Both must count real time.
ALWAYS_PATHS = {"shortcut": {}, "intervals": {"closed_dates": [date(1900, 1, 1)]}}


@pytest.mark.parametrize("path", sorted(ALWAYS_PATHS))
@pytest.mark.parametrize(("zone", "midnight", "next_midnight", "length"), CHANGE_DAYS)
def test_always_open_desk_counts_real_time_on_change_days(
    path, zone, midnight, next_midnight, length
):
    cal = BusinessCalendar(timezone=zone, weekly_hours=ALWAYS, **ALWAYS_PATHS[path])
    assert next_midnight - midnight == length  # the table itself: local midnights, real gap
    assert local(zone, *midnight.astimezone(ZoneInfo(zone)).timetuple()[:3]) == midnight
    assert cal.elapsed(midnight, next_midnight) == length
    assert cal.add(midnight, length) == next_midnight
    # Three wall-clock hours after midnight are 3 real hours later whatever the clocks do.
    assert cal.add(midnight, 3 * H) == midnight + 3 * H
    assert cal.is_open(midnight)
    assert cal.next_open(midnight + 90 * M) == midnight + 90 * M
    local_midnight = midnight.astimezone(ZoneInfo(zone))  # inputs in the desk's own zone
    assert cal.elapsed(local_midnight, next_midnight.astimezone(ZoneInfo(zone))) == length
    assert cal.add(local_midnight, length) == next_midnight


# Hours touching the small hours. (zone, hours, day, expected open intervals of that day.)
NIGHT_CASES = [
    # 00:00-03:00 CET/CEST on 30 Mar: 00:00 CET = 29 Mar 23:00Z, 03:00 CEST = 01:00Z -> 2 h.
    (CPH, ("00:00", "03:00"), date(2025, 3, 30), [(utc(2025, 3, 29, 23), utc(2025, 3, 30, 1))]),
    # On 26 Oct: 00:00 CEST = 25 Oct 22:00Z, 03:00 (once, CET) = 02:00Z -> 4 h.
    (CPH, ("00:00", "03:00"), date(2025, 10, 26), [(utc(2025, 10, 25, 22), utc(2025, 10, 26, 2))]),
    # 02:00-03:00 does not exist on 30 Mar: 02:00 (fold=0, CET) = 01:00Z = 03:00 CEST -> empty.
    (CPH, ("02:00", "03:00"), date(2025, 3, 30), []),
    # On 26 Oct it happens twice; fold=0 opens at the first 02:00 (CEST, 00:00Z), and 03:00 is
    # CET = 02:00Z -> 2 h.
    (CPH, ("02:00", "03:00"), date(2025, 10, 26), [(utc(2025, 10, 26), utc(2025, 10, 26, 2))]),
    # 02:30 (in the gap, fold=0 -> CET) = 01:30Z; 04:00 CEST = 02:00Z -> 30 min.
    (CPH, ("02:30", "04:00"), date(2025, 3, 30), [(utc(2025, 3, 30, 1, 30), utc(2025, 3, 30, 2))]),
    # 01:00 CET = 00:00Z; 02:30 (gap, fold=0) = 01:30Z -> 1.5 h.
    (CPH, ("01:00", "02:30"), date(2025, 3, 30), [(utc(2025, 3, 30), utc(2025, 3, 30, 1, 30))]),
    ("Europe/Oslo", ("00:00", "03:00"), date(2025, 3, 30), [(utc(2025, 3, 29, 23), utc(2025, 3, 30, 1))]),
    ("Europe/Stockholm", ("00:00", "03:00"), date(2025, 10, 26), [(utc(2025, 10, 25, 22), utc(2025, 10, 26, 2))]),
    # Helsinki jumps 03:00 -> 04:00: 00:00 EET = 29 Mar 22:00Z; 03:00 (gap start, fold=0, EET)
    # = 01:00Z -> an ordinary 3 h; 00:00-04:00 ends at 04:00 EEST = 01:00Z too.
    ("Europe/Helsinki", ("00:00", "03:00"), date(2025, 3, 30), [(utc(2025, 3, 29, 22), utc(2025, 3, 30, 1))]),
    ("Europe/Helsinki", ("00:00", "04:00"), date(2025, 3, 30), [(utc(2025, 3, 29, 22), utc(2025, 3, 30, 1))]),
    # 26 Oct: 00:00 EEST = 25 Oct 21:00Z; 04:00 EET = 02:00Z -> 5 h.
    ("Europe/Helsinki", ("00:00", "04:00"), date(2025, 10, 26), [(utc(2025, 10, 25, 21), utc(2025, 10, 26, 2))]),
    # London 01:00 -> 02:00: 00:00 GMT = 00:00Z; 03:00 BST = 02:00Z -> 2 h.
    ("Europe/London", ("00:00", "03:00"), date(2025, 3, 30), [(utc(2025, 3, 30), utc(2025, 3, 30, 2))]),
    # 01:00-02:00 is the gap: 01:00 (fold=0, GMT) = 01:00Z = 02:00 BST -> empty.
    ("Europe/London", ("01:00", "02:00"), date(2025, 3, 30), []),
    # 26 Oct: 00:00 BST = 25 Oct 23:00Z; 03:00 GMT = 03:00Z -> 4 h.
    ("Europe/London", ("00:00", "03:00"), date(2025, 10, 26), [(utc(2025, 10, 25, 23), utc(2025, 10, 26, 3))]),
    # New York: 00:00 EST = 05:00Z; 03:00 EDT = 07:00Z -> 2 h.
    ("America/New_York", ("00:00", "03:00"), date(2025, 3, 9), [(utc(2025, 3, 9, 5), utc(2025, 3, 9, 7))]),
    # 2 Nov: 00:00 EDT = 04:00Z; 01:30 fold=0 is the first (EDT) = 05:30Z -> 1.5 h.
    ("America/New_York", ("00:00", "01:30"), date(2025, 11, 2), [(utc(2025, 11, 2, 4), utc(2025, 11, 2, 5, 30))]),
    # 2 Nov: 00:00 EDT = 04:00Z; 03:00 EST = 08:00Z -> 4 h.
    ("America/New_York", ("00:00", "03:00"), date(2025, 11, 2), [(utc(2025, 11, 2, 4), utc(2025, 11, 2, 8))]),
]  # fmt: skip


@pytest.mark.parametrize(("zone", "hours", "day", "expected"), NIGHT_CASES)
def test_night_hours_on_change_days(zone, hours, day, expected):
    cal = BusinessCalendar(
        timezone=zone, weekly_hours={day.weekday(): [hours], 2: [("12:00", "13:00")]}
    )
    whole_day = (
        local(zone, day.year, day.month, day.day),
        local(zone, *(day + timedelta(days=1)).timetuple()[:3]),
    )
    assert cal.elapsed(*whole_day) == sum((b - a for a, b in expected), ZERO)
    for a, b in expected:
        assert cal.is_open(a)
        assert not cal.is_open(b)
        assert not cal.is_open(a - US)
        assert cal.next_open(a - H) == a
        assert cal.add(a, b - a) == b
        assert cal.elapsed(a - H, b + H) == b - a
    if not expected:
        # The day's only hours vanish: the next opening is the Wednesday noon slot.
        assert cal.next_open(whole_day[0]) > whole_day[1]


def test_night_hours_add_across_two_nights():
    # 00:00-03:00 every day in Copenhagen. From 30 Mar 00:00 CET (29 Mar 23:00Z) the night has
    # 2 real hours (until 03:00 CEST = 01:00Z); 30 more minutes from 31 Mar 00:00 CEST (30 Mar
    # 22:00Z) -> 22:30Z.
    cal = BusinessCalendar(timezone=CPH, weekly_hours={d: [("00:00", "03:00")] for d in range(7)})
    assert cal.add(utc(2025, 3, 29, 23), 150 * M) == utc(2025, 3, 30, 22, 30)
    # Fall back: 4 real hours on 26 Oct (25 Oct 22:00Z to 26 Oct 02:00Z); 5 h -> 1 h more
    # from 27 Oct 00:00 CET (26 Oct 23:00Z) -> 27 Oct 00:00Z.
    assert cal.add(utc(2025, 10, 25, 22), 5 * H) == utc(2025, 10, 27)


def test_evening_and_night_shifts_touch_across_midnight_and_the_change():
    # 22:00-24:00 and 00:00-04:00 daily: one stretch each night. Sat 29 Mar 22:00 CET = 21:00Z
    # to Sun 30 Mar 04:00 CEST = 02:00Z is 5 real hours (the night lost one).
    cal = BusinessCalendar(
        timezone=CPH, weekly_hours={d: [("00:00", "04:00"), ("22:00", "24:00")] for d in range(7)}
    )
    assert cal.elapsed(utc(2025, 3, 29, 12), utc(2025, 3, 30, 12)) == 5 * H
    assert cal.is_open(utc(2025, 3, 29, 23))  # local midnight is inside the stretch
    assert cal.add(utc(2025, 3, 29, 21), 5 * H) == utc(2025, 3, 30, 2)
    # Autumn: 25 Oct 22:00 CEST = 20:00Z to 26 Oct 04:00 CET = 03:00Z is 7 real hours.
    assert cal.elapsed(utc(2025, 10, 25, 12), utc(2025, 10, 26, 12)) == 7 * H


# -- 24:00 closes, split shifts, special hours -------------------------------------------------


def test_close_at_2400_is_next_midnight_and_touches_the_next_day():
    # Mon 20:00-24:00 and Tue 00:00-02:00 (7 Apr 2025, CEST): one 6-hour stretch.
    cal = BusinessCalendar(
        timezone=CPH, weekly_hours={0: [("20:00", "24:00")], 1: [(time(0), "02:00")]}
    )
    assert cal.elapsed(cph(2025, 4, 7), cph(2025, 4, 9)) == 6 * H
    assert cal.is_open(cph(2025, 4, 8, 0))
    assert cal.add(cph(2025, 4, 7, 23), 2 * H) == cph(2025, 4, 8, 1)
    assert cal.next_open(cph(2025, 4, 8, 2)) == cph(2025, 4, 14, 20)
    # A Sunday that closes at 24:00 on the spring-forward day: 30 Mar 20:00 CEST (18:00Z)
    # to 31 Mar 00:00 CEST (30 Mar 22:00Z).
    sunday = BusinessCalendar(timezone=CPH, weekly_hours={6: [("20:00", "24:00")]})
    assert sunday.elapsed(utc(2025, 3, 30), utc(2025, 3, 31)) == 4 * H


def test_split_shift():
    cal = BusinessCalendar(timezone=CPH, weekly_hours={0: [("13:00", "17:00"), ("08:00", "12:00")]})
    monday = (2025, 4, 7)
    assert cal.add(cph(*monday, 11), 2 * H) == cph(*monday, 14)  # 1 h before lunch, 1 h after
    assert cal.add(cph(*monday, 8), 4 * H) == cph(*monday, 12)  # used up at lunch: due at 12
    assert cal.elapsed(cph(*monday, 11, 30), cph(*monday, 13, 30)) == H
    assert not cal.is_open(cph(*monday, 12))
    assert cal.next_open(cph(*monday, 12, 30)) == cph(*monday, 13)
    assert cal.business_day == 8 * H


def test_touching_intervals_of_one_day_are_one_stretch():
    split = normalize_config(
        timezone=CPH, weekly_hours={0: [("12:00", "16:00"), ("08:00", "12:00")]}
    )
    whole = normalize_config(timezone=CPH, weekly_hours={0: [("08:00", "16:00")]})
    assert split == whole


def test_special_hours_win_over_holidays_closed_dates_and_weekends(dk):
    cal = BusinessCalendar(
        timezone=CPH,
        weekly_hours=DANISH_HOURS,
        holiday_country="DK",
        closed_dates=[date(2025, 12, 29)],
        special_hours={
            date(2025, 12, 25): [("10:00", "12:00")],  # Christmas Day (holiday) opens 2 h
            "2025-12-27": [("10:00", "11:00")],  # a Saturday opens 1 h
            date(2025, 12, 29): [("09:00", "10:00")],  # also a closed date: special wins
            date(2025, 12, 30): [],  # a Tuesday closed all day
        },
    )
    # Wed 24 Dec 15:00 + 2 h: 1 h on Wednesday (Christmas Eve is not a public holiday by
    # default), then Christmas Day 10:00 CET (09:00Z) + 1 h.
    assert cal.add(cph(2025, 12, 24, 15), 2 * H) == utc(2025, 12, 25, 10)
    # Without special hours: Thu 25 and Fri 26 are holidays -> Mon 29 Dec 09:00 CET.
    assert dk.add(cph(2025, 12, 24, 15), 2 * H) == utc(2025, 12, 29, 8)
    assert cal.elapsed(cph(2025, 12, 25), cph(2026, 1, 1)) == 2 * H + H + H + 8 * H
    assert not cal.is_open(cph(2025, 12, 30, 10))
    assert cal.is_open(cph(2025, 12, 27, 10, 30))


def test_closed_dates_take_any_iterable():
    days = (date(2025, 4, 8) + timedelta(days=n) for n in range(2))  # a generator: Tue, Wed
    cal = BusinessCalendar(timezone=CPH, weekly_hours=DANISH_HOURS, closed_dates=days)
    assert cal.add(cph(2025, 4, 7, 15), 2 * H) == cph(2025, 4, 10, 9)
    as_strings = BusinessCalendar(
        timezone=CPH, weekly_hours=DANISH_HOURS, closed_dates={"2025-04-08", "2025-04-09"}
    )
    assert as_strings.config == cal.config
    assert BusinessCalendar(timezone=CPH, weekly_hours=DANISH_HOURS, closed_dates=None).config == (
        BusinessCalendar(timezone=CPH, weekly_hours=DANISH_HOURS).config
    )


# -- years and lazy coverage ------------------------------------------------------------------


def test_1970_and_2100_in_either_order():
    # 1970: Thu 1 Jan is New Year's Day; Fri 2 Jan 7.5 h; Mon-Wed 5-7 Jan 3 x 8 h = 31.5 h.
    week_1970 = (cph(1970, 1, 1), cph(1970, 1, 8))
    # 2100: Fri 1 Jan is New Year's Day; Mon-Thu 4-7 Jan 4 x 8 h = 32 h.
    week_2100 = (cph(2100, 1, 1), cph(2100, 1, 8))
    late_first = BusinessCalendar(timezone=CPH, weekly_hours=DANISH_HOURS, holiday_country="DK")
    assert late_first.elapsed(*week_2100) == 32 * H
    assert late_first.elapsed(*week_1970) == 31.5 * H
    early_first = BusinessCalendar(timezone=CPH, weekly_hours=DANISH_HOURS, holiday_country="DK")
    assert early_first.elapsed(*week_1970) == 31.5 * H
    assert early_first.elapsed(*week_2100) == 32 * H
    # The whole span at once, and an `add` across it, agree between the two.
    span = (cph(1970, 1, 1), cph(2100, 1, 1))
    assert late_first.elapsed(*span) == early_first.elapsed(*span)
    total = early_first.elapsed(*span)
    assert late_first.add(span[0], total) == cph(2099, 12, 31, 16)  # Thu 31 Dec 2099 closes 16:00


@pytest.mark.parametrize("path", sorted(ALWAYS_PATHS))
def test_24_7_from_1970_to_2100_is_real_time(path):
    cal = BusinessCalendar(timezone=CPH, weekly_hours=ALWAYS, **ALWAYS_PATHS[path])
    assert cal.elapsed(utc(2100, 1, 1), utc(2100, 1, 2)) == 24 * H
    assert cal.elapsed(utc(1970, 1, 1), utc(2100, 1, 1)) == utc(2100, 1, 1) - utc(1970, 1, 1)
    assert cal.add(utc(1970, 1, 1), utc(2100, 1, 1) - utc(1970, 1, 1)) == utc(2100, 1, 1)


def test_coverage_grows_in_both_directions_without_changing_answers():
    cal = BusinessCalendar(timezone=CPH, weekly_hours=DANISH_HOURS, holiday_country="DK")
    years = lambda: cal._state[6][1:]  # noqa: E731 - (first, end) local years built
    week = (cph(2025, 4, 14), cph(2025, 4, 23))
    assert cal.elapsed(*week) == 32 * H
    assert years() == (2024, 2029)  # first use in 2025 builds 2024-2028
    first_state = cal._state
    assert cal.elapsed(*week) == 32 * H and cal._state is first_state  # no rebuild when covered
    assert cal.is_open(cph(2045, 6, 1, 10))  # forward: Thursday 1 June 2045
    assert years() == (2024, 2047)
    assert not cal.is_open(cph(2007, 1, 1, 10))  # backward: New Year's Day, a Monday
    assert years() == (2006, 2047)
    assert cal.next_open(cph(2006, 12, 29, 16)) == cph(2007, 1, 2, 8)  # Fri 15:30 close, Mon 1 Jan
    assert cal.elapsed(*week) == 32 * H
    assert cal._cover(week[0], week[1]) is cal._state  # covered: the lock's re-check returns


def test_a_far_jump_rebuilds_instead_of_filling_the_gap():
    cal = BusinessCalendar(timezone=CPH, weekly_hours=DANISH_HOURS, holiday_country="DK")
    assert cal.is_open(cph(2400, 6, 1, 10))  # Thursday 1 June 2400
    assert cal._state[6][1:] == (2399, 2404)
    assert cal.elapsed(cph(2025, 4, 14), cph(2025, 4, 23)) == 32 * H
    assert cal._state[6][1:] == (2024, 2029)  # not 2024-2404


def test_far_future_add_extends_forward_repeatedly():
    cal = BusinessCalendar(timezone=CPH, weekly_hours=DANISH_HOURS)
    # 30 years of 2025-2054 weekdays; check with the calendar's own elapsed afterwards.
    start = cph(2025, 1, 6, 8)
    due = cal.add(start, 60_000 * H)
    assert cal.elapsed(start, due) == 60_000 * H
    assert cal.elapsed(start, due - US) == 60_000 * H - US  # and not a microsecond earlier


def test_an_open_stretch_across_the_covered_range_is_followed_out():
    # A 24/7 desk is one interval. First use in 2025 builds 2024-2028 (plus a few days), so
    # an answer on 1 Jan 2029 lies inside the known interval but past the covered years: the
    # calendar must build on rather than trust it; and further out still.
    cal = BusinessCalendar(timezone=CPH, weekly_hours=ALWAYS, **ALWAYS_PATHS["intervals"])
    for due in (utc(2029, 1, 1, 12), utc(2031, 7, 1)):
        assert cal.add(utc(2025, 1, 1), due - utc(2025, 1, 1)) == due
    # 150 years ahead from a fresh calendar: far past anything built (and past datetime's
    # range if taken at face value from the last interval's sentinel).
    for path in ALWAYS_PATHS.values():
        fresh = BusinessCalendar(timezone=CPH, weekly_hours=ALWAYS, **path)
        assert fresh.add(utc(2025, 1, 1), timedelta(days=150 * 365)) == utc(2174, 11, 26)
    assert cal.next_open(utc(2040, 1, 1)) == utc(2040, 1, 1)


@pytest.mark.parametrize("path", sorted(ALWAYS_PATHS))
def test_outside_supported_years(path):
    cal = BusinessCalendar(timezone=CPH, weekly_hours=ALWAYS, **ALWAYS_PATHS[path])
    with pytest.raises(
        ValueError, match=r"0002-01-01T00:00:00\+00:00: outside the supported range"
    ):
        cal.is_open(utc(2, 1, 1))
    with pytest.raises(
        ValueError, match=r"9999-01-01T00:00:00\+00:00: outside the supported range"
    ):
        cal.elapsed(utc(2025, 1, 1), utc(9999, 1, 1))
    with pytest.raises(ValueError, match="outside the supported range"):
        cal.add(utc(9990, 1, 1), timedelta(days=36_500))
    # Within range to the last year that can be built, whatever road is taken.
    assert cal.add(utc(9996, 6, 1), timedelta(days=365)) == utc(9997, 6, 1)
    with pytest.raises(ValueError, match="longer than the supported 200 years"):
        cal.add(utc(2025, 1, 1), timedelta(days=80_000))
    with pytest.raises(ValueError, match="longer than the supported 200 years"):
        cal.add(utc(2025, 1, 1), timedelta.max)


# -- holidays and their categories ------------------------------------------------------------


def test_installed_holidays_categories_are_what_the_calendar_relies_on():
    def names(country, categories, day):
        found = holidays.country_holidays(country, categories=categories, language="en_US")
        return found.get(day)

    # Danish Christmas Eve, New Year's Eve and Constitution Day are "optional", not public.
    for day, name in [
        (date(2025, 12, 24), "Christmas Eve"),
        (date(2025, 12, 31), "New Year's Eve"),
        (date(2025, 6, 5), "Constitution Day"),
    ]:
        assert names("DK", None, day) is None
        assert names("DK", ("public", "optional"), day) == name
    # Swedish Midsummer Eve, Christmas Eve and New Year's Eve are "de_facto".
    for day, name in [
        (date(2025, 6, 20), "Midsummer Eve"),
        (date(2025, 12, 24), "Christmas Eve"),
        (date(2025, 12, 31), "New Year's Eve"),
    ]:
        assert names("SE", None, day) is None
        assert names("SE", ("public", "de_facto"), day) == name


DK_OPTIONAL = [
    # (day, open by default, open with optional holidays); all are ordinary weekdays in 2025.
    (date(2025, 12, 24), True, False),  # Christmas Eve, Wednesday
    (date(2025, 12, 31), True, False),  # New Year's Eve, Wednesday
    (date(2025, 6, 5), True, False),  # Constitution Day, Thursday
    (date(2025, 12, 23), True, True),  # an ordinary Tuesday
    (date(2025, 12, 25), False, False),  # Christmas Day is public
]


@pytest.mark.parametrize(("day", "by_default", "with_optional"), DK_OPTIONAL)
def test_danish_optional_holidays(dk, day, by_default, with_optional):
    optional = cached_calendar(
        timezone=CPH,
        weekly_hours=DANISH_HOURS,
        holiday_country="DK",
        holiday_categories=("public", "optional"),
    )
    ten_am = cph(day.year, day.month, day.day, 10)
    assert dk.is_open(ten_am) is by_default
    assert optional.is_open(ten_am) is with_optional


SE_DE_FACTO = [
    (date(2025, 6, 20), True, False),  # Midsummer Eve, Friday
    (date(2025, 12, 24), True, False),  # Christmas Eve, Wednesday
    (date(2025, 12, 31), True, False),  # New Year's Eve, Wednesday
    (date(2025, 6, 19), True, True),  # an ordinary Thursday
    (date(2025, 6, 6), False, False),  # National Day, public
]


@pytest.mark.parametrize(("day", "by_default", "with_de_facto"), SE_DE_FACTO)
def test_swedish_de_facto_holidays(day, by_default, with_de_facto):
    weekdays = {d: [("09:00", "17:00")] for d in range(5)}
    plain = cached_calendar(
        timezone="Europe/Stockholm", weekly_hours=weekdays, holiday_country="SE"
    )
    de_facto = cached_calendar(
        timezone="Europe/Stockholm",
        weekly_hours=weekdays,
        holiday_country="se",  # normalised to "SE"
        holiday_categories=["de_facto", "public"],
    )
    noon = local("Europe/Stockholm", day.year, day.month, day.day, 12)
    assert plain.is_open(noon) is by_default
    assert de_facto.is_open(noon) is with_de_facto


def test_subdivision_holidays():
    # Easter Monday is a bank holiday in England but not in Scotland (GB without a subdivision
    # has only the shared ones).
    weekdays = {d: [("09:00", "17:00")] for d in range(5)}
    easter_monday = local("Europe/London", 2025, 4, 21, 12)
    england = BusinessCalendar(
        timezone="Europe/London",
        weekly_hours=weekdays,
        holiday_country="GB",
        holiday_subdivision="ENG",
    )
    scotland = BusinessCalendar(
        timezone="Europe/London",
        weekly_hours=weekdays,
        holiday_country="GB",
        holiday_subdivision="SCT",
    )
    assert not england.is_open(easter_monday)
    assert scotland.is_open(easter_monday)
    numeric = BusinessCalendar(
        timezone="Europe/Berlin", weekly_hours=weekdays, holiday_country="AT", holiday_subdivision=9
    )
    assert numeric.config.holiday_subdivision == "9"


# -- business days ------------------------------------------------------------------------------


def test_business_day_defaults_to_longest_weekday(dk):
    assert dk.business_day == 8 * H  # Mon-Thu 8 h beats Fri 7.5 h
    assert dk.working_days(3) == 24 * H
    assert dk.working_days(0.5) == 4 * H
    assert BusinessCalendar(timezone=CPH, weekly_hours=ALWAYS).business_day == 24 * H
    split = BusinessCalendar(
        timezone=CPH, weekly_hours={2: [("08:00", "12:00"), ("13:00", "16:30")]}
    )
    assert split.business_day == 7.5 * H
    explicit = BusinessCalendar(timezone=CPH, weekly_hours=DANISH_HOURS, business_day=7.5 * H)
    assert explicit.working_days(2) == 15 * H
    # Only special hours: the longest special day.
    special_only = BusinessCalendar(
        timezone=CPH, weekly_hours={}, special_hours={date(2025, 5, 1): [("09:00", "11:00")]}
    )
    assert special_only.business_day == 2 * H
    with pytest.raises(ValueError, match=r"days: negative number of working days -1"):
        dk.working_days(-1)


# -- never opens --------------------------------------------------------------------------------


def test_a_calendar_that_never_opens_is_rejected_at_construction():
    with pytest.raises(ValueError, match="weekly_hours: the calendar never opens"):
        BusinessCalendar(timezone=CPH, weekly_hours={})
    with pytest.raises(ValueError, match="never opens"):
        BusinessCalendar(timezone=CPH, weekly_hours={0: []}, special_hours={date(2025, 1, 6): []})


def test_no_open_time_within_ten_years():
    # Open only on 1 May 2025 09:00-11:00 (CEST, 07:00-09:00Z).
    cal = BusinessCalendar(
        timezone=CPH, weekly_hours={}, special_hours={date(2025, 5, 1): [("09:00", "11:00")]}
    )
    assert cal.next_open(utc(2025, 1, 1)) == utc(2025, 5, 1, 7)
    assert cal.add(utc(2025, 1, 1), 2 * H) == utc(2025, 5, 1, 9)
    assert cal.elapsed(utc(2020, 1, 1), utc(2040, 1, 1)) == 2 * H
    with pytest.raises(
        ValueError, match=r"no open time within ten years after 2025-05-01T09:00:00\+00:00"
    ):
        cal.next_open(utc(2025, 5, 1, 9))
    with pytest.raises(ValueError, match=r"after 2025-05-01T09:00:00\+00:00"):
        cal.add(utc(2025, 1, 1), 3 * H)  # 2 h on 1 May, then nothing for ever
    with pytest.raises(ValueError, match=r"after 2015-01-01T00:00:00\+00:00"):
        cal.next_open(utc(2015, 1, 1))  # the next opening is more than ten years away
    with pytest.raises(ValueError, match=r"after 2015-01-01T00:00:00\+00:00"):
        cal.add(utc(2015, 1, 1), H)


def test_a_wait_longer_than_ten_years_inside_covered_years_is_still_refused():
    # Open on 2 Jan 2025 and on 2 Jan 2040; cover both first so the fast path sees the answer.
    cal = BusinessCalendar(
        timezone="UTC",
        weekly_hours={},
        special_hours={
            date(2025, 1, 2): [("09:00", "10:00")],
            date(2040, 1, 2): [("09:00", "10:00")],
        },
    )
    assert cal.elapsed(utc(2024, 1, 1), utc(2041, 1, 1)) == 2 * H
    with pytest.raises(ValueError, match="no open time within ten years after 2025-01-02T10:00:00"):
        cal.add(utc(2025, 1, 2, 9), 90 * M)
    with pytest.raises(ValueError, match="no open time within ten years after 2025-01-02T10:00:00"):
        cal.next_open(utc(2025, 1, 2, 10))
    # Nine years apart is fine.
    near = BusinessCalendar(
        timezone="UTC",
        weekly_hours={},
        special_hours={
            date(2025, 1, 2): [("09:00", "10:00")],
            date(2034, 1, 2): [("09:00", "10:00")],
        },
    )
    assert near.add(utc(2025, 1, 2, 9), 90 * M) == utc(2034, 1, 2, 9, 30)
    assert near.next_open(utc(2025, 1, 2, 10)) == utc(2034, 1, 2, 9)
    # Found only after growing the covered years twice (2024-28, then to 2033, then 2038).
    fresh = BusinessCalendar(
        timezone="UTC",
        weekly_hours={},
        special_hours={
            date(2025, 1, 2): [("09:00", "10:00")],
            date(2034, 6, 1): [("09:00", "10:00")],
        },
    )
    assert fresh.next_open(utc(2025, 1, 2, 10)) == utc(2034, 6, 1, 9)


# -- validation: ValueError naming the bad value ----------------------------------------------

BAD_CONFIGS = [
    ({"timezone": "Europe/Kopenhagen"}, 'timezone: unknown time zone "Europe/Kopenhagen"'),
    ({"timezone": "../etc/passwd"}, 'timezone: unknown time zone "../etc/passwd"'),
    ({"timezone": 1}, "timezone: unknown time zone 1"),
    ({"weekly_hours": {0: [("08:00", "25:00")]}}, 'weekly_hours[0][0]: invalid close time "25:00"'),
    ({"weekly_hours": {0: [("24:00", "24:00")]}}, 'weekly_hours[0][0]: invalid open time "24:00"'),
    ({"weekly_hours": {0: [("08:60", "09:00")]}}, 'invalid open time "08:60"'),
    ({"weekly_hours": {0: [("8", "09:00")]}}, 'invalid open time "8"'),
    ({"weekly_hours": {0: [(8, "09:00")]}}, "invalid open time 8 "),
    ({"weekly_hours": {0: [("08:00", "24:01")]}}, 'invalid close time "24:01"'),
    (
        {"weekly_hours": {0: [("08:00", "12:00"), ("08:00", "07:00")]}},
        'weekly_hours[0][1]: close "07:00" is before open "08:00"',
    ),
    ({"weekly_hours": {3: [("08:00", "08:00")]}}, 'weekly_hours[3][0]: close "08:00" is the same as open "08:00"'),
    (
        {"weekly_hours": {0: [("11:00", "16:00"), ("08:00", "12:00")]}},
        'weekly_hours[0]: intervals ("08:00", "12:00") and ("11:00", "16:00") overlap',
    ),
    ({"weekly_hours": {7: [("08:00", "16:00")]}}, "weekly_hours: invalid weekday 7"),
    ({"weekly_hours": {"mon": [("08:00", "16:00")]}}, "weekly_hours: invalid weekday 'mon'"),
    ({"weekly_hours": {True: [("08:00", "16:00")]}}, "weekly_hours: invalid weekday True"),
    ({"weekly_hours": [("08:00", "16:00")]}, "weekly_hours: expected a mapping"),
    ({"weekly_hours": {0: ("08:00", "16:00")}}, "weekly_hours[0][0]: expected an (open, close) pair, got '08:00'"),
    ({"weekly_hours": {0: "08:00-16:00"}}, "weekly_hours[0]: expected a list of (open, close) pairs"),
    ({"weekly_hours": {0: 8}}, "weekly_hours[0]: expected a list of (open, close) pairs, got 8"),
    ({"closed_dates": "2025-12-24"}, "closed_dates: expected an iterable of dates"),
    ({"closed_dates": 20251224}, "closed_dates: expected an iterable of dates"),
    ({"closed_dates": ["2025-13-01"]}, 'closed_dates[0]: invalid date "2025-13-01"'),
    ({"closed_dates": [datetime(2025, 12, 24)]}, "closed_dates[0]: invalid date datetime.datetime(2025, 12, 24, 0, 0)"),
    ({"special_hours": [date(2025, 1, 1)]}, "special_hours: expected a mapping"),
    ({"special_hours": {"Christmas": []}}, 'special_hours["Christmas"]: invalid date "Christmas"'),
    (
        {"special_hours": {date(2025, 12, 24): [("12:00", "09:00")]}},
        'special_hours[2025-12-24][0]: close "09:00" is before open "12:00"',
    ),
    (
        {"special_hours": {date(2025, 12, 24): [], "2025-12-24": []}},
        "special_hours: 2025-12-24 is given twice",
    ),
    ({"holiday_country": "XX"}, 'holiday_country: unknown country "XX"'),
    ({"holiday_country": 45}, "holiday_country: expected a string or None, got 45"),
    (
        {"holiday_country": "DK", "holiday_categories": ("public", "bogus")},
        'holiday_categories: unknown category "bogus" for DK (supported: optional, public)',
    ),
    ({"holiday_country": "DK", "holiday_categories": [1]}, "holiday_categories: expected category names"),
    ({"holiday_country": "DK", "holiday_categories": 1}, "holiday_categories: expected category names"),
    ({"holiday_country": "DK", "holiday_categories": []}, "holiday_categories: empty"),
    ({"holiday_country": "DK", "holiday_subdivision": "ZZ"}, 'holiday_subdivision: unknown subdivision "ZZ" for DK (supported: none)'),
    ({"holiday_country": "GB", "holiday_subdivision": "XYZ"}, 'unknown subdivision "XYZ" for GB (supported: ENG, NIR, SCT, WLS'),
    ({"holiday_country": "DK", "holiday_language": "xx"}, 'holiday_language: unsupported language "xx" for DK (supported: da, en_US'),
    ({"holiday_subdivision": "ENG"}, "holiday_subdivision: 'ENG' given without holiday_country"),
    ({"holiday_categories": "optional"}, "holiday_categories: ('optional',) given without holiday_country"),
    ({"holiday_language": "da"}, "holiday_language: 'da' given without holiday_country"),
    ({"business_day": timedelta(0)}, "business_day: expected a positive timedelta, got datetime.timedelta(0)"),
    ({"business_day": 8}, "business_day: expected a positive timedelta, got 8"),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "message"), BAD_CONFIGS)
def test_bad_configuration_is_a_value_error_naming_the_value(changes, message):
    kwargs = {"timezone": CPH, "weekly_hours": DANISH_HOURS, **changes}
    with pytest.raises(ValueError) as raised:
        BusinessCalendar(**kwargs)
    assert message in str(raised.value)


def test_flexible_but_equivalent_inputs():
    plain = normalize_config(timezone=CPH, weekly_hours={0: [("08:00", "16:00")]})
    for weekly in (
        {"0": [["08:00", "16:00"]]},  # JSON-shaped: string keys, lists
        {0: [(time(8), time(16))]},
        {0: [(" 8:00", "16:00:00")]},
    ):
        assert normalize_config(timezone=ZoneInfo(CPH), weekly_hours=weekly) == plain
    assert plain.weekly_hours[0] == ((8 * 3600 * 10**6, 16 * 3600 * 10**6),)
    assert isinstance(plain, CalendarConfig)
    seconds = normalize_config(timezone=CPH, weekly_hours={0: [(time(8, 0, 30, 5), "16:00")]})
    assert seconds.weekly_hours[0][0][0] == (8 * 3600 + 30) * 10**6 + 5


RUNTIME_ERRORS = [
    # (call, exception, message)
    (lambda c: c.is_open(datetime(2025, 4, 7, 10)), ValueError, "moment: naive datetime 2025-04-07T10:00:00"),
    (lambda c: c.next_open(datetime(2025, 4, 7, 10)), ValueError, "moment: naive datetime"),
    (lambda c: c.elapsed(datetime(2025, 4, 7), utc(2025, 4, 8)), ValueError, "start: naive datetime 2025-04-07T00:00:00"),
    (lambda c: c.elapsed(utc(2025, 4, 7), datetime(2025, 4, 8)), ValueError, "end: naive datetime 2025-04-08T00:00:00"),
    (lambda c: c.add(datetime(2025, 4, 7), H), ValueError, "start: naive datetime 2025-04-07T00:00:00"),
    (lambda c: c.add(utc(2025, 4, 7), -H), ValueError, "duration: negative duration datetime.timedelta(days=-1, seconds=82800)"),
    (lambda c: c.add(utc(2025, 4, 7), -US), ValueError, "duration: negative duration"),
    (lambda c: c.explain(datetime(2025, 4, 7), utc(2025, 4, 8)), ValueError, "start: naive datetime"),
    (lambda c: c.explain_due(utc(2025, 4, 7), -H), ValueError, "duration: negative duration"),
    (lambda c: c.is_open("2025-04-07T10:00Z"), TypeError, "moment: expected an aware datetime, got '2025-04-07T10:00Z'"),
    (lambda c: c.elapsed(date(2025, 4, 7), utc(2025, 4, 8)), TypeError, "start: expected an aware datetime, got datetime.date(2025, 4, 7)"),
    (lambda c: c.add(utc(2025, 4, 7), 3600), TypeError, "duration: expected a timedelta, got 3600"),
    (lambda c: c.add(utc(2025, 4, 7), "1h"), TypeError, "duration: expected a timedelta, got '1h'"),
    (lambda c: c.add("2025-04-07", H), TypeError, "start: expected an aware datetime, got '2025-04-07'"),
    (lambda c: c.next_open(None), TypeError, "moment: expected an aware datetime, got None"),
    (lambda c: c.elapsed(utc(2025, 4, 7), 5), TypeError, "end: expected an aware datetime, got 5"),
    (lambda c: c.explain(utc(2025, 4, 7), 5), TypeError, "end: expected an aware datetime, got 5"),
]  # fmt: skip


@pytest.mark.parametrize("kind", ["danish", "24/7"])
@pytest.mark.parametrize(("call", "exception", "message"), RUNTIME_ERRORS)
def test_bad_inputs_name_the_value(dk, kind, call, exception, message):
    cal = dk if kind == "danish" else BusinessCalendar(timezone=CPH, weekly_hours=ALWAYS)
    with pytest.raises(exception) as raised:
        call(cal)
    assert message in str(raised.value)


def test_a_tzinfo_without_offset_counts_as_naive(dk):
    class Floating(tzinfo):  # a tzinfo that does not know its offset
        def utcoffset(self, dt):
            return None

    with pytest.raises(ValueError, match="naive datetime"):
        dk.is_open(datetime(2025, 4, 7, 10, tzinfo=Floating()))


def test_timedelta_subclasses_are_durations(dk):
    class Hours(timedelta):
        pass

    assert dk.add(cph(2025, 4, 7, 15), Hours(hours=1)) == cph(2025, 4, 7, 16)
    assert dk.add(cph(2025, 4, 7, 15), Hours(0)) == cph(2025, 4, 7, 15)


# -- the cache ------------------------------------------------------------------------------------


def test_cached_calendar_returns_one_instance_per_configuration():
    clear_calendar_cache()
    first = cached_calendar(timezone=CPH, weekly_hours=DANISH_HOURS, holiday_country="DK")
    again = cached_calendar(
        timezone=ZoneInfo(CPH),
        weekly_hours={str(k): [list(p) for p in v] for k, v in DANISH_HOURS.items()},
        holiday_country="dk",
        closed_dates=[],
        special_hours={},
    )
    assert again is first
    other = cached_calendar(timezone=CPH, weekly_hours=DANISH_HOURS, holiday_country="SE")
    assert other is not first
    info = calendar_cache_info()
    assert (info.hits, info.misses, info.maxsize) == (1, 2, CACHE_SIZE)
    # The bound: after CACHE_SIZE other configurations the first one has been dropped.
    for n in range(CACHE_SIZE):
        cached_calendar(
            timezone=CPH,
            weekly_hours=DANISH_HOURS,
            closed_dates=[date(2030, 1, 1) + timedelta(days=n)],
        )
    assert calendar_cache_info().currsize == CACHE_SIZE
    assert (
        cached_calendar(timezone=CPH, weekly_hours=DANISH_HOURS, holiday_country="DK") is not first
    )
    clear_calendar_cache()
    assert calendar_cache_info().currsize == 0


def test_cached_calendar_validates_like_the_class():
    with pytest.raises(ValueError, match='unknown country "XX"'):
        cached_calendar(timezone=CPH, weekly_hours=DANISH_HOURS, holiday_country="XX")
    with pytest.raises(ValueError, match="unknown time zone"):
        cached_calendar(timezone="Mars/Olympus", weekly_hours=DANISH_HOURS)


def test_from_config_and_repr(dk):
    again = BusinessCalendar.from_config(dk.config)
    assert again.config == dk.config
    assert again.add(cph(2025, 4, 16, 15), 2 * H) == cph(2025, 4, 22, 9)
    assert repr(dk) == "<BusinessCalendar Europe/Copenhagen DK>"
    assert repr(BusinessCalendar(timezone="UTC", weekly_hours=ALWAYS)) == "<BusinessCalendar UTC ->"


def test_shared_instance_is_safe_across_threads():
    # Threads ask about years in different orders, so coverage grows, and restarts after far
    # jumps, while others read; every answer must match a calendar used by one thread only.
    cal = BusinessCalendar(timezone=CPH, weekly_hours=DANISH_HOURS, holiday_country="DK")
    moments = [cph(year, 4, 16, 15) for year in range(1970, 2101, 10)]
    orders = [moments, moments[::-1], moments[::2] + moments[1::2], moments[::-2] + moments[:3]]

    def answers(calendar, order):
        return {
            moment: (
                calendar.elapsed(moment, moment + timedelta(days=30)),
                calendar.add(moment, 100 * H),
                calendar.next_open(moment + 2 * H),
            )
            for moment in order
        }

    results: dict[int, dict] = {}

    def work(key: int) -> None:
        results[key] = answers(cal, orders[key])

    threads = [threading.Thread(target=work, args=(key,)) for key in range(len(orders))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    fresh = BusinessCalendar(timezone=CPH, weekly_hours=DANISH_HOURS, holiday_country="DK")
    truth = answers(fresh, moments)
    assert len(results) == len(orders)
    assert all(found == {m: truth[m] for m in found} for found in results.values())


def test_module_exports():
    assert set(calendar_module.__all__) <= set(dir(calendar_module))
