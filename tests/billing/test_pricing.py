"""The pricing core (issue 15.7): hand-worked tables, no database.

Prices are the packs' (plans/packs/*.yaml): Mobilise's unqualified-case steps and phone add-on,
ProMark's out-of-hours phone rate and calendar, Pector's hour bank, Vivant's per-user price,
Synerity's plan variants. Every expected amount below is worked out by hand in its comment.
"""

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from billing.pricing import (
    CurrencyMismatch,
    Money,
    Segment,
    addon_month_charge,
    draw_minutes,
    free_months_end,
    hour_bank_period,
    month_bounds,
    monthly_charge,
    per_user_fee,
    plan_price,
    price_out_of_hours,
    price_overage,
    price_stepped,
    price_time,
    prorate,
    round_money,
    split_by_calendar,
    usage_thresholds_crossed,
)
from sla.calendar import BusinessCalendar

D = Decimal
CPH = ZoneInfo("Europe/Copenhagen")

# --- money ---------------------------------------------------------------------------------------


def test_round_money_is_half_up():
    assert round_money(D("0.125")) == D("0.13")  # half-even would give 0.12
    assert round_money(D("0.135")) == D("0.14")
    assert round_money(D("-0.125")) == D("-0.13")
    assert round_money(D("88.928571")) == D("88.93")


def test_money_adds_and_subtracts_one_currency_only():
    a, b = Money(D("1490.00"), "NOK"), Money(D("400.00"), "NOK")
    assert a + b == Money(D("1890.00"), "NOK")
    assert a - b == Money(D("1090.00"), "NOK")
    assert -b == Money(D("-400.00"), "NOK")
    assert Money.zero("SEK") == Money(D(0), "SEK")
    assert Money(D("0.125"), "DKK").rounded() == Money(D("0.13"), "DKK")
    assert str(Money(D("2490"), "NOK")) == "2490.00 NOK"
    with pytest.raises(CurrencyMismatch, match="NOK and DKK"):
        a + Money(D(1), "DKK")
    with pytest.raises(CurrencyMismatch):
        a - Money(D(1), "SEK")
    with pytest.raises(TypeError):
        a + 1
    with pytest.raises(TypeError):
        a - 1


@pytest.mark.parametrize(
    ("amount", "currency", "error"),
    [
        (1.5, "NOK", TypeError),  # a float has already lost its cents
        (D(1), "nok", ValueError),
        (D(1), "NOKK", ValueError),
        (D(1), None, ValueError),
    ],
)
def test_money_refuses_floats_and_bad_codes(amount, currency, error):
    with pytest.raises(error):
        Money(amount, currency)


# --- rate steps: Mobilise unqualified cases ------------------------------------------------------

MOBILISE = {
    "hour_price": "1490.00",
    "block_minutes": 15,
    "block_price": "400.00",
    "currency": "NOK",
}


@pytest.mark.parametrize(
    ("minutes", "capped", "uncapped"),
    [
        (0, "0.00", "0.00"),
        (1, "400.00", "400.00"),  # 1 started block
        (14, "400.00", "400.00"),
        (15, "400.00", "400.00"),  # exactly 1 block
        (16, "800.00", "800.00"),  # 2 started blocks
        (45, "1200.00", "1200.00"),  # 3 blocks, under the hour price
        (46, "1490.00", "1600.00"),  # 4 blocks = 1,600 > 1,490
        (59, "1490.00", "1600.00"),
        (60, "1490.00", "1490.00"),  # 1 whole hour
        (61, "1890.00", "1890.00"),  # 1,490 + 1 × 400
        (75, "1890.00", "1890.00"),
        (76, "2290.00", "2290.00"),  # 1,490 + 2 × 400
        (119, "2980.00", "3090.00"),  # 1,490 + min(4 × 400, 1,490)
        (120, "2980.00", "2980.00"),  # 2 × 1,490
        (121, "3380.00", "3380.00"),  # 2 × 1,490 + 400
    ],
)
def test_mobilise_unqualified_steps(minutes, capped, uncapped):
    assert price_stepped(minutes, **MOBILISE, cap_remainder_at_hour=True).amount == D(capped)
    assert price_stepped(minutes, **MOBILISE, cap_remainder_at_hour=False).amount == D(uncapped)


def test_stepped_price_explains_its_lines():
    price = price_stepped(76, **MOBILISE, cap_remainder_at_hour=True)
    assert price.currency == "NOK"
    assert [(line.quantity, line.unit, line.amount) for line in price.lines] == [
        (1, "whole_hour", D("1490.00")),
        (2, "started_15_minutes", D("800.00")),
    ]
    assert price.explanation == (
        "76 min = 1 × whole_hour at 1490.00 + 2 × started_15_minutes at 400.00 = 2290.00 NOK"
    )
    capped = price_stepped(59, **MOBILISE, cap_remainder_at_hour=True)
    assert capped.lines[0].note == "remainder capped at one hour (uncapped 1600.00)"
    assert price_stepped(0, **MOBILISE, cap_remainder_at_hour=True).explanation == (
        "0 min = nothing = 0.00 NOK"
    )


@pytest.mark.parametrize(
    ("steps", "minutes", "expected"),
    [
        ([("1500.00", "started_hour")], 1, "1500.00"),
        ([("1500.00", "started_hour")], 61, "3000.00"),
        ([("500", "started_30_minutes")], 31, "1000.00"),
        ([("1250.00", "hour")], 90, "1875.00"),  # pro rata: 1.5 × 1,250
        ([("950.00", "hour")], 1, "15.83"),  # 950 / 60 = 15.8333…
        ([("950.00", "hour")], 0, "0.00"),
        ([("300", "case"), ("1000", "hour")], 30, "800.00"),  # call-out fee + 0.5 h
        ([("300", "case"), ("1000", "hour")], 0, "0.00"),  # no time, no call-out
        ([("1000", "whole_hour"), ("1000", "hour")], 90, "1500.00"),
        ([("1000", "started_hour"), ("50", "started_15_minutes")], 70, "2000.00"),  # used up
    ],
)
def test_rate_steps(steps, minutes, expected):
    assert price_time(minutes, steps=steps, currency="DKK").amount == D(expected)


def test_pro_rata_explanation_reads_short_but_the_amount_is_exact():
    price = price_time(100, steps=[("950.00", "hour")], currency="DKK")
    assert price.explanation == "100 min = 1.6667 × hour at 950.00 = 1583.33 DKK"
    assert price.lines[0].amount == D("95000") / 60  # lines stay exact; the total is rounded


def test_rate_steps_refuse_nonsense():
    with pytest.raises(ValueError, match="negative"):
        price_time(-1, steps=[("1", "hour")], currency="NOK")
    with pytest.raises(ValueError, match="at least one step"):
        price_time(1, steps=[], currency="NOK")
    with pytest.raises(ValueError, match="unknown unit 'fortnight'"):
        price_time(1, steps=[("1", "fortnight")], currency="NOK")
    with pytest.raises(ValueError, match="no whole_hour step"):
        price_time(1, steps=[("1", "hour")], currency="NOK", cap_remainder_at_hour=True)
    with pytest.raises(TypeError, match="expected a Decimal"):
        price_time(1.5, steps=[("1", "hour")], currency="NOK")
    with pytest.raises(TypeError):
        price_time(1, steps=[(True, "hour")], currency="NOK")
    with pytest.raises(ValueError, match="finite"):
        price_time(D("NaN"), steps=[("1", "hour")], currency="NOK")
    with pytest.raises(ValueError, match="block_minutes"):
        price_stepped(1, **{**MOBILISE, "block_minutes": 0}, cap_remainder_at_hour=False)
    with pytest.raises(ValueError, match="block_minutes"):
        price_stepped(1, **{**MOBILISE, "block_minutes": True}, cap_remainder_at_hour=False)


# --- out of hours: ProMark -----------------------------------------------------------------------

# As promark.yaml: Mon–Thu 08:00–16:00, Fri 08:00–15:30, DK public + optional holidays, and the
# holiday names in English as sla.models.BusinessCalendar.core_arguments asks for them.
PROMARK_HOURS = {**{day: [("08:00", "16:00")] for day in range(4)}, 4: [("08:00", "15:30")]}
PROMARK = BusinessCalendar(
    timezone="Europe/Copenhagen",
    weekly_hours=PROMARK_HOURS,
    holiday_country="DK",
    holiday_categories=("public", "optional"),
    holiday_language="en_US",
)
OUT_OF_HOURS = {"steps": [("1500.00", "started_hour")], "currency": "DKK"}


def cph(year, month, day, hour, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=CPH)


def shape(segments):
    """(local start, local end, in hours, reasons) of each segment."""
    return [
        (
            f"{s.start.astimezone(CPH):%a %d %H:%M}",
            f"{s.end.astimezone(CPH):%a %d %H:%M}",
            s.in_hours,
            s.reasons,
        )
        for s in segments
    ]


def test_friday_call_is_split_at_1530_closing():
    segments = split_by_calendar(cph(2026, 3, 13, 15), cph(2026, 3, 13, 16, 30), calendar=PROMARK)
    assert shape(segments) == [
        ("Fri 13 15:00", "Fri 13 15:30", True, ("business hours",)),
        ("Fri 13 15:30", "Fri 13 16:30", False, ("closed after 15:30",)),
    ]
    assert all(s.start.tzinfo is UTC for s in segments)
    price = price_out_of_hours(segments, **OUT_OF_HOURS)
    assert price.amount == D("1500.00")  # 60 min out of hours = 1 started hour
    assert price.explanation == (
        "out of hours (closed after 15:30): 60 min = 1 × started_hour at 1500.00 = 1500.00 DKK"
    )
    # one minute more is a second started hour
    longer = split_by_calendar(cph(2026, 3, 13, 15), cph(2026, 3, 13, 16, 31), calendar=PROMARK)
    assert price_out_of_hours(longer, **OUT_OF_HOURS).amount == D("3000.00")


def test_a_call_in_business_hours_costs_nothing():
    segments = split_by_calendar(cph(2026, 3, 10, 10), cph(2026, 3, 10, 11), calendar=PROMARK)
    assert shape(segments) == [("Tue 10 10:00", "Tue 10 11:00", True, ("business hours",))]
    price = price_out_of_hours(segments, **OUT_OF_HOURS)
    assert (price.amount, price.explanation) == (D("0.00"), "no time outside business hours")


def test_calls_before_opening_and_across_the_night():
    early = split_by_calendar(cph(2026, 3, 10, 7, 30), cph(2026, 3, 10, 8, 30), calendar=PROMARK)
    assert shape(early)[0] == ("Tue 10 07:30", "Tue 10 08:00", False, ("closed until 08:00",))
    night = split_by_calendar(cph(2026, 3, 10, 15), cph(2026, 3, 11, 9), calendar=PROMARK)
    assert shape(night)[1] == ("Tue 10 16:00", "Wed 11 08:00", False, ("closed 16:00–08:00",))
    evening = split_by_calendar(cph(2026, 3, 10, 20), cph(2026, 3, 10, 21), calendar=PROMARK)
    assert shape(evening) == [
        ("Tue 10 20:00", "Tue 10 21:00", False, ("outside business hours",)),
    ]


def test_a_weekend_call_from_friday_evening_to_monday_morning_is_one_segment():
    segments = split_by_calendar(cph(2026, 3, 13, 15), cph(2026, 3, 16, 8, 30), calendar=PROMARK)
    assert shape(segments) == [
        ("Fri 13 15:00", "Fri 13 15:30", True, ("business hours",)),
        (
            "Fri 13 15:30",
            "Mon 16 08:00",
            False,
            ("closed after 15:30", "weekend", "closed until 08:00"),
        ),
        ("Mon 16 08:00", "Mon 16 08:30", True, ("business hours",)),
    ]
    # 8 h 30 + 48 h + 8 h = 64 h 30 min: 65 started hours
    assert price_out_of_hours(segments, **OUT_OF_HOURS).amount == D("97500.00")


def test_easter_holidays_are_named():
    # Maundy Thursday 2 April 2026, a Danish public holiday on a normal working day
    thursday = split_by_calendar(cph(2026, 4, 2, 10), cph(2026, 4, 2, 11, 30), calendar=PROMARK)
    assert shape(thursday) == [
        ("Thu 02 10:00", "Thu 02 11:30", False, ("holiday: Maundy Thursday",)),
    ]
    assert thursday[0].holiday_names == ("Maundy Thursday",)
    assert price_out_of_hours(thursday, **OUT_OF_HOURS).amount == D("3000.00")  # 90 min: 2 h
    # across midnight into Good Friday: one segment, both named, 1 started hour
    night = split_by_calendar(cph(2026, 4, 2, 23, 30), cph(2026, 4, 3, 0, 30), calendar=PROMARK)
    assert night[0].reasons == ("holiday: Maundy Thursday", "holiday: Good Friday")
    assert price_out_of_hours(night, **OUT_OF_HOURS).amount == D("1500.00")
    # Easter Monday 23:30 to Tuesday 08:30: 30 min holiday + 8 h night, then 30 min open
    monday = split_by_calendar(cph(2026, 4, 6, 23, 30), cph(2026, 4, 7, 8, 30), calendar=PROMARK)
    assert shape(monday) == [
        (
            "Mon 06 23:30",
            "Tue 07 08:00",
            False,
            ("holiday: Easter Monday", "closed until 08:00"),
        ),
        ("Tue 07 08:00", "Tue 07 08:30", True, ("business hours",)),
    ]
    assert price_out_of_hours(monday, **OUT_OF_HOURS).amount == D("13500.00")  # 8.5 h: 9 h


def test_across_the_whole_easter_weekend():
    # Wednesday 1 April 15:00 to Tuesday 7 April 09:00: open 15:00–16:00 and 08:00–09:00 only
    segments = split_by_calendar(cph(2026, 4, 1, 15), cph(2026, 4, 7, 9), calendar=PROMARK)
    assert [s.in_hours for s in segments] == [True, False, True]
    assert segments[1].reasons == (
        "closed after 16:00",
        "holiday: Maundy Thursday",
        "holiday: Good Friday",
        "weekend",
        "holiday: Easter Monday",
        "closed until 08:00",
    )
    # Wed 16:00 → Tue 08:00 = 5 days 16 h = 136 h (summer time all along)
    assert segments[1].duration == timedelta(hours=136)


def test_christmas_eve_is_closed_only_because_the_pack_opts_into_optional_holidays():
    eve = split_by_calendar(cph(2026, 12, 24, 10), cph(2026, 12, 24, 11), calendar=PROMARK)
    assert eve[0].reasons == ("holiday: Christmas Eve",)
    assert price_out_of_hours(eve, **OUT_OF_HOURS).amount == D("1500.00")
    public_only = BusinessCalendar(
        timezone="Europe/Copenhagen",
        weekly_hours=PROMARK_HOURS,
        holiday_country="DK",
        holiday_categories=("public",),
        holiday_language="en_US",
    )
    open_eve = split_by_calendar(cph(2026, 12, 24, 10), cph(2026, 12, 24, 11), calendar=public_only)
    assert price_out_of_hours(open_eve, **OUT_OF_HOURS).amount == D("0.00")
    # Christmas Eve night into Christmas Day: 2 h, both named
    night = split_by_calendar(cph(2026, 12, 24, 23), cph(2026, 12, 25, 1), calendar=PROMARK)
    assert night[0].reasons == ("holiday: Christmas Eve", "holiday: Christmas Day")
    assert price_out_of_hours(night, **OUT_OF_HOURS).amount == D("3000.00")


def test_holiday_names_come_in_the_calendars_language():
    danish = BusinessCalendar(
        timezone="Europe/Copenhagen",
        weekly_hours=PROMARK_HOURS,
        holiday_country="DK",
        holiday_categories=("public", "optional"),
        holiday_language="da",
    )
    segments = split_by_calendar(cph(2026, 4, 3, 10), cph(2026, 4, 3, 11), calendar=danish)
    assert segments[0].reasons == ("holiday: Langfredag",)


def test_dst_spring_forward():
    # 29 March 2026: 02:00 CET jumps to 03:00 CEST; 01:30–03:30 on the wall is 1 real hour
    start, end = cph(2026, 3, 29, 1, 30), cph(2026, 3, 29, 3, 30)
    assert end - start == timedelta(hours=2)  # what naive wall-clock arithmetic would bill
    segments = split_by_calendar(start, end, calendar=PROMARK)
    assert segments[0].duration == timedelta(hours=1)
    assert segments[0].reasons == ("weekend",)
    assert price_out_of_hours(segments, **OUT_OF_HOURS).amount == D("1500.00")


def test_dst_fall_back():
    # 25 October 2026: 03:00 CEST falls back to 02:00 CET;
    # 01:30–03:30 on the wall is 3 real hours
    segments = split_by_calendar(
        cph(2026, 10, 25, 1, 30), cph(2026, 10, 25, 3, 30), calendar=PROMARK
    )
    assert segments[0].duration == timedelta(hours=3)
    assert segments[0].minutes == 180
    assert price_out_of_hours(segments, **OUT_OF_HOURS).amount == D("4500.00")


def test_per_minute_rate_and_special_closures():
    calendar = BusinessCalendar(
        timezone="Europe/Copenhagen",
        weekly_hours=PROMARK_HOURS,
        closed_dates=[date(2026, 3, 10)],
        special_hours={date(2026, 3, 11): [("08:00", "12:00")]},
    )
    closed = split_by_calendar(cph(2026, 3, 10, 10), cph(2026, 3, 10, 10, 45), calendar=calendar)
    assert closed[0].reasons == ("closed date",)
    # pro rata per hour = per minute: 45 min at 1,200/h = 900
    steps = {"steps": [("1200.00", "hour")], "currency": "DKK"}
    assert price_out_of_hours(closed, **steps).amount == D("900.00")
    short = split_by_calendar(cph(2026, 3, 11, 11), cph(2026, 3, 11, 13), calendar=calendar)
    assert short[1].reasons == ("special hours",)


def test_split_edges():
    moment = cph(2026, 3, 10, 10)
    assert split_by_calendar(moment, moment, calendar=PROMARK) == ()
    with pytest.raises(ValueError, match="before start"):
        split_by_calendar(moment, moment - timedelta(minutes=1), calendar=PROMARK)
    segment = Segment(moment, moment + timedelta(seconds=30), False, ("x",))
    assert segment.minutes == D("0.5")
    assert price_out_of_hours([segment], **OUT_OF_HOURS).amount == D("1500.00")


# --- proration by day ----------------------------------------------------------------------------

FEB = (date(2026, 2, 1), date(2026, 2, 28))  # 28 days
APR = (date(2026, 4, 1), date(2026, 4, 30))  # 30 days
JAN = (date(2026, 1, 1), date(2026, 1, 31))  # 31 days


def test_month_bounds():
    assert month_bounds(date(2026, 2, 10)) == (date(2026, 2, 1), date(2026, 2, 28))
    assert month_bounds(date(2026, 4, 1)) == (date(2026, 4, 1), date(2026, 4, 30))
    assert month_bounds(date(2026, 1, 31)) == (date(2026, 1, 1), date(2026, 1, 31))
    assert month_bounds(date(2028, 2, 29)) == (date(2028, 2, 1), date(2028, 2, 29))


@pytest.mark.parametrize(
    ("month", "active_from", "active_to", "expected"),
    [
        # starts; 2,490 a month
        (FEB, date(2026, 2, 1), None, "2490.00"),  # 28/28
        (FEB, date(2026, 2, 15), None, "1245.00"),  # 14/28
        (FEB, date(2026, 2, 28), None, "88.93"),  # 1/28 = 88.928…
        (APR, date(2026, 4, 1), None, "2490.00"),  # 30/30
        (APR, date(2026, 4, 15), None, "1328.00"),  # 16/30
        (APR, date(2026, 4, 30), None, "83.00"),  # 1/30
        (JAN, date(2026, 1, 1), None, "2490.00"),  # 31/31
        (JAN, date(2026, 1, 15), None, "1365.48"),  # 17/31 = 1,365.483…
        (JAN, date(2026, 1, 31), None, "80.32"),  # 1/31 = 80.322…
        # stops (the last day counts)
        (FEB, None, date(2026, 2, 1), "88.93"),  # 1/28
        (FEB, None, date(2026, 2, 15), "1333.93"),  # 15/28 = 1,333.928…
        (FEB, None, date(2026, 2, 28), "2490.00"),
        (APR, None, date(2026, 4, 1), "83.00"),
        (APR, None, date(2026, 4, 15), "1245.00"),  # 15/30
        (APR, None, date(2026, 4, 30), "2490.00"),
        (JAN, None, date(2026, 1, 1), "80.32"),
        (JAN, None, date(2026, 1, 15), "1204.84"),  # 15/31 = 1,204.838…
        (JAN, None, date(2026, 1, 31), "2490.00"),
        # both within the month, and outside it
        (JAN, date(2026, 1, 10), date(2026, 1, 20), "883.55"),  # 11/31 = 883.548…
        (JAN, date(2025, 6, 1), date(2026, 6, 1), "2490.00"),
        (JAN, date(2026, 2, 1), None, "0.00"),
        (JAN, None, date(2025, 12, 31), "0.00"),
    ],
)
def test_prorate_by_day(month, active_from, active_to, expected):
    price = prorate(
        "2490.00",
        currency="NOK",
        period_start=month[0],
        period_end=month[1],
        active_from=active_from,
        active_to=active_to,
    )
    assert price.amount == D(expected)


def test_prorate_rounds_once_half_up_and_explains():
    # 0.70 × 1/28 = 0.025 exactly: half-up 0.03
    price = prorate(
        "0.70",
        currency="NOK",
        period_start=FEB[0],
        period_end=FEB[1],
        active_from=date(2026, 2, 28),
    )
    assert price.amount == D("0.03")
    assert price.explanation == "0.70 × 1/28 days (2026-02-28–2026-02-28)"
    none = prorate(
        "10", currency="NOK", period_start=FEB[0], period_end=FEB[1], active_to=date(2026, 1, 1)
    )
    assert none.explanation == "10 × 0/28 days (not active)"
    with pytest.raises(ValueError, match="period_end"):
        prorate("1", currency="NOK", period_start=FEB[1], period_end=FEB[0])
    with pytest.raises(ValueError, match="active_to"):
        prorate(
            "1",
            currency="NOK",
            period_start=FEB[0],
            period_end=FEB[1],
            active_from=date(2026, 2, 10),
            active_to=date(2026, 2, 9),
        )


# --- free months and add-ons: Mobilise's phone support -------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "last_free"),
    [
        (date(2026, 1, 15), 3, date(2026, 4, 14)),
        (date(2026, 1, 1), 3, date(2026, 3, 31)),
        (date(2026, 1, 31), 3, date(2026, 4, 30)),  # no 31 April: free to the end of April
        (date(2025, 11, 30), 3, date(2026, 2, 28)),  # no 30 February
        (date(2025, 11, 28), 3, date(2026, 2, 27)),
        (date(2025, 11, 15), 3, date(2026, 2, 14)),  # across the new year
        (date(2026, 10, 1), 3, date(2026, 12, 31)),
        (date(2026, 1, 15), 0, date(2026, 1, 14)),  # nothing free
        (date(2026, 1, 15), 12, date(2027, 1, 14)),
    ],
)
def test_free_months_end(start, months, last_free):
    assert free_months_end(start, months=months) == last_free


@pytest.mark.parametrize("months", [-1, True, 1.0])
def test_free_months_must_be_a_whole_number(months):
    with pytest.raises(ValueError, match="months"):
        free_months_end(date(2026, 1, 1), months=months)


PHONE = {"price": "2490.00", "currency": "NOK", "per": "administrator_month", "free_months": 3}
CUSTOMER_START = date(2026, 1, 15)  # free 15 Jan – 14 Apr, billable from 15 Apr


def phone_month(administrators, day, **kwargs):
    first, last = month_bounds(day)
    return addon_month_charge(
        administrators,
        **PHONE,
        period_start=first,
        period_end=last,
        free_from=CUSTOMER_START,
        **kwargs,
    )


@pytest.mark.parametrize(
    ("month", "active_from", "active_to", "expected"),
    [
        (date(2026, 1, 1), CUSTOMER_START, None, "0.00"),  # free from the start
        (date(2026, 1, 1), CUSTOMER_START, CUSTOMER_START, "0.00"),  # first free day alone
        (date(2026, 3, 1), CUSTOMER_START, None, "0.00"),  # wholly free
        (date(2026, 4, 1), date(2026, 4, 14), date(2026, 4, 14), "0.00"),  # last free day alone
        (date(2026, 4, 1), date(2026, 4, 15), date(2026, 4, 15), "166.00"),  # 4,980 / 30
        (date(2026, 4, 1), CUSTOMER_START, None, "2656.00"),  # 16 of 30 days: 4,980 × 16/30
        (date(2026, 5, 1), CUSTOMER_START, None, "4980.00"),  # 2 administrators × 2,490
        (date(2026, 5, 1), CUSTOMER_START, date(2026, 5, 10), "1606.45"),  # 4,980 × 10/31
    ],
)
def test_phone_addon_free_months(month, active_from, active_to, expected):
    price = phone_month(2, month, active_from=active_from, active_to=active_to)
    assert price.amount == D(expected)


def test_phone_addon_explains_and_without_free_months():
    april = phone_month(2, date(2026, 4, 1), active_from=CUSTOMER_START)
    assert april.lines[0].unit == "administrator_month"
    assert april.explanation == (
        "2 × 2490.00 per administrator_month × 16/30 days, free through 2026-04-14"
    )
    may = phone_month(2, date(2026, 5, 1))
    assert may.explanation == "2 × 2490.00 per administrator_month × 31/31 days"
    # an existing customer (free_months_for: new_customers) gets none
    first, last = month_bounds(date(2026, 1, 1))
    paid = addon_month_charge(
        1, **{**PHONE, "free_months": 0}, period_start=first, period_end=last, free_from=first
    )
    assert paid.amount == D("2490.00")
    no_start = addon_month_charge(1, **PHONE, period_start=first, period_end=last)
    assert no_start.amount == D("2490.00")


@pytest.mark.parametrize("quantity", [-1, True, 1.5])
def test_quantity_must_be_a_whole_number(quantity):
    with pytest.raises(ValueError, match="quantity"):
        monthly_charge(
            "1", currency="NOK", period_start=JAN[0], period_end=JAN[1], quantity=quantity
        )


# --- plan fees: Vivant per user, Synerity variants -----------------------------------------------


def test_vivant_per_user_fee():
    # 37 active users on 1 March × 250 DKK
    march = month_bounds(date(2026, 3, 1))
    price = per_user_fee(
        37, price="250.00", currency="DKK", period_start=march[0], period_end=march[1]
    )
    assert price.amount == D("9250.00")
    assert price.lines[0].unit == "user_month"
    # a customer leaving on 10 March: 9250 × 10/31 = 2983.870…
    leaving = per_user_fee(
        37,
        price="250.00",
        currency="DKK",
        period_start=march[0],
        period_end=march[1],
        active_to=date(2026, 3, 10),
    )
    assert leaving.amount == D("2983.87")
    assert per_user_fee(
        0, price="250.00", currency="DKK", period_start=march[0], period_end=march[1]
    ).amount == D("0.00")


SYNERITY = {
    "free": {"license_customers": "0.00", "other_customers": "2500.00"},
    "silver": {"license_customers": "5000.00", "other_customers": "7500.00"},
    "gold": {"license_customers": "10000.00", "other_customers": "15000.00"},
}


@pytest.mark.parametrize(
    ("plan", "segment", "expected"),
    [
        ("free", "license_customers", "0.00"),
        ("silver", "license_customers", "5000.00"),
        ("gold", "license_customers", "10000.00"),
        ("free", "other_customers", "2500.00"),
        ("silver", "other_customers", "7500.00"),
        ("gold", "other_customers", "15000.00"),
    ],
)
def test_synerity_price_variants(plan, segment, expected):
    assert plan_price(SYNERITY[plan], segment=segment) == D(expected)


def test_plan_price_falls_back_to_all_customers():
    assert plan_price({"all_customers": "250.00"}, segment="license_customers") == D("250.00")
    with pytest.raises(LookupError, match="no price for segment 'other_customers'"):
        plan_price({"license_customers": "1"}, segment="other_customers")
    gold = month_bounds(date(2026, 2, 1))
    fee = monthly_charge(
        plan_price(SYNERITY["gold"], segment="other_customers"),
        currency="SEK",
        period_start=gold[0],
        period_end=gold[1],
        active_from=date(2026, 2, 15),
    )
    assert fee.amount == D("7500.00")  # 15,000 × 14/28


# --- hour bank: Pector Gold ----------------------------------------------------------------------

PECTOR = {
    "rollover_max_percent": "20",
    "rollover_basis": "period_hours",
    "rolled_may_roll_again": False,
}
H = 60  # minutes


@pytest.mark.parametrize(
    ("rolled_in", "used", "remaining", "overage", "rollover", "lapsed"),
    [
        # 100 purchased hours; 20 % of them = 20 h may roll over
        (0, 90 * H, 10 * H, 0, 10 * H, 0),  # 10 h unused: below 20 %, all of it rolls
        (0, 80 * H, 20 * H, 0, 20 * H, 0),  # 20 h unused: at 20 %
        (0, 50 * H, 50 * H, 0, 20 * H, 30 * H),  # 50 h unused: above, capped at 20 h
        (0, 100 * H, 0, 0, 0, 0),  # exactly used up
        (0, 110 * H, 0, 10 * H, 0, 0),  # 10 h over the bank
        (0, 0, 100 * H, 0, 20 * H, 80 * H),
        (0, 80 * H + 1, 20 * H - 1, 0, 20 * H - 1, 0),  # one minute under the cap
        # with 20 rolled-in hours, used first
        (20 * H, 15 * H, 105 * H, 0, 20 * H, 85 * H),  # 5 rolled h lapse; 100 purchased unused
        (20 * H, 30 * H, 90 * H, 0, 20 * H, 70 * H),  # rolled used up, 10 purchased h used
        (20 * H, 105 * H, 15 * H, 0, 15 * H, 0),  # 15 h unused, all purchased: all roll
        (20 * H, 125 * H, 0, 5 * H, 0, 0),
    ],
)
def test_pector_hour_bank(rolled_in, used, remaining, overage, rollover, lapsed):
    period = hour_bank_period(
        purchased_hours=100, rolled_in_minutes=rolled_in, used_minutes=used, **PECTOR
    )
    assert period.total_minutes == 100 * H + rolled_in
    assert period.remaining_minutes == remaining
    assert period.overage_minutes == overage
    assert period.rollover_minutes == rollover
    assert period.lapsed_minutes == lapsed
    assert period.used_from_rolled + period.used_from_purchased + overage == used


def test_hour_bank_rollover_bases_and_rolling_again():
    def rollover(**policy):
        return hour_bank_period(
            purchased_hours=100, rolled_in_minutes=20 * H, used_minutes=10 * H, **policy
        ).rollover_minutes

    # 10 rolled h unused, 100 purchased h unused
    assert rollover(**{**PECTOR, "rollover_basis": "unused_hours"}) == 20 * H  # 20 % × 100 h
    assert (
        rollover(**{**PECTOR, "rollover_basis": "unused_hours", "rolled_may_roll_again": True})
        == 22 * H
    )  # 20 % × 110 h
    assert rollover(**{**PECTOR, "rolled_may_roll_again": True}) == 20 * H  # cap still 20 h
    with pytest.raises(ValueError, match="rollover_basis"):
        rollover(**{**PECTOR, "rollover_basis": "whatever"})
    with pytest.raises(ValueError, match="rollover_max_percent"):
        rollover(**{**PECTOR, "rollover_max_percent": 101})
    with pytest.raises(ValueError, match="≥ 0"):
        hour_bank_period(purchased_hours=1, rolled_in_minutes=0, used_minutes=-1, **PECTOR)


def test_hour_bank_fractional_hours_stay_exact_and_explain():
    # 37.5 h purchased = 2,250 min; 20 % = 450 min; 10 min used
    period = hour_bank_period(
        purchased_hours="37.5", rolled_in_minutes=0, used_minutes=10, **PECTOR
    )
    assert period.remaining_minutes == 2240
    assert period.rollover_minutes == 450
    assert period.explanation == (
        "10 of 2250 min used (0 rolled in first, then 10 purchased); "
        "2240 left, 0 over; 450 roll over (20 % basis period_hours), 1790 lapse"
    )


def test_overage_is_billed_at_the_ordinary_rate():
    period = hour_bank_period(
        purchased_hours=100, rolled_in_minutes=0, used_minutes=110 * H + 30, **PECTOR
    )
    price = price_overage(period, steps=[("1250.00", "hour")], currency="SEK")
    assert price.amount == D("13125.00")  # 10.5 h × 1,250
    none = hour_bank_period(purchased_hours=100, rolled_in_minutes=0, used_minutes=H, **PECTOR)
    assert price_overage(none, steps=[("1250.00", "hour")], currency="SEK").amount == D("0.00")


@pytest.mark.parametrize(
    ("minutes", "unit", "drawn"),
    [
        (7, "minute", 7),
        (7, "started_15_minutes", 15),
        (15, "started_15_minutes", 15),
        (16, "started_30_minutes", 30),
        (61, "started_hour", 120),
        (0, "started_hour", 0),
    ],
)
def test_draw_minutes(minutes, unit, drawn):
    assert draw_minutes(minutes, draw_unit=unit) == drawn


def test_draw_unit_must_be_known():
    with pytest.raises(ValueError, match="draw_unit"):
        draw_minutes(1, draw_unit="day")


@pytest.mark.parametrize(
    ("before", "after", "total", "crossed"),
    [
        (0, 79, 100, ()),
        (0, 80, 100, (80,)),  # at 80 % exactly
        (79, 81, 100, (80,)),
        (80, 99, 100, ()),  # 80 % already told
        (80, 100, 100, (100,)),
        (50, 120, 100, (80, 100)),  # both at once
        (100, 130, 100, ()),
        (0, 4800, 6000, (80,)),  # minutes: 80 of 100 hours
        (0, 10, 0, ()),  # no bank, no thresholds
    ],
)
def test_usage_thresholds_crossed(before, after, total, crossed):
    assert usage_thresholds_crossed(before=before, after=after, total=total) == crossed


def test_the_core_imports_no_django():
    code = "import sys, billing.pricing; print(sorted(m for m in sys.modules if 'django' in m))"
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    assert done.stdout == "[]\n"
