"""A small, obviously-correct reference for business time, and the helpers the calendar tests share.

The reference works the way a person would on paper: for each local day, look up its hours,
turn each (open, close) into UTC with ``datetime.combine(..., fold=0)``, take the union, and walk
it. No prefix sums, no caches, no cleverness; it is slow and that is fine.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(zone: str, *args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone), fold=fold)


def parse_clock(text: str) -> timedelta:
    hours, minutes = text.split(":")
    return timedelta(hours=int(hours), minutes=int(minutes))


class Reference:
    """Business time by brute force over local days."""

    def __init__(
        self,
        timezone,
        weekly_hours,
        holiday_country=None,
        holiday_subdivision=None,
        holiday_categories=None,
        closed_dates=(),
        special_hours=None,
    ):
        self.zone = ZoneInfo(timezone)
        self.weekly = weekly_hours
        self.closed = set(closed_dates)
        self.special = dict(special_hours or {})
        self.holidays = (
            holidays.country_holidays(
                holiday_country, subdiv=holiday_subdivision, categories=holiday_categories
            )
            if holiday_country
            else {}
        )

    def hours(self, day: date):
        if day in self.special:
            return self.special[day]
        if day in self.closed or day in self.holidays:
            return []
        return self.weekly.get(day.weekday(), [])

    def day_intervals(self, day: date):
        midnight = datetime.combine(day, time(0))
        out = []
        for opens, closes in self.hours(day):
            # "24:00" is the next midnight; all wall times resolve with fold=0.
            a = (midnight + parse_clock(opens)).replace(tzinfo=self.zone).astimezone(UTC)
            b = (midnight + parse_clock(closes)).replace(tzinfo=self.zone).astimezone(UTC)
            if a < b:
                out.append((a, b))
        return out

    def intervals(self, first: date, last: date):
        """The merged open set of the local days first-2 .. last+2 (the margin catches
        intervals that a clock jump pushes over midnight)."""
        raw = []
        day = first - timedelta(days=2)
        while day <= last + timedelta(days=2):
            raw += self.day_intervals(day)
            day += timedelta(days=1)
        raw.sort()
        merged = []
        for a, b in raw:
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        return [(a, b) for a, b in merged]

    def _day(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def is_open(self, moment: datetime) -> bool:
        day = self._day(moment)
        return any(a <= moment < b for a, b in self.intervals(day, day))

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        total = timedelta(0)
        if end <= start:
            return total
        for a, b in self.intervals(self._day(start), self._day(end)):
            overlap = min(b, end) - max(a, start)
            if overlap > timedelta(0):
                total += overlap
        return total

    def _forward(self, start: datetime):
        """The open set from `start` on, in order, over a window that doubles until the
        caller has seen enough (a stretch cut at a window's edge continues in the next)."""
        seen, days = start, 40
        while True:
            first = self._day(start)
            for a, b in self.intervals(first, first + timedelta(days=days)):
                if b > seen:
                    yield max(a, seen), b
                    seen = b
            days *= 2

    def next_open(self, moment: datetime) -> datetime:
        return next(self._forward(moment))[0]

    def add(self, start: datetime, duration: timedelta) -> datetime:
        if duration == timedelta(0):
            return start
        left = duration
        for a, b in self._forward(start):
            if b - a >= left:
                return a + left
            left -= b - a


DANISH_HOURS = {
    0: [("08:00", "16:00")],
    1: [("08:00", "16:00")],
    2: [("08:00", "16:00")],
    3: [("08:00", "16:00")],
    4: [("08:00", "15:30")],
}
ALWAYS = {weekday: [("00:00", "24:00")] for weekday in range(7)}


def test_reference_danish_week():
    # Easter 2025: Thu 17 and Fri 18 Apr, Sun 20 and Mon 21 Apr are Danish holidays.
    ref = Reference("Europe/Copenhagen", DANISH_HOURS, holiday_country="DK")
    wed_15 = local("Europe/Copenhagen", 2025, 4, 16, 15)
    # 1 h on Wednesday, then nothing until Tuesday 08:00 (CEST, UTC+2).
    assert ref.add(wed_15, timedelta(hours=2)) == utc(2025, 4, 22, 7)
    assert ref.elapsed(wed_15, utc(2025, 4, 22, 7)) == timedelta(hours=2)
    assert ref.next_open(wed_15 + timedelta(hours=1)) == utc(2025, 4, 22, 6)
    assert ref.is_open(wed_15)
    assert not ref.is_open(utc(2025, 4, 17, 8))


def test_reference_always_open_spring_forward_day_has_23_hours():
    ref = Reference("Europe/Copenhagen", ALWAYS)
    day = (utc(2025, 3, 29, 23), utc(2025, 3, 30, 22))  # local midnights of 30 and 31 March
    assert ref.elapsed(*day) == timedelta(hours=23)
    assert ref.add(utc(2025, 3, 29, 23), timedelta(hours=23)) == utc(2025, 3, 30, 22)
    assert ref.elapsed(utc(2025, 3, 30), utc(2025, 3, 29)) == timedelta(0)
