"""The explanation API: which stretches counted, which were skipped and why."""

from datetime import date, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.calendar import BusinessCalendar, Explanation, Reason, Stretch, summarize
from tests.sla.calendar_reference import (
    DANISH_HOURS,
    local,
    utc,
)
from tests.sla.test_calendar_properties import durations, scenario

H = timedelta(hours=1)
M = timedelta(minutes=1)
US = timedelta(microseconds=1)
CPH = "Europe/Copenhagen"


def cph(*args: int) -> datetime:
    return local(CPH, *args)


def shape(explanation: Explanation):
    """(start, end, reason, label, dates, names) per stretch, for whole-table comparisons."""
    return [(s.start, s.end, s.reason, s.label, s.dates, s.names) for s in explanation.stretches]


def test_the_design_docs_example():
    # A French desk (Good Friday is a working day there), Paris is on CEST (UTC+2) from 25 Mar
    # 2018. Filed Fri 30 Mar 15:40, after the 15:30 close, with 1 h 40 min to go: Saturday
    # and Sunday are the weekend, Mon 2 Apr is Easter Monday, so the clock runs from Tuesday
    # 08:00 and the case is due 09:40.
    cal = BusinessCalendar(
        timezone="Europe/Paris",
        weekly_hours=DANISH_HOURS,
        holiday_country="FR",
        holiday_language="en_US",
    )
    explanation = cal.explain_due(local("Europe/Paris", 2018, 3, 30, 15, 40), 100 * M)
    assert explanation.summary() == (
        "filed Fri 15:40; skipped Sat–Sun and Easter Monday (2 Apr); due Tue 09:40"
    )
    fri, sat, sun, mon, tue = (date(2018, 3, 30) + timedelta(days=n) for n in range(5))
    assert shape(explanation) == [
        (utc(2018, 3, 30, 13, 40), utc(2018, 3, 30, 22), "outside_hours", "outside business hours", (fri,), ("",)),
        (utc(2018, 3, 30, 22), utc(2018, 4, 1, 22), "weekend", "weekend", (sat, sun), ("", "")),
        (utc(2018, 4, 1, 22), utc(2018, 4, 2, 22), "holiday", "Easter Monday", (mon,), ("Easter Monday",)),
        (utc(2018, 4, 2, 22), utc(2018, 4, 3, 6), "outside_hours", "outside business hours", (tue,), ("",)),
        (utc(2018, 4, 3, 6), utc(2018, 4, 3, 7, 40), "open", "open", (tue,), ("",)),
    ]  # fmt: skip
    assert explanation.open_time == explanation.duration == 100 * M
    assert explanation.closed_time == utc(2018, 4, 3, 6) - utc(2018, 3, 30, 13, 40)
    assert [s.reason for s in explanation.counted] == [Reason.OPEN]
    assert len(explanation.skipped) == 4
    assert explanation.zone == "Europe/Paris"


@pytest.fixture(scope="module")
def dk_en() -> BusinessCalendar:
    return BusinessCalendar(
        timezone=CPH, weekly_hours=DANISH_HOURS, holiday_country="DK", holiday_language="en_US"
    )


def test_danish_easter_holidays_and_a_holiday_on_sunday(dk_en):
    # Wed 16 Apr 15:00 + 2 h: 1 h on Wednesday, 1 h on Tue 22 Apr. Easter Sunday falls in the
    # weekend, so it is part of the weekend stretch (its name is still given in `names`).
    explanation = dk_en.explain_due(cph(2025, 4, 16, 15), 2 * H)
    reasons = [(s.reason, s.label) for s in explanation.stretches]
    assert reasons == [
        ("open", "open"),
        ("outside_hours", "outside business hours"),
        ("holiday", "Maundy Thursday, Good Friday"),
        ("weekend", "weekend"),
        ("holiday", "Easter Monday"),
        ("outside_hours", "outside business hours"),
        ("open", "open"),
    ]
    weekend = explanation.stretches[3]
    assert weekend.dates == (date(2025, 4, 19), date(2025, 4, 20))
    assert weekend.names == ("", "Easter Sunday")
    assert (weekend.start, weekend.end) == (cph(2025, 4, 19), cph(2025, 4, 21))
    assert weekend.duration == 48 * H
    assert explanation.end == cph(2025, 4, 22, 9)
    assert explanation.summary() == (
        "filed Wed 15:00; skipped Maundy Thursday and Good Friday (17–18 Apr), Sat–Sun and "
        "Easter Monday (21 Apr); due Tue 09:00"
    )


@pytest.mark.parametrize(
    ("country", "zone", "language", "labels"),
    [
        ("DK", CPH, "da", ["Skærtorsdag, Langfredag", "Anden påskedag"]),
        ("NO", "Europe/Oslo", "no", ["Skjærtorsdag, Langfredag", "Andre påskedag"]),
        # Sweden has no Maundy Thursday holiday.
        ("SE", "Europe/Stockholm", "sv", ["Långfredagen", "Annandag påsk"]),
    ],
)
def test_holiday_names_in_nordic_languages(country, zone, language, labels):
    cal = BusinessCalendar(
        timezone=zone,
        weekly_hours=DANISH_HOURS,
        holiday_country=country,
        holiday_language=language,
    )
    explanation = cal.explain(local(zone, 2025, 4, 16, 12), local(zone, 2025, 4, 23, 12))
    assert [s.label for s in explanation.skipped if s.reason == "holiday"] == labels


def test_closed_date_and_the_plain_explain_summary():
    cal = BusinessCalendar(timezone=CPH, weekly_hours=DANISH_HOURS, closed_dates=["2025-04-08"])
    # Mon 7 Apr 12:00 to Wed 9 Apr 12:00: Monday 4 h, Tuesday closed, Wednesday 4 h.
    explanation = cal.explain(cph(2025, 4, 7, 12), cph(2025, 4, 9, 12))
    assert [(s.reason, s.start, s.end) for s in explanation.stretches] == [
        (Reason.OPEN, cph(2025, 4, 7, 12), cph(2025, 4, 7, 16)),
        (Reason.OUTSIDE_HOURS, cph(2025, 4, 7, 16), cph(2025, 4, 8)),
        (Reason.CLOSED_DATE, cph(2025, 4, 8), cph(2025, 4, 9)),
        (Reason.OUTSIDE_HOURS, cph(2025, 4, 9), cph(2025, 4, 9, 8)),
        (Reason.OPEN, cph(2025, 4, 9, 8), cph(2025, 4, 9, 12)),
    ]
    assert explanation.stretches[2].label == "closed"
    assert explanation.duration is None
    assert explanation.summary() == (
        "from Mon 12:00 to Wed 12:00; 8h 00m of business time; skipped closed 8 Apr"
    )
    # Consecutive closed dates are one stretch, across a month end too.
    long_weekend = BusinessCalendar(
        timezone=CPH, weekly_hours=DANISH_HOURS, closed_dates=[date(2025, 3, 31), date(2025, 4, 1)]
    )
    explanation = long_weekend.explain(cph(2025, 3, 28, 12), cph(2025, 4, 2, 12))
    assert explanation.summary() == (
        "from Fri 12:00 to Wed 12:00; 7h 30m of business time; skipped Sat–Sun and closed "
        "31 Mar–1 Apr"
    )


def test_special_hours_on_a_holiday_and_on_an_ordinary_day():
    cal = BusinessCalendar(
        timezone=CPH,
        weekly_hours=DANISH_HOURS,
        holiday_country="DK",
        holiday_categories=("public", "optional"),
        holiday_language="en_US",
        special_hours={date(2025, 12, 24): [("08:00", "12:00")], date(2025, 12, 30): []},
    )
    # Tue 23 Dec 15:00 + 8 h: 1 h Tuesday, 4 h on Christmas Eve (special hours), Christmas Day
    # and the Second Day of Christmas, the weekend, then 3 h on Mon 29 Dec -> 11:00.
    explanation = cal.explain_due(cph(2025, 12, 23, 15), 8 * H)
    assert explanation.end == cph(2025, 12, 29, 11)
    special = [s for s in explanation.skipped if s.reason == Reason.SPECIAL_HOURS]
    assert [(s.start, s.end) for s in special] == [
        (cph(2025, 12, 24), cph(2025, 12, 24, 8)),
        (cph(2025, 12, 24, 12), cph(2025, 12, 25)),
    ]
    assert all(s.label == "special hours" and s.names == ("Christmas Eve",) for s in special)
    assert explanation.summary() == (
        "filed Tue 15:00; skipped special hours on Christmas Eve (24 Dec), Christmas Day and "
        "Second Day of Christmas (25–26 Dec) and Sat–Sun; due Mon 11:00"
    )
    # Tue 30 Dec is closed by special hours; it is no holiday, so no name. Wed 31 Dec is
    # New Year's Eve ("optional"), Thu 1 Jan New Year's Day.
    explanation = cal.explain_due(cph(2025, 12, 29, 15), 2 * H)
    assert explanation.summary() == (
        "filed Mon 15:00; skipped special hours (30 Dec) and New Year's Eve and "
        "New Year's Day (31 Dec–1 Jan); due Fri 09:00"
    )


def test_lunch_break_is_outside_hours_and_not_in_the_summary():
    cal = BusinessCalendar(timezone=CPH, weekly_hours={0: [("08:00", "12:00"), ("13:00", "17:00")]})
    explanation = cal.explain_due(cph(2025, 4, 7, 11), 2 * H)
    assert [s.reason for s in explanation.stretches] == ["open", "outside_hours", "open"]
    assert explanation.stretches[1].duration == H
    assert explanation.summary() == "filed Mon 11:00; due Mon 14:00"


def test_several_weekends_get_dates_and_long_spans_get_dates_too():
    cal = BusinessCalendar(timezone=CPH, weekly_hours=DANISH_HOURS)
    # Fri 4 Apr 12:00-15:30 (3.5 h), Mon-Thu 7-10 Apr (32 h), Fri 11 (7.5 h), Mon 14 08-12 (4 h).
    explanation = cal.explain(cph(2025, 4, 4, 12), cph(2025, 4, 14, 12))
    assert explanation.open_time == 47 * H
    assert explanation.summary() == (
        "from Fri 4 Apr 12:00 to Mon 14 Apr 12:00; 47h 00m of business time; skipped "
        "Sat–Sun (5–6 Apr) and Sat–Sun (12–13 Apr)"
    )


def test_a_one_day_weekend_and_seconds():
    cal = BusinessCalendar(timezone=CPH, weekly_hours={d: [("09:00", "17:00")] for d in range(6)})
    explanation = cal.explain(cph(2025, 4, 12, 16, 59, 30), cph(2025, 4, 14, 9, 1))
    assert explanation.summary() == (
        "from Sat 16:59 to Mon 09:01; 0h 01m 30s of business time; skipped Sun"
    )


def test_empty_explanations():
    cal = BusinessCalendar(timezone=CPH, weekly_hours=DANISH_HOURS)
    backwards = cal.explain(cph(2025, 4, 8), cph(2025, 4, 7))
    assert backwards.stretches == ()
    assert backwards.start == backwards.end == cph(2025, 4, 8)
    assert backwards.open_time == backwards.closed_time == timedelta(0)
    assert backwards.summary() == "from Tue 00:00 to Tue 00:00; 0h 00m of business time"
    # Zero duration while closed: due at once, nothing skipped.
    now = cph(2025, 4, 12, 10)
    assert cal.explain_due(now, timedelta(0)).summary() == "filed Sat 10:00; due Sat 10:00"
    assert summarize(cal.explain_due(now, timedelta(0))) == "filed Sat 10:00; due Sat 10:00"


def test_a_skipped_calendar_day():
    # Samoa skipped Fri 30 Dec 2011 (Thu 29 Dec 24:00 at UTC-10 became Sat 31 Dec 00:00 at
    # UTC+14). Friday's hours, resolved with fold=0 at the old offset, land on Saturday
    # 09:00-17:00; the missing day appears in no stretch.
    cal = BusinessCalendar(
        timezone="Pacific/Apia", weekly_hours={d: [("09:00", "17:00")] for d in range(5)}
    )
    explanation = cal.explain(
        local("Pacific/Apia", 2011, 12, 29, 12), local("Pacific/Apia", 2012, 1, 2, 12)
    )
    assert [(s.reason, s.dates) for s in explanation.stretches] == [
        ("open", (date(2011, 12, 29),)),
        ("outside_hours", (date(2011, 12, 29),)),
        ("weekend", (date(2011, 12, 31),)),
        ("open", (date(2011, 12, 31),)),
        ("weekend", (date(2011, 12, 31), date(2012, 1, 1))),
        ("outside_hours", (date(2012, 1, 2),)),
        ("open", (date(2012, 1, 2),)),
    ]
    saturday = explanation.stretches[3]
    assert (saturday.start, saturday.end) == (utc(2011, 12, 30, 19), utc(2011, 12, 31, 3))


def test_stretches_are_frozen():
    cal = BusinessCalendar(timezone=CPH, weekly_hours=DANISH_HOURS)
    explanation = cal.explain(cph(2025, 4, 7, 12), cph(2025, 4, 8, 12))
    stretch = explanation.stretches[0]
    assert isinstance(stretch, Stretch)
    with pytest.raises(AttributeError):
        stretch.reason = Reason.HOLIDAY  # type: ignore[misc]
    with pytest.raises(AttributeError):
        explanation.stretches = ()  # type: ignore[misc]
    assert Reason.WEEKEND == "weekend" and str(Reason.HOLIDAY) == "holiday"


@settings(max_examples=100, deadline=None)
@given(scenario(), durations, st.booleans())
def test_explanations_tile_the_span_and_agree_with_elapsed(case, duration, due_form):
    config, a, b, _ = case
    cal = BusinessCalendar(**config)
    if due_form:
        explanation = cal.explain_due(a, duration)
        start, end = a, cal.add(a, duration)
        assert explanation.duration == duration
    else:
        explanation = cal.explain(min(a, b), max(a, b))
        start, end = min(a, b), max(a, b)
    stretches = explanation.stretches
    assert (explanation.start, explanation.end) == (start, end)
    assert explanation.open_time == cal.elapsed(start, end)
    assert explanation.open_time + explanation.closed_time == end - start
    edges = [start] + [s.end for s in stretches]
    assert [s.start for s in stretches] == edges[:-1]
    assert edges[-1] == end
    for previous, current in pairwise(stretches):
        assert previous.reason != current.reason  # maximal: no two alike in a row
        assert previous.is_open is False or current.is_open is False
    for stretch in stretches:
        assert stretch.start < stretch.end
        assert stretch.is_open == (stretch.reason == Reason.OPEN)
        assert cal.is_open(stretch.start) is stretch.is_open
        assert cal.is_open(stretch.end - US) is stretch.is_open
        assert cal.elapsed(stretch.start, stretch.end) == (
            stretch.duration if stretch.is_open else timedelta(0)
        )
        assert len(stretch.dates) == len(stretch.names) >= 1
    assert isinstance(explanation.summary(), str)
