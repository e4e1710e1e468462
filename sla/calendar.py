"""Business time for SLA clocks: which instants count, and how much of them lies between two.

Why it is built this way:

* An SLA promises *real* time inside opening hours, so business time is the measure of the open
  set on the UTC time line. A 24/7 desk therefore has a 23-hour spring-forward day and a 25-hour
  fall-back day, and an answer is never off by the hour the clocks moved.
* The open set is a union of half-open UTC intervals, one per (open, close) pair of each local
  day, resolved with ``zoneinfo`` at ``fold=0`` exactly as ``datetime.combine`` would. We keep the
  union merged and sorted (UTC datetimes) next to a running total of open time (timedeltas), so
  ``elapsed`` is two bisects and ``add`` one bisect on the running total. Datetime and timedelta
  arithmetic is integer arithmetic in C: answers are exact to the microsecond over any span, and
  an input already in UTC needs no conversion at all.
* The intervals are built lazily, by whole local years, around the first instant a calendar sees
  and extended in either direction on demand; no fixed window to fall off. A question far
  (more than 50 years) from what is built starts afresh rather than filling the gap.
* A desk open 00:00-24:00 every day without exceptions needs no intervals at all: business time
  is real time, and `add`/`elapsed` are a datetime addition and subtraction.
* Public holidays come from python-holidays because it knows each country's rules and
  categories; everything else is plain configuration that the Django layer can store as JSON.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import cache, lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as _holidays

__all__ = [
    "CACHE_SIZE",
    "BusinessCalendar",
    "CalendarConfig",
    "Explanation",
    "Reason",
    "Stretch",
    "cached_calendar",
    "calendar_cache_info",
    "clear_calendar_cache",
    "normalize_config",
    "summarize",
]

_SECOND = 1_000_000
_DAY_MICROSECONDS = 86_400 * _SECOND
_MICROSECOND = timedelta(microseconds=1)
_TEN_YEARS = timedelta(days=3653)  # "never opens": the longest wait a calendar may impose
_ZERO = timedelta(0)
_LONGEST_DURATION = timedelta(days=73_050)  # two centuries
_ONE_DAY = timedelta(days=1)

# Lazy coverage, in local calendar years. The first use builds a few years around the instant
# it asks about; growth is geometric so a long walk costs few rebuilds.
_YEARS_AFTER_FIRST_USE = 4  # first use in year Y builds local years Y-1 .. Y+3
_MIN_GROWTH_YEARS = 5
_MAX_UNASKED_YEARS = 50  # a jump further from the built years than this rebuilds from scratch
# Days built beyond each end of the covered years. A local day's intervals can stray outside
# its own midnights by the size of a clock jump (at most a day, Samoa 2011), so three days of
# margin guarantee every interval that touches the covered range is known.
_MARGIN = timedelta(days=3)
_MIN_YEAR = 2  # keeps the margin inside datetime's range
_MAX_YEAR = 9997
# Instants `_cover` accepts: local years _MIN_YEAR .. _MAX_YEAR need UTC years 3 .. 9996.
_SUPPORTED_FROM = datetime(_MIN_YEAR + 1, 1, 1, tzinfo=UTC)
_SUPPORTED_UNTIL = datetime(_MAX_YEAR, 1, 1, tzinfo=UTC)

# Zero-length sentinel intervals at both ends of the arrays, so lookups need no bounds checks.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)
_FAR_PAST = datetime(1, 1, 1, tzinfo=UTC)
_FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)

CACHE_SIZE = 64

_WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

Interval = tuple[int, int]
"""(open, close) of one day, in microseconds after local midnight; close may be 24:00."""
DayHours = tuple[Interval, ...]


# ---------------------------------------------------------------------------------------------
# Configuration: validated and normalised once, so it can be a cache key and stored as JSON.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarConfig:
    """A calendar's configuration in canonical, hashable form (the key of `cached_calendar`)."""

    timezone: str
    weekly_hours: tuple[DayHours, ...]  # seven entries, Monday first
    holiday_country: str | None
    holiday_subdivision: str | None
    holiday_categories: tuple[str, ...] | None
    closed_dates: frozenset[date]
    special_hours: tuple[tuple[date, DayHours], ...]
    holiday_language: str | None
    business_day: timedelta


def _show(value: Any) -> str:
    """Quote a user's value the way they wrote it, so error messages point at it."""
    return f'"{value}"' if isinstance(value, str) else repr(value)


_CLOCK = re.compile(r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?")


def _clock(value: Any, where: str, role: str) -> int:
    """Parse a wall-clock time; only a close may be 24:00, which means the next midnight."""
    if isinstance(value, time) and value.tzinfo is None:
        return ((value.hour * 60 + value.minute) * 60 + value.second) * _SECOND + value.microsecond
    match = _CLOCK.fullmatch(value.strip()) if isinstance(value, str) else None
    if match:
        hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
        is_midnight_close = role == "close" and (hour, minute, second) == (24, 0, 0)
        if minute < 60 and second < 60 and (hour < 24 or is_midnight_close):
            return ((hour * 60 + minute) * 60 + second) * _SECOND
    allowed = '"00:00" to "24:00"' if role == "close" else '"00:00" to "23:59"'
    raise ValueError(f"{where}: invalid {role} time {_show(value)} (expected HH:MM, {allowed})")


def _day_hours(value: Any, where: str) -> DayHours:
    """Validate one day's (open, close) pairs; touching pairs merge, overlapping ones are a typo."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValueError(f"{where}: expected a list of (open, close) pairs, got {value!r}")
    parsed = []
    for index, pair in enumerate(value):
        here = f"{where}[{index}]"
        if isinstance(pair, str | bytes) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise ValueError(f"{here}: expected an (open, close) pair, got {pair!r}")
        open_raw, close_raw = pair
        opens, closes = _clock(open_raw, here, "open"), _clock(close_raw, here, "close")
        if closes <= opens:
            relation = "before" if closes < opens else "the same as"
            raise ValueError(
                f"{here}: close {_show(close_raw)} is {relation} open {_show(open_raw)}"
            )
        parsed.append((opens, closes, open_raw, close_raw))
    parsed.sort(key=lambda item: item[0])
    merged: list[list[int]] = []
    previous = None
    for item in parsed:
        opens, closes, open_raw, close_raw = item
        if previous is not None and opens < previous[1]:
            raise ValueError(
                f"{where}: intervals ({_show(previous[2])}, {_show(previous[3])}) and "
                f"({_show(open_raw)}, {_show(close_raw)}) overlap"
            )
        if merged and merged[-1][1] == opens:
            merged[-1][1] = closes
        else:
            merged.append([opens, closes])
        previous = item
    return tuple((opens, closes) for opens, closes in merged)


_WEEKDAY_KEYS = {str(weekday): weekday for weekday in range(7)}


def _weekly_hours(value: Any) -> tuple[DayHours, ...]:
    if not isinstance(value, Mapping):
        raise ValueError(
            "weekly_hours: expected a mapping of weekday (0=Mon .. 6=Sun) to "
            f"[(open, close), ...], got {value!r}"
        )
    days: list[DayHours] = [()] * 7
    for key, hours in value.items():
        # JSON stores weekday keys as strings; accept "0".."6" so stored config round-trips.
        weekday = _WEEKDAY_KEYS.get(key.strip(), key) if isinstance(key, str) else key
        if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise ValueError(f"weekly_hours: invalid weekday {key!r} (expected 0=Mon .. 6=Sun)")
        days[weekday] = _day_hours(hours, f"weekly_hours[{weekday}]")
    return tuple(days)


def _date(value: Any, where: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{where}: invalid date {_show(value)} (expected a date or YYYY-MM-DD)")


def _closed_dates(value: Any) -> frozenset[date]:
    if value is None:
        return frozenset()
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValueError(f"closed_dates: expected an iterable of dates, got {value!r}")
    return frozenset(_date(item, f"closed_dates[{index}]") for index, item in enumerate(value))


def _special_hours(value: Any) -> tuple[tuple[date, DayHours], ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise ValueError(f"special_hours: expected a mapping of date to hours, got {value!r}")
    special: dict[date, DayHours] = {}
    for key, hours in value.items():
        day = _date(key, f"special_hours[{_show(key)}]")
        if day in special:
            raise ValueError(f"special_hours: {day.isoformat()} is given twice")
        special[day] = _day_hours(hours, f"special_hours[{day.isoformat()}]")
    return tuple(sorted(special.items()))


def _zone_key(value: Any) -> str:
    key = value.key if isinstance(value, ZoneInfo) else value
    if isinstance(key, str):
        try:
            ZoneInfo(key)
        except (ZoneInfoNotFoundError, ValueError):
            pass
        else:
            return key
    raise ValueError(f"timezone: unknown time zone {_show(value)}")


def _optional_str(value: Any, name: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ValueError(f"{name}: expected a string or None, got {value!r}")


def _categories(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    items = (value,) if isinstance(value, str) else value
    if not isinstance(items, Iterable) or not all(isinstance(item, str) for item in items):
        raise ValueError(f"holiday_categories: expected category names, got {value!r}")
    categories = tuple(sorted(set(items)))
    if not categories:
        raise ValueError("holiday_categories: empty; use None for python-holidays' default")
    return categories


def _longest(hours: Iterable[DayHours]) -> int:
    return max((sum(close - opens for opens, close in day) for day in hours), default=0)


def _business_day(
    value: Any, weekly: tuple[DayHours, ...], special: Iterable[DayHours]
) -> timedelta:
    """Working days convert to the longest regular weekday (nominal wall-clock length)."""
    if value is None:
        longest = _longest(weekly) or _longest(special)
        return timedelta(microseconds=longest)
    if isinstance(value, timedelta) and value > _ZERO:
        return value
    raise ValueError(f"business_day: expected a positive timedelta, got {value!r}")


def normalize_config(
    *,
    timezone: Any,
    weekly_hours: Any,
    holiday_country: Any = None,
    holiday_subdivision: Any = None,
    holiday_categories: Any = None,
    closed_dates: Any = (),
    special_hours: Any = None,
    holiday_language: Any = None,
    business_day: Any = None,
) -> CalendarConfig:
    """Validate a calendar's arguments into canonical form; cheap, and python-holidays-free."""
    weekly = _weekly_hours(weekly_hours)
    special = _special_hours(special_hours)
    if not any(weekly) and not any(hours for _, hours in special):
        raise ValueError(
            "weekly_hours: the calendar never opens (no weekday has hours and no "
            "special_hours date has hours)"
        )
    country = _optional_str(holiday_country, "holiday_country")
    if isinstance(holiday_subdivision, int) and not isinstance(holiday_subdivision, bool):
        holiday_subdivision = str(holiday_subdivision)  # python-holidays allows numeric codes
    return CalendarConfig(
        timezone=_zone_key(timezone),
        weekly_hours=weekly,
        holiday_country=country.strip().upper() if country is not None else None,
        holiday_subdivision=_optional_str(holiday_subdivision, "holiday_subdivision"),
        holiday_categories=_categories(holiday_categories),
        closed_dates=_closed_dates(closed_dates),
        special_hours=special,
        holiday_language=_optional_str(holiday_language, "holiday_language"),
        business_day=_business_day(business_day, weekly, (hours for _, hours in special)),
    )


@cache
def _supported_countries() -> frozenset[str]:
    return frozenset(_holidays.list_supported_countries())


@cache
def _country_facts(country: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(subdivisions incl. aliases, categories, languages) python-holidays knows for a country."""
    entity = _holidays.country_holidays(country)
    subdivisions = (*entity.subdivisions, *getattr(entity, "subdivisions_aliases", ()))
    return subdivisions, tuple(entity.supported_categories), tuple(entity.supported_languages)


def _check_holiday_options(config: CalendarConfig) -> None:
    """Reject what python-holidays would reject (or silently ignore) with a message that helps."""
    country = config.holiday_country
    if country is None:
        for name in ("holiday_subdivision", "holiday_categories", "holiday_language"):
            if getattr(config, name) is not None:
                raise ValueError(f"{name}: {getattr(config, name)!r} given without holiday_country")
        return
    if country not in _supported_countries():
        raise ValueError(f"holiday_country: unknown country {_show(country)}")
    subdivisions, categories, languages = _country_facts(country)
    subdivision = config.holiday_subdivision
    if subdivision is not None and subdivision not in subdivisions:
        supported = ", ".join(subdivisions) or "none"
        raise ValueError(
            f"holiday_subdivision: unknown subdivision {_show(subdivision)} for {country} "
            f"(supported: {supported})"
        )
    for category in config.holiday_categories or ():
        if category not in categories:
            raise ValueError(
                f"holiday_categories: unknown category {_show(category)} for {country} "
                f"(supported: {', '.join(sorted(categories))})"
            )
    language = config.holiday_language
    if language is not None and language not in languages:
        raise ValueError(
            f"holiday_language: unsupported language {_show(language)} for {country} "
            f"(supported: {', '.join(sorted(languages))})"
        )


# ---------------------------------------------------------------------------------------------
# Explanations: the structure a case page renders; `summarize` is a plain-English default.
# ---------------------------------------------------------------------------------------------


class Reason(StrEnum):
    """Why a stretch of time is (not) counted. Plain strings, so templates can compare them."""

    OPEN = "open"
    OUTSIDE_HOURS = "outside_hours"  # closed part of a day that has hours (nights, lunch)
    WEEKEND = "weekend"  # a whole local day without regular hours, holiday or not
    HOLIDAY = "holiday"  # a python-holidays holiday on a day that normally has hours
    CLOSED_DATE = "closed_date"  # one of closed_dates, on a day that normally has hours
    SPECIAL_HOURS = "special_hours"  # closed part of a day whose hours are special_hours


_LABELS = {
    Reason.OPEN: "open",
    Reason.OUTSIDE_HOURS: "outside business hours",
    Reason.WEEKEND: "weekend",
    Reason.CLOSED_DATE: "closed",
    Reason.SPECIAL_HOURS: "special hours",
}


@dataclass(frozen=True)
class Stretch:
    """A maximal run of counted (open) or skipped (closed) time with one reason.

    ``dates`` are the local dates the stretch touches; ``names`` gives, for each of them, its
    python-holidays name or "" so a translated page can name holidays itself.
    """

    start: datetime
    end: datetime
    is_open: bool
    reason: Reason
    label: str
    dates: tuple[date, ...]
    names: tuple[str, ...]

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True)
class Explanation:
    """Everything between two instants, in order; ``duration`` is set by `explain_due`."""

    start: datetime
    end: datetime
    zone: str
    stretches: tuple[Stretch, ...]
    duration: timedelta | None = None

    @property
    def counted(self) -> tuple[Stretch, ...]:
        return tuple(stretch for stretch in self.stretches if stretch.is_open)

    @property
    def skipped(self) -> tuple[Stretch, ...]:
        return tuple(stretch for stretch in self.stretches if not stretch.is_open)

    @property
    def open_time(self) -> timedelta:
        return sum((stretch.duration for stretch in self.counted), _ZERO)

    @property
    def closed_time(self) -> timedelta:
        return sum((stretch.duration for stretch in self.skipped), _ZERO)

    def summary(self) -> str:
        return summarize(self)


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _day_month(day: date) -> str:
    return f"{day.day} {_MONTH_NAMES[day.month - 1]}"


def _date_span(dates: Sequence[date]) -> str:
    first, last = dates[0], dates[-1]
    if first == last:
        return _day_month(first)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{_day_month(last)}"
    return f"{_day_month(first)}–{_day_month(last)}"


def _weekday_span(dates: Sequence[date]) -> str:
    first, last = _WEEKDAY_NAMES[dates[0].weekday()], _WEEKDAY_NAMES[dates[-1].weekday()]
    return first if len(dates) == 1 else f"{first}–{last}"


def _when(moment: datetime, with_date: bool) -> str:
    day = f" {_day_month(moment.date())}" if with_date else ""
    return f"{_WEEKDAY_NAMES[moment.weekday()]}{day} {moment:%H:%M}"


def _hours_minutes(span: timedelta) -> str:
    minutes, seconds = divmod(int(span.total_seconds()), 60)
    text = f"{minutes // 60}h {minutes % 60:02d}m"
    return f"{text} {seconds:02d}s" if seconds else text


def _closure_phrase(stretch: Stretch, several_weekends: bool) -> str:
    span = _date_span(stretch.dates)
    named = list(dict.fromkeys(name for name in stretch.names if name))
    if stretch.reason is Reason.WEEKEND:
        days = _weekday_span(stretch.dates)
        return f"{days} ({span})" if several_weekends else days
    if stretch.reason is Reason.HOLIDAY:
        return f"{_join(named)} ({span})"
    if stretch.reason is Reason.CLOSED_DATE:
        return f"closed {span}"
    on = f" on {_join(named)}" if named else ""
    return f"special hours{on} ({span})"


def summarize(explanation: Explanation) -> str:
    """English one-liner such as "filed Fri 15:40; skipped Sat–Sun and Easter Monday (2 Apr);
    due Tue 09:40". Nightly closures go unmentioned; the structure holds them for other wording.
    """
    zone = ZoneInfo(explanation.zone)
    start, end = explanation.start.astimezone(zone), explanation.end.astimezone(zone)
    with_date = explanation.end - explanation.start >= timedelta(days=7)
    closures = [s for s in explanation.skipped if s.reason is not Reason.OUTSIDE_HOURS]
    several_weekends = sum(s.reason is Reason.WEEKEND for s in closures) > 1
    phrases = list(dict.fromkeys(_closure_phrase(s, several_weekends) for s in closures))
    if explanation.duration is None:
        parts = [
            f"from {_when(start, with_date)} to {_when(end, with_date)}",
            f"{_hours_minutes(explanation.open_time)} of business time",
        ]
    else:
        parts = [f"filed {_when(start, with_date)}"]
    if phrases:
        parts.append(f"skipped {_join(phrases)}")
    if explanation.duration is not None:
        parts.append(f"due {_when(end, with_date)}")
    return "; ".join(parts)


# ---------------------------------------------------------------------------------------------
# The calendar.
# ---------------------------------------------------------------------------------------------


def _as_utc(value: Any, name: str) -> datetime:
    """The slow road for inputs not already in `datetime.UTC`: check them, then convert."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name}: expected an aware datetime, got {value!r}")
    if value.utcoffset() is None:
        raise ValueError(
            f"{name}: naive datetime {value.isoformat()} (business time needs an aware datetime)"
        )
    return value.astimezone(UTC)


def _check_duration(value: Any) -> bool:
    """True for a zero duration; rejects negative ones and non-timedeltas."""
    if not isinstance(value, timedelta):
        raise TypeError(f"duration: expected a timedelta, got {value!r}")
    if value < _ZERO:
        raise ValueError(f"duration: negative duration {value!r} (business time only moves on)")
    return not value


def _never_opens(after: datetime) -> ValueError:
    return ValueError(f"the calendar has no open time within ten years after {after.isoformat()}")


def _too_long(duration: timedelta) -> ValueError:
    # Building coverage costs time and memory in proportion to the span; no SLA needs more.
    return ValueError(f"duration: {duration!r} is longer than the supported 200 years")


def _always_open(config: CalendarConfig) -> bool:
    whole_day = ((0, _DAY_MICROSECONDS),)
    return (
        all(hours == whole_day for hours in config.weekly_hours)
        and config.holiday_country is None
        and not config.closed_dates
        and not config.special_hours
    )


def _longest_closure(lo: datetime, hi: datetime, starts: list, ends: list) -> timedelta:
    """The longest closed stretch within [lo, hi]; longer than ten years makes `add` careful."""
    longest, closed_from = _ZERO, lo
    for opens, closes in zip(starts[1:-1], ends[1:-1], strict=True):
        longest = max(longest, opens - closed_from)
        closed_from = max(closed_from, closes)
    return max(longest, hi - closed_from)


def _merge(raw: list[tuple[timedelta, timedelta]]) -> tuple[list[datetime], list[datetime]]:
    """Union of half-open intervals (time since the epoch); touching ones fuse, also across
    midnight. Returns UTC starts and ends between the sentinels."""
    raw.sort()
    merged: list[list[timedelta]] = []
    for a, b in raw:
        if merged and a <= merged[-1][1]:
            if b > merged[-1][1]:
                merged[-1][1] = b
        else:
            merged.append([a, b])
    starts = [_FAR_PAST, *(_EPOCH + a for a, _ in merged), _FAR_FUTURE]
    ends = [_FAR_PAST, *(_EPOCH + b for _, b in merged), _FAR_FUTURE]
    return starts, ends


class BusinessCalendar:
    """Opening hours, holidays and exceptions of one desk, answered exactly and fast.

    Instants in are aware datetimes in any zone; instants out are aware datetimes in
    `datetime.UTC`. The interval arrays are UTC datetimes and the running totals timedeltas:
    comparing and subtracting datetimes that share the UTC tzinfo is exact integer work done in
    C, so a UTC input needs no conversion at all.

    Instances are safe to share between threads (coverage grows under a lock and is swapped in
    as one tuple), which is what lets `cached_calendar` hand out one instance per configuration.
    """

    def __init__(
        self,
        *,
        timezone: Any,
        weekly_hours: Any,
        holiday_country: Any = None,
        holiday_subdivision: Any = None,
        holiday_categories: Any = None,
        closed_dates: Any = (),
        special_hours: Any = None,
        holiday_language: Any = None,
        business_day: Any = None,
    ) -> None:
        config = normalize_config(
            timezone=timezone,
            weekly_hours=weekly_hours,
            holiday_country=holiday_country,
            holiday_subdivision=holiday_subdivision,
            holiday_categories=holiday_categories,
            closed_dates=closed_dates,
            special_hours=special_hours,
            holiday_language=holiday_language,
            business_day=business_day,
        )
        self._setup(config)

    @classmethod
    def from_config(cls, config: CalendarConfig) -> BusinessCalendar:
        calendar = cls.__new__(cls)
        calendar._setup(config)
        return calendar

    def _setup(self, config: CalendarConfig) -> None:
        _check_holiday_options(config)
        self.config = config
        self.business_day = config.business_day
        self._zone = ZoneInfo(config.timezone)
        self._weekly = tuple(_offsets(hours) for hours in config.weekly_hours)
        self._special = {day: _offsets(hours) for day, hours in config.special_hours}
        self._closed = config.closed_dates
        self._lock = threading.Lock()
        # (lo, hi, starts, ends, cum, limit, (holiday names, first year, end year)): the
        # covered range [lo, hi), the merged intervals between sentinels, cum[k] = open time of
        # the intervals before k (the last entry is timedelta.max so `add` always lands), and
        # the latest answer `add` may give without the slow path: hi, or lo when a closure
        # longer than ten years lies inside the range. Empty until first use.
        self._state: tuple[Any, ...] = (_FAR_FUTURE, _FAR_PAST, [], [], [], _FAR_PAST, ({}, 0, 0))
        if _always_open(config):
            # Business time is real time: answer without looking anything up. (Calendar-hour
            # targets run on such calendars, so they are the commonest of all.)
            self.add = self._add_real_time  # type: ignore[method-assign]
            self.elapsed = self._elapsed_real_time  # type: ignore[method-assign]

    def __repr__(self) -> str:
        return f"<BusinessCalendar {self.config.timezone} {self.config.holiday_country or '-'}>"

    # -- the four questions -------------------------------------------------------------------

    def is_open(self, moment: datetime) -> bool:
        try:
            if moment.tzinfo is not UTC:
                moment = _as_utc(moment, "moment")
        except AttributeError:
            moment = _as_utc(moment, "moment")
        lo, hi, starts, ends, _, _, _ = self._state
        if moment < lo or moment >= hi:
            lo, hi, starts, ends, _, _, _ = self._cover(moment, moment)
        return moment < ends[bisect_right(starts, moment) - 1]

    def next_open(self, moment: datetime) -> datetime:
        """The earliest open instant at or after `moment` (so `moment` itself when open)."""
        try:
            if moment.tzinfo is not UTC:
                moment = _as_utc(moment, "moment")
        except AttributeError:
            moment = _as_utc(moment, "moment")
        lo, hi, starts, ends, _, _, _ = self._state
        if moment < lo or moment >= hi:
            lo, hi, starts, ends, _, _, _ = self._cover(moment, moment)
        i = bisect_right(starts, moment) - 1
        if moment < ends[i]:
            return moment
        following = starts[i + 1]
        if following >= hi:
            following = self._next_start_slow(moment, hi)
        if following - moment > _TEN_YEARS:
            raise _never_opens(moment)
        return following

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Business time in [start, end); zero when end <= start."""
        try:
            if start.tzinfo is not UTC:
                start = _as_utc(start, "start")
            if end.tzinfo is not UTC:
                end = _as_utc(end, "end")
        except AttributeError:
            start, end = _as_utc(start, "start"), _as_utc(end, "end")
        if end <= start:
            return _ZERO
        lo, hi, starts, ends, cum, _, _ = self._state
        if start < lo or end >= hi:
            lo, hi, starts, ends, cum, _, _ = self._cover(start, end)
        i = bisect_right(starts, start) - 1
        end_i = ends[i]
        j = bisect_right(starts, end, i) - 1
        end_j = ends[j]
        return (cum[j] + ((end if end < end_j else end_j) - starts[j])) - (
            cum[i] + ((start if start < end_i else end_i) - starts[i])
        )

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant t >= start with elapsed(start, t) == duration.

        So a target used up exactly at closing time is due at closing time, and a zero duration
        is due at `start` even when the desk is closed.
        """
        try:
            if start.tzinfo is not UTC:
                start = _as_utc(start, "start")
        except AttributeError:
            start = _as_utc(start, "start")
        try:
            not_positive = duration <= _ZERO
        except TypeError:
            not_positive = True
        if not_positive and _check_duration(duration):
            return start
        lo, hi, starts, ends, cum, limit, _ = self._state
        if start < lo or start >= hi:
            lo, hi, starts, ends, cum, limit, _ = self._cover(start, start)
        i = bisect_right(starts, start) - 1
        end_i = ends[i]
        try:
            goal = cum[i] + ((start if start < end_i else end_i) - starts[i]) + duration
            j = bisect_left(cum, goal, i + 1) - 1
            due = starts[j] + (goal - cum[j])
        except OverflowError:  # far beyond the covered years; the slow path says why
            return self._add_slow(start, duration)
        if due <= limit:
            return due
        return self._add_slow(start, duration)

    def _add_real_time(self, start: datetime, duration: timedelta) -> datetime:
        try:
            if start.tzinfo is not UTC:
                start = _as_utc(start, "start")
            if _ZERO < duration <= _LONGEST_DURATION and start >= _SUPPORTED_FROM:
                due = start + duration
                if due < _SUPPORTED_UNTIL:
                    return due
        except (AttributeError, TypeError, OverflowError):
            pass
        return BusinessCalendar.add(self, start, duration)  # zero, or what is wrong

    def _elapsed_real_time(self, start: datetime, end: datetime) -> timedelta:
        try:
            if start.tzinfo is not UTC:
                start = _as_utc(start, "start")
            if end.tzinfo is not UTC:
                end = _as_utc(end, "end")
            if start >= _SUPPORTED_FROM and end < _SUPPORTED_UNTIL:
                return end - start if end > start else _ZERO
        except AttributeError:
            pass
        return BusinessCalendar.elapsed(self, start, end)  # which explains what is wrong

    # -- conveniences -------------------------------------------------------------------------

    def working_days(self, days: float) -> timedelta:
        """Working days as working hours, e.g. "3 working days" on an 8-hour desk is 24h."""
        if days < 0:
            raise ValueError(f"days: negative number of working days {days!r}")
        return self.business_day * days

    def explain(self, start: datetime, end: datetime) -> Explanation:
        """The open stretches counted and the closed stretches skipped in [start, end)."""
        start, end = _as_utc(start, "start"), _as_utc(end, "end")
        return self._explain(start, max(start, end), None)

    def explain_due(self, start: datetime, duration: timedelta) -> Explanation:
        """Like `explain` up to `add(start, duration)`; its summary reads "filed ...; due ..."."""
        due = self.add(start, duration)
        return self._explain(_as_utc(start, "start"), due, duration)

    # -- coverage -----------------------------------------------------------------------------

    def _cover(self, a: datetime, b: datetime) -> tuple[Any, ...]:
        """Make [a, b] lie inside the covered range, building whole local years as needed."""
        # The local year of an instant is its UTC year or a neighbour.
        need_first, need_end = a.year - 1, b.year + 2
        if need_first < _MIN_YEAR or need_end > _MAX_YEAR + 1:
            outside = a if need_first < _MIN_YEAR else b
            raise ValueError(
                f"{outside.isoformat()}: outside the supported range "
                f"(years {_MIN_YEAR + 1}–{_MAX_YEAR - 1})"
            )
        with self._lock:
            state = self._state
            lo, hi, starts, ends, _, _, (names, first, end) = state
            if lo <= a and b < hi:
                return state  # another thread got here first
            fresh_end = min(_MAX_YEAR + 1, max(need_end, a.year + _YEARS_AFTER_FIRST_USE))
            unasked = max(end, need_end) - min(first, need_first) - (fresh_end - need_first)
            if not end or unasked > _MAX_UNASKED_YEARS:
                # Nothing built yet, or the new instants are far from what is built: start
                # afresh around them instead of filling decades nobody asked about.
                first, end = need_first, fresh_end
                spans, raw, names = [(first, end)], [], {}
            else:
                growth = max(_MIN_GROWTH_YEARS, (end - first) // 2)
                spans = []
                if a < lo:
                    new_first = max(_MIN_YEAR, min(need_first, first - growth))
                    spans.append((new_first, first))
                    first = new_first
                if b >= hi:
                    new_end = min(_MAX_YEAR + 1, max(need_end, end + growth))
                    spans.append((end, new_end))
                    end = new_end
                known = zip(starts[1:-1], ends[1:-1], strict=True)
                raw = [(opens - _EPOCH, closes - _EPOCH) for opens, closes in known]
                names = dict(names)
            for span_first, span_end in spans:
                raw += self._build(date(span_first, 1, 1), date(span_end, 1, 1), names)
            starts, ends = _merge(raw)
            cum = [_ZERO]
            for opens, closes in zip(starts[:-1], ends[:-1], strict=True):
                cum.append(cum[-1] + (closes - opens))
            cum.append(timedelta.max)
            lo = self._local_midnight(date(first, 1, 1))
            hi = self._local_midnight(date(end, 1, 1))
            limit = hi if _longest_closure(lo, hi, starts, ends) <= _TEN_YEARS else lo
            self._state = state = (lo, hi, starts, ends, cum, limit, (names, first, end))
            return state

    def _build(
        self, first: date, end: date, names: dict[date, str]
    ) -> list[tuple[timedelta, timedelta]]:
        """Raw intervals of the local days [first - margin, end + margin), as time since the
        epoch.

        A wall time w becomes UTC as w - zone.utcoffset(w) with w naive and fold=0: exactly
        what datetime.combine(day, t, tzinfo=zone).astimezone(UTC) does, at a fraction of the
        cost (this loop is most of the time it takes to build a calendar).
        """
        day, stop = first - _MARGIN, end + _MARGIN
        names.update(self._holidays(day.year, stop.year))
        special, closed, weekly, offset = (
            self._special,
            self._closed,
            self._weekly,
            self._zone.utcoffset,
        )
        midnight = datetime(day.year, day.month, day.day)
        since_epoch = midnight - _NAIVE_EPOCH
        raw = []
        while day < stop:
            hours = special.get(day)
            if hours is None:
                hours = () if day in closed or day in names else weekly[day.weekday()]
            for opens, closes in hours:
                a = since_epoch + opens - offset(midnight + opens)
                b = since_epoch + closes - offset(midnight + closes)
                if a < b:  # a span that vanishes in a clock jump is dropped
                    raw.append((a, b))
            day += _ONE_DAY
            midnight += _ONE_DAY
            since_epoch += _ONE_DAY
        return raw

    def _holidays(self, first_year: int, last_year: int) -> dict[date, str]:
        config = self.config
        if config.holiday_country is None:
            return {}
        return dict(
            _holidays.country_holidays(
                config.holiday_country,
                subdiv=config.holiday_subdivision,
                years=range(first_year, last_year + 1),
                categories=config.holiday_categories,
                language=config.holiday_language,
            )
        )

    def _local_midnight(self, day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=self._zone).astimezone(UTC)

    # -- slow paths, taken at the edge of the covered range or for very long waits ------------

    def _next_start_slow(self, moment: datetime, hi: datetime) -> datetime:
        """The next opening after a closed `moment` when none is known before `hi`."""
        while True:
            _, hi, starts, _, _, _, _ = self._cover(moment, hi)
            following = starts[bisect_right(starts, moment)]
            if following < hi:
                return following
            if hi - moment > _TEN_YEARS:
                raise _never_opens(moment)

    def _add_slow(self, start: datetime, duration: timedelta) -> datetime:
        """`add` when the answer lies beyond the covered range or more than ten years away:
        walk the gaps so a closure longer than ten years is reported instead of skipped."""
        if duration > _LONGEST_DURATION:
            raise _too_long(duration)
        state = self._cover(start, start)
        while True:
            _, hi, starts, ends, cum, _, _ = state
            i = bisect_right(starts, start) - 1
            end_i = ends[i]
            goal = cum[i] + ((start if start < end_i else end_i) - starts[i]) + duration
            j = bisect_left(cum, goal, i + 1) - 1
            free_from = max(start, end_i)
            for k in range(i + 1, j + 1):
                if starts[k] >= hi:
                    break
                if starts[k] - free_from > _TEN_YEARS:
                    raise _never_opens(free_from)
                free_from = ends[k]
            else:
                due = starts[j] + (goal - cum[j])
                if due <= hi:
                    return due
            if hi - free_from > _TEN_YEARS:
                raise _never_opens(free_from)
            state = self._cover(start, hi)

    # -- explanations -------------------------------------------------------------------------

    def _explain(self, a: datetime, b: datetime, duration: timedelta | None) -> Explanation:
        pieces: list[tuple[datetime, datetime, Reason]] = []
        names: dict[date, str] = {}
        if a < b:
            _, _, starts, ends, _, _, (names, _, _) = self._cover(a, b)
            cursor = a
            k = bisect_right(starts, a) - 1
            while cursor < b:
                opens = min(max(starts[k], cursor), b)
                if opens > cursor:
                    pieces += self._closed_pieces(cursor, opens, names)
                    cursor = opens
                closes = min(ends[k], b)
                if cursor < closes:
                    pieces.append((cursor, closes, Reason.OPEN))
                    cursor = closes
                k += 1
        stretches = tuple(self._stretch(group, names) for group in _group(pieces))
        return Explanation(a, b, self.config.timezone, stretches, duration)

    def _local_date(self, moment: datetime) -> date:
        return moment.astimezone(self._zone).date()

    def _closed_pieces(
        self, a: datetime, b: datetime, names: dict[date, str]
    ) -> list[tuple[datetime, datetime, Reason]]:
        """Split a closed gap at local midnights and give each local day's part its reason."""
        pieces = []
        day = self._local_date(a)
        while a < b:
            boundary = min(self._local_midnight(day + _ONE_DAY), b)
            if boundary > a:  # not so on a day a clock jump skipped (Samoa, 30 Dec 2011)
                pieces.append((a, boundary, self._closed_reason(day, names)))
                a = boundary
            day += _ONE_DAY
        return pieces

    def _closed_reason(self, day: date, names: dict[date, str]) -> Reason:
        """Regular closures win over holidays: a holiday on a Sunday is just the weekend."""
        if day in self._special:
            return Reason.SPECIAL_HOURS
        if not self._weekly[day.weekday()]:
            return Reason.WEEKEND
        if day in names:
            return Reason.HOLIDAY
        if day in self._closed:
            return Reason.CLOSED_DATE
        return Reason.OUTSIDE_HOURS

    def _stretch(
        self, group: list[tuple[datetime, datetime, Reason]], names: dict[date, str]
    ) -> Stretch:
        start, end, reason = group[0][0], group[-1][1], group[0][2]
        first, last = self._local_date(start), self._local_date(end - _MICROSECOND)
        dates = tuple(first + timedelta(days=n) for n in range((last - first).days + 1))
        day_names = tuple(names.get(day, "") for day in dates)
        if reason is Reason.HOLIDAY:
            label = ", ".join(dict.fromkeys(name for name in day_names if name))
        else:
            label = _LABELS[reason]
        return Stretch(start, end, reason is Reason.OPEN, reason, label, dates, day_names)


def _offsets(hours: DayHours) -> tuple[tuple[timedelta, timedelta], ...]:
    return tuple((timedelta(microseconds=a), timedelta(microseconds=b)) for a, b in hours)


def _group(
    pieces: list[tuple[datetime, datetime, Reason]],
) -> list[list[tuple[datetime, datetime, Reason]]]:
    """Consecutive pieces with the same reason form one stretch (Sat and Sun, a night)."""
    groups: list[list[tuple[datetime, datetime, Reason]]] = []
    for piece in pieces:
        if groups and groups[-1][-1][2] is piece[2]:
            groups[-1].append(piece)
        else:
            groups.append([piece])
    return groups


# ---------------------------------------------------------------------------------------------
# Shared instances: building a calendar costs milliseconds, answering costs a microsecond.
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=CACHE_SIZE)
def _calendar_for(config: CalendarConfig) -> BusinessCalendar:
    return BusinessCalendar.from_config(config)


def cached_calendar(**kwargs: Any) -> BusinessCalendar:
    """The shared calendar for this configuration (same keyword arguments as the class).

    Equivalent configurations (a list instead of a tuple, "08:00" instead of time(8), the same
    closed dates in another order) give the same instance; the least recently used of more than
    `CACHE_SIZE` configurations is dropped.
    """
    return _calendar_for(normalize_config(**kwargs))


def clear_calendar_cache() -> None:
    _calendar_for.cache_clear()


def calendar_cache_info() -> Any:
    return _calendar_for.cache_info()
