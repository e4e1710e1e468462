"""Property tests: the calendar against the brute-force reference, and its own invariants.

Calendars are random (weekly hours from a grid that favours the small hours, holidays with
categories, closed dates and special hours near the instants); instants cluster around clock
changes and holidays, on a minute grid with occasional microseconds so that boundaries are hit.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sla.calendar import BusinessCalendar
from tests.sla.calendar_reference import (
    ALWAYS,
    DANISH_HOURS,
    Reference,
    utc,
)

ZONES = [
    "Europe/Copenhagen",
    "Europe/Oslo",
    "Europe/Stockholm",
    "Europe/Helsinki",
    "Europe/London",
    "America/New_York",
    "Australia/Lord_Howe",  # half-hour clock changes
    "UTC",
]


def clock_changes(zone: str) -> list[datetime]:
    """Noon UTC on the days around which `zone` changes its offset, 2024-2026."""
    tz, found = ZoneInfo(zone), []
    day = utc(2024, 1, 1, 12)
    while day < utc(2027, 1, 1):
        if (day + timedelta(days=1)).astimezone(tz).utcoffset() != day.astimezone(tz).utcoffset():
            found.append(day)
        day += timedelta(days=1)
    return found


CHANGES = {zone: clock_changes(zone) for zone in ZONES}
OTHER_ANCHORS = [
    utc(2025, 4, 18, 12),  # Easter
    utc(2025, 6, 20, 12),  # Midsummer Eve
    utc(2025, 12, 24, 12),  # Christmas Eve
    utc(2025, 12, 31, 23),  # New Year
]
HOLIDAYS = [
    (None, None),
    ("DK", None),
    ("DK", ("optional", "public")),
    ("SE", ("de_facto", "public")),
    ("NO", None),
    ("GB", None),
    ("US", None),
]
CLOCKS = ["00:00", "00:30", "01:00", "01:30", "01:59", "02:00", "02:01", "02:15", "02:30"]
CLOCKS += ["03:00", "03:30", "04:00", "08:00", "12:00", "13:00", "15:30", "16:00", "20:00"]
CLOCKS += ["22:00", "23:30", "23:59"]

MINUTE = timedelta(minutes=1)
US = timedelta(microseconds=1)
ZERO = timedelta(0)

any_clock = st.one_of(
    st.sampled_from(CLOCKS),
    st.integers(0, 24 * 60 - 1).map(lambda m: f"{m // 60:02d}:{m % 60:02d}"),
)


# Pairs whose ends fall in, or at the edges of, a clock change: some vanish on that day.
TRICKY = [("02:00", "03:00"), ("02:30", "03:30"), ("01:00", "02:00"), ("03:00", "04:00")]
TRICKY += [("02:00", "02:30"), ("01:30", "02:30"), ("00:00", "24:00"), ("23:00", "24:00")]


@st.composite
def day_hours(draw):
    """0-3 disjoint (open, close) pairs; "24:00" may close the last one."""
    if draw(st.integers(0, 4)) == 0:
        return [draw(st.sampled_from(TRICKY))]
    points = sorted(draw(st.sets(any_clock, max_size=6)))
    if draw(st.booleans()) and len(points) % 2:
        points.append("24:00")
    return [(points[i], points[i + 1]) for i in range(0, len(points) - 1, 2)]


@st.composite
def scenario(draw):
    zone = draw(st.sampled_from(ZONES))
    changes = CHANGES[zone]
    anchors = st.sampled_from(changes) if changes else st.nothing()
    anchor = draw(st.one_of(anchors, anchors, st.sampled_from(OTHER_ANCHORS)))
    near_day = st.integers(-10, 10).map(lambda n: anchor.date() + timedelta(days=n))
    weekly = dict(enumerate(draw(st.lists(day_hours(), min_size=7, max_size=7))))
    assume(any(weekly.values()))
    country, categories = draw(st.sampled_from(HOLIDAYS))
    config = {
        "timezone": zone,
        "weekly_hours": weekly,
        "holiday_country": country,
        "holiday_categories": categories,
        "closed_dates": draw(st.sets(near_day, max_size=3)),
        "special_hours": draw(st.dictionaries(near_day, day_hours(), max_size=3)),
    }
    # Instants on a minute grid near the anchor, or at a grid wall-clock time of a nearby day
    # (either fold), so that they often sit exactly on an opening or closing; then nudged by
    # a microsecond now and then.
    on_grid = st.integers(-12 * 24 * 60, 12 * 24 * 60).map(lambda m: anchor + m * MINUTE)
    at_clock = st.builds(
        lambda day, clock, fold: (
            datetime.combine(day, time.fromisoformat(clock))
            .replace(tzinfo=ZoneInfo(zone), fold=fold)
            .astimezone(UTC)
        ),
        near_day,
        st.sampled_from(CLOCKS),
        st.sampled_from([0, 1]),
    )
    nudge = st.sampled_from([0, 0, 0, 1, -1, 999_999]).map(lambda us: us * US)
    instant = st.builds(lambda at, extra: at + extra, st.one_of(on_grid, at_clock), nudge)
    return config, draw(instant), draw(instant), draw(instant)


durations = st.one_of(
    st.just(ZERO),
    st.integers(1, 60 * 60).map(lambda m: m * MINUTE),
    st.integers(1, 3 * 10**6).map(lambda us: us * US),
)

PROPERTY_SETTINGS = settings(max_examples=100, deadline=None)


def build(config):
    return BusinessCalendar(**config), Reference(**config)


@PROPERTY_SETTINGS
@given(scenario(), durations)
def test_matches_reference(case, duration):
    config, a, b, t = case
    cal, ref = build(config)
    start, end = min(a, b), max(a, b)
    assert cal.elapsed(start, end) == ref.elapsed(start, end)
    assert cal.elapsed(end, start) == ZERO
    assert cal.is_open(t) is ref.is_open(t)
    assert cal.next_open(t) == ref.next_open(t)
    assert cal.add(start, duration) == ref.add(start, duration)
    # A target used up exactly at an instant the reference picked (often a closing time).
    used = ref.elapsed(start, end)
    assert cal.add(start, used) == ref.add(start, used)


@PROPERTY_SETTINGS
@given(scenario(), durations, durations)
def test_invariants(case, d1, d2):
    config, a, b, c = case
    cal = BusinessCalendar(**config)
    a, b, c = sorted((a, b, c))
    due = cal.add(a, d1)
    # add inverts elapsed, and is the earliest such instant
    assert cal.elapsed(a, due) == d1
    if d1:
        assert cal.elapsed(a, due - US) < d1
    # add is monotonic in the duration
    small, large = sorted((d1, d2))
    assert cal.add(a, small) <= cal.add(a, large)
    # elapsed is additive
    assert cal.elapsed(a, c) == cal.elapsed(a, b) + cal.elapsed(b, c)
    # next_open(t) == t exactly when open; nothing counts before it
    for t in (a, b, c, due):
        opens = cal.next_open(t)
        assert (opens == t) is cal.is_open(t)
        assert opens >= t and cal.is_open(opens)
        assert cal.elapsed(t, opens) == ZERO
        assert cal.add(t, ZERO) == t


@PROPERTY_SETTINGS
@given(scenario(), durations, st.sampled_from(ZONES))
def test_the_zone_of_the_inputs_does_not_matter(case, duration, zone):
    config, a, b, _ = case
    cal = BusinessCalendar(**config)
    shifted = [moment.astimezone(ZoneInfo(zone)) for moment in (a, b)]
    assert cal.elapsed(*shifted) == cal.elapsed(a, b)
    assert cal.add(shifted[0], duration) == cal.add(a, duration)
    assert cal.add(shifted[0], duration).tzinfo is UTC
    assert cal.next_open(shifted[1]) == cal.next_open(b)


SHARED = {
    "danish": {
        "timezone": "Europe/Copenhagen",
        "weekly_hours": DANISH_HOURS,
        "holiday_country": "DK",
    },
    "new york 24/7": {"timezone": "America/New_York", "weekly_hours": ALWAYS},
    "new york 24/7 via intervals": {
        "timezone": "America/New_York",
        "weekly_hours": ALWAYS,
        "closed_dates": [date(1900, 1, 1)],
    },
    "london nights": {
        "timezone": "Europe/London",
        "weekly_hours": {d: [("00:00", "03:00"), ("22:00", "24:00")] for d in range(5)},
        "holiday_country": "GB",
        "holiday_subdivision": "ENG",
    },
}
SHARED_CALENDARS = {name: build(config) for name, config in SHARED.items()}
any_year = st.datetimes(datetime(1970, 1, 1), datetime(2100, 12, 31), timezones=st.just(UTC))


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(sorted(SHARED)), any_year, st.integers(0, 7 * 24 * 60), durations)
def test_any_year_1970_to_2100_in_any_order(name, start, span_minutes, duration):
    """One long-lived calendar per configuration, asked about years in random order, so its
    coverage grows and restarts in both directions."""
    cal, ref = SHARED_CALENDARS[name]
    end = start + span_minutes * MINUTE
    assert cal.elapsed(start, end) == ref.elapsed(start, end)
    assert cal.add(start, duration) == ref.add(start, duration)
    assert cal.next_open(end) == ref.next_open(end)
    assert cal.is_open(end) is ref.is_open(end)


def test_reference_sees_the_same_danish_easter():
    # Guards the guard: the shared Danish reference agrees with a hand-worked case.
    cal, ref = SHARED_CALENDARS["danish"]
    start = datetime(2025, 4, 16, 15, tzinfo=ZoneInfo("Europe/Copenhagen"))
    assert ref.add(start, 2 * 60 * MINUTE) == cal.add(start, 2 * 60 * MINUTE) == utc(2025, 4, 22, 7)
    assert date(2025, 4, 21) in ref.holidays
