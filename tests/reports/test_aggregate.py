"""The pure report core: periods, compliance, load, obligations, sparklines, safe export cells.

Every expected number is worked out by hand in the comments next to it.
"""

from dataclasses import FrozenInstanceError
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports.aggregate import (
    ClockFact,
    Compliance,
    ComplianceRow,
    OpenClocks,
    Period,
    breaches,
    compliance,
    custom,
    load_by_month,
    month,
    months_back,
    months_in,
    obligation_status,
    parse_month,
    percentile,
    quarter,
    safe_cell,
    series,
    shift_month,
    year,
)

CPH = ZoneInfo("Europe/Copenhagen")  # CEST = UTC+2 from 29 March to 25 October 2026
D = date


def cph(m, d, hour=12, minute=0, y=2026):
    """Copenhagen wall-clock time in 2026 summer time, as an aware datetime."""
    return datetime(y, m, d, hour, minute, tzinfo=CPH)


# --- Periods -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "start", "end", "kind"),
    [
        (month("2026-04"), D(2026, 4, 1), D(2026, 5, 1), "month"),
        (month("2026-12"), D(2026, 12, 1), D(2027, 1, 1), "month"),
        (quarter(2026, 1), D(2026, 1, 1), D(2026, 4, 1), "quarter"),
        (quarter(2026, 2), D(2026, 4, 1), D(2026, 7, 1), "quarter"),
        (quarter(2026, 4), D(2026, 10, 1), D(2027, 1, 1), "quarter"),
        (year(2026), D(2026, 1, 1), D(2027, 1, 1), "year"),
        (custom("2025-11", "2026-02"), D(2025, 11, 1), D(2026, 3, 1), "custom"),
        (custom(D(2026, 5, 1), D(2026, 5, 1)), D(2026, 5, 1), D(2026, 6, 1), "custom"),
    ],
)
def test_periods_are_half_open_whole_months(period, start, end, kind):
    assert (period.start, period.end, period.kind) == (start, end, kind)


def test_months_in_a_period_oldest_first():
    assert months_in(month("2026-04")) == [D(2026, 4, 1)]
    assert months_in(quarter(2026, 2)) == [D(2026, 4, 1), D(2026, 5, 1), D(2026, 6, 1)]
    assert months_in(custom("2025-11", "2026-02")) == [
        D(2025, 11, 1),
        D(2025, 12, 1),
        D(2026, 1, 1),
        D(2026, 2, 1),
    ]
    assert len(months_in(year(2026))) == 12


def test_months_back_ends_with_the_anchor():
    assert months_back(D(2026, 2, 1), 4) == [
        D(2025, 11, 1),
        D(2025, 12, 1),
        D(2026, 1, 1),
        D(2026, 2, 1),
    ]
    assert months_back(D(2026, 2, 1), 1) == [D(2026, 2, 1)]


def test_shift_month_crosses_years_both_ways():
    assert shift_month(D(2026, 1, 1), -13) == D(2024, 12, 1)
    assert shift_month(D(2026, 11, 1), 2) == D(2027, 1, 1)
    assert shift_month(D(2026, 5, 1), 0) == D(2026, 5, 1)


@pytest.mark.parametrize(
    "text", ["2026-4", "2026/04", "2026-13", "2026-00", "２０２６-04", "abcd-ef", "2026-04-01"]
)
def test_parse_month_is_strict(text):
    with pytest.raises(ValueError):
        parse_month(text)


def test_parse_month():
    assert parse_month("2026-04") == D(2026, 4, 1)


@pytest.mark.parametrize(
    "make",
    [
        lambda: quarter(2026, 0),
        lambda: quarter(2026, 5),
        lambda: custom("2026-03", "2026-02"),
        lambda: custom(D(2026, 3, 2), D(2026, 4, 1)),
        lambda: custom(datetime(2026, 3, 1, tzinfo=UTC), D(2026, 4, 1)),
        lambda: Period(start=D(2026, 1, 1), end=D(2026, 2, 1), kind="week"),
        lambda: Period(start=D(2026, 1, 2), end=D(2026, 2, 1), kind="custom"),
        lambda: Period(start=D(2026, 1, 1), end=D(2026, 2, 2), kind="custom"),
        lambda: Period(start=D(2026, 2, 1), end=D(2026, 2, 1), kind="custom"),
        lambda: Period(start="2026-01", end=D(2026, 2, 1), kind="custom"),
        lambda: months_back(D(2026, 2, 1), 0),
        lambda: months_back(D(2026, 2, 15), 3),
        lambda: shift_month(D(2026, 2, 15), 1),
    ],
)
def test_bad_periods_are_refused(make):
    with pytest.raises(ValueError):
        make()


def test_a_period_is_a_frozen_value():
    with pytest.raises(FrozenInstanceError):
        month("2026-04").kind = "year"
    assert month("2026-04") == Period(start=D(2026, 4, 1), end=D(2026, 5, 1), kind="month")


# --- Percentile --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "expected"),
    # Nearest rank over [15, 20, 35, 40, 50] (n = 5): rank = ceil(p × 5 / 100).
    [(5, 15), (30, 20), (40, 20), (50, 35), (90, 50), (100, 50)],
)
def test_percentile_is_nearest_rank(p, expected):
    assert percentile([50, 35, 15, 40, 20], p=p) == expected


def test_percentile_of_nothing_is_none_and_p_must_be_a_percentage():
    assert percentile([], p=90) is None
    for p in (0, 101):
        with pytest.raises(ValueError):
            percentile([1], p=p)


# --- Clock facts -------------------------------------------------------------------------------


def fact(number, metric, severity, state, *, started, counted=None, used=None, target, late=None):
    return ClockFact(
        case_id=int(number.split("-")[1]),
        case_number=number,
        metric=metric,
        severity=severity,
        state=state,
        started_at=started,
        counted_at=counted,
        business_seconds_used=used,
        target_seconds=target,
        late_seconds=late,
    )


R, S = "response", "solution_started"
H1, H2, H4 = 3600, 7200, 14400  # ProMark Premium: sev 1 response 1 h, solution 2 h; sev 2 resp 4 h

# ProMark Premium, Copenhagen, spring 2026. `counted` is when met (stopped) or breached.
FACTS = [
    fact("P-101", R, "1", "met", started=cph(4, 2, 9), counted=cph(4, 2, 10), used=1200, target=H1),
    fact(
        "P-102", R, "1", "met", started=cph(4, 10, 9), counted=cph(4, 10, 11), used=3000, target=H1
    ),
    fact(
        "P-103",
        R,
        "1",
        "breached",
        started=cph(4, 15, 8),
        counted=cph(4, 15, 9),
        used=5400,
        target=H1,
        late=1800,
    ),
    # Met at 00:30 on 1 April in Copenhagen = 22:30 UTC on 31 March: counts in April.
    fact(
        "P-113",
        R,
        "1",
        "met",
        started=datetime(2026, 3, 31, 21, 0, tzinfo=UTC),
        counted=datetime(2026, 3, 31, 22, 30, tzinfo=UTC),
        used=2400,
        target=H1,
    ),
    # Met at 00:30 on 1 May in Copenhagen = 22:30 UTC on 30 April: counts in May.
    fact(
        "P-104",
        R,
        "1",
        "met",
        started=datetime(2026, 4, 30, 21, 0, tzinfo=UTC),
        counted=datetime(2026, 4, 30, 22, 30, tzinfo=UTC),
        used=600,
        target=H1,
    ),
    fact("P-105", R, "2", "met", started=cph(4, 7), counted=cph(4, 7, 14), used=7200, target=H4),
    # Breached on 20 April and still running: no final business time yet.
    fact("P-106", R, "2", "breached", started=cph(4, 17, 9), counted=cph(4, 20, 13), target=H4),
    fact("P-101", S, "1", "met", started=cph(4, 2, 9), counted=cph(4, 2, 11), used=3600, target=H2),
    fact(
        "P-103",
        S,
        "1",
        "breached",
        started=cph(4, 15, 8),
        counted=cph(4, 15, 10),
        used=9000,
        target=H2,
        late=1800,
    ),
    fact("P-107", R, "2", "running", started=cph(4, 29, 15), target=H4),
    fact("P-108", S, "2", "paused", started=cph(4, 20, 10), target=6 * 3600),
    fact("P-109", R, "1", "running", started=cph(5, 2, 9), target=H1),  # after April
    # Open at the end of April, met on 4 May.
    fact(
        "P-110", R, "2", "met", started=cph(4, 30, 15), counted=cph(5, 4, 9), used=10800, target=H4
    ),
    fact("P-111", R, "3", "cancelled", started=cph(4, 3), target=8 * 3600),  # counts nowhere
    fact(
        "P-112",
        R,
        "1",
        "met",
        started=cph(3, 20, 9),
        counted=cph(3, 20, 9, 30),
        used=1800,
        target=H1,
    ),
]
PLAN = [(R, "1"), (S, "1"), (R, "2"), (S, "2"), (R, "3"), (S, "3")]


def row(when, metric, severity, measured, met, breached, pct, median, p90):
    return ComplianceRow(
        month=when,
        metric=metric,
        severity=severity,
        measured=measured,
        met=met,
        breached=breached,
        compliance=None if pct is None else Decimal(pct),
        median_seconds=median,
        p90_seconds=p90,
    )


def opened(metric, severity, running=0, paused=0, since=0):
    return OpenClocks(
        metric=metric, severity=severity, running=running, paused=paused, stopped_since=since
    )


APR, MAY, JUN = D(2026, 4, 1), D(2026, 5, 1), D(2026, 6, 1)


def test_april_for_a_promark_premium_customer():
    report = compliance(FACTS, period=month("2026-04"), tz=CPH, pairs=PLAN)
    assert report.rows == (
        # response, sev 1: P-101 1200 met, P-102 3000 met, P-103 5400 breached, P-113 2400 met.
        # 3 of 4 = 75.0 %; sorted 1200 2400 3000 5400: p50 rank ceil(2.0) = 2 → 2400,
        # p90 rank ceil(3.6) = 4 → 5400.
        row(APR, R, "1", 4, 3, 1, "75.0", 2400, 5400),
        # response, sev 2: P-105 7200 met, P-106 breached (no time yet): 1 of 2 = 50.0 %.
        row(APR, R, "2", 2, 1, 1, "50.0", 7200, 7200),
        row(APR, R, "3", 0, 0, 0, None, None, None),  # P-111 was cancelled
        # solution started, sev 1: P-101 3600 met, P-103 9000 breached; p90 rank ceil(1.8) = 2.
        row(APR, S, "1", 2, 1, 1, "50.0", 3600, 9000),
        row(APR, S, "2", 0, 0, 0, None, None, None),
        row(APR, S, "3", 0, 0, 0, None, None, None),
    )
    assert report.month_totals == (
        # response: 6 measured, 4 met = 66.666… → 66.7 %; times 1200 2400 3000 5400 7200:
        # p50 rank ceil(2.5) = 3 → 3000, p90 rank ceil(4.5) = 5 → 7200.
        row(APR, R, None, 6, 4, 2, "66.7", 3000, 7200),
        row(APR, S, None, 2, 1, 1, "50.0", 3600, 9000),
    )
    assert report.totals == (
        row(None, R, None, 6, 4, 2, "66.7", 3000, 7200),
        row(None, S, None, 2, 1, 1, "50.0", 3600, 9000),
    )
    # At 30 April 24:00: P-104 (started 23:00, met 00:30) and P-110 open then, met since;
    # P-107 running; P-108 paused. P-109 started in May, P-111 was cancelled: not open.
    assert report.open == (
        opened(R, "1", since=1),
        opened(S, "1"),
        opened(R, "2", running=1, since=1),
        opened(S, "2", paused=1),
        opened(R, "3"),
        opened(S, "3"),
    )
    assert isinstance(report, Compliance) and report.period == month("2026-04")


def test_the_second_quarter_adds_may_and_june():
    report = compliance(FACTS, period=quarter(2026, 2), tz=CPH, pairs=[(R, "1"), (R, "2")])
    assert [r for r in report.rows if r.month != APR and r.metric == R] == [
        row(MAY, R, "1", 1, 1, 0, "100.0", 600, 600),  # P-104
        row(MAY, R, "2", 1, 1, 0, "100.0", 10800, 10800),  # P-110
        row(JUN, R, "1", 0, 0, 0, None, None, None),
        row(JUN, R, "2", 0, 0, 0, None, None, None),
    ]
    assert report.month_totals[-4:] == (
        row(MAY, R, None, 2, 2, 0, "100.0", 600, 10800),  # 600 10800: p50 rank 1, p90 rank 2
        # Not listed in `pairs`, seen in the facts: follows after the listed metric.
        row(MAY, S, None, 0, 0, 0, None, None, None),
        row(JUN, R, None, 0, 0, 0, None, None, None),
        row(JUN, S, None, 0, 0, 0, None, None, None),
    )
    # response: April 6 + May 2 = 8 measured, 6 met = 75.0 %; seven known times
    # 600 1200 2400 3000 5400 7200 10800: p50 rank ceil(3.5) = 4 → 3000, p90 ceil(6.3) = 7.
    assert report.totals == (
        row(None, R, None, 8, 6, 2, "75.0", 3000, 10800),
        row(None, S, None, 2, 1, 1, "50.0", 3600, 9000),
    )
    # At 30 June 24:00: P-107 and P-109 still running, P-108 still paused.
    assert report.open == (
        opened(R, "1", running=1),
        opened(R, "2", running=1),
        opened(S, "1"),
        opened(S, "2", paused=1),
    )


def test_without_pairs_cells_follow_metric_order_then_name():
    facts = [
        fact("X-1", "callback", "B", "met", started=cph(6, 1), counted=cph(6, 1, 13), target=60),
        fact("X-2", "resolution", "B", "met", started=cph(6, 1), counted=cph(6, 1, 13), target=60),
        fact("X-3", R, "B", "breached", started=cph(6, 1), counted=cph(6, 2), target=60),
        fact("X-4", R, "A", "met", started=cph(6, 1), counted=cph(6, 1, 13), target=60),
    ]
    report = compliance(facts, period=month("2026-06"), tz=CPH)
    assert [(r.metric, r.severity) for r in report.rows] == [
        (R, "A"),
        (R, "B"),
        ("resolution", "B"),
        ("callback", "B"),
    ]
    assert [r.measured for r in report.rows] == [1, 1, 1, 1]
    assert report.rows[0].median_seconds is None  # no business time passed
    assert compliance([], period=month("2026-06"), tz=CPH).rows == ()


def test_a_clock_counts_in_the_tenants_month_not_utcs():
    # 22:30 UTC on 30 April is 00:30 on 1 May in Copenhagen but still 30 April in New York.
    late_april = [f for f in FACTS if f.case_number == "P-104"]
    assert compliance(late_april, period=month("2026-05"), tz=CPH).rows[0].measured == 1
    new_york = ZoneInfo("America/New_York")
    assert compliance(late_april, period=month("2026-04"), tz=new_york).rows[0].measured == 1
    in_may = compliance(late_april, period=month("2026-05"), tz=new_york, pairs=[(R, "1")])
    assert in_may.rows[0].measured == 0


def test_breaches_of_april_oldest_first():
    found = breaches(FACTS, period=month("2026-04"), tz=CPH)
    assert [(f.case_number, f.metric, f.target_seconds, f.late_seconds) for f in found] == [
        ("P-103", R, 3600, 1800),
        ("P-103", S, 7200, 1800),
        ("P-106", R, 14400, None),
    ]
    assert breaches(FACTS, period=month("2026-05"), tz=CPH) == []


@pytest.mark.parametrize(
    "changes",
    [
        {"state": "stopped"},
        {"state": "met", "counted": None},
        {"state": "running", "counted": cph(4, 2)},
        {"state": "met", "counted": datetime(2026, 4, 2, 12)},
        {"state": "running", "started": datetime(2026, 4, 2, 12)},
    ],
)
def test_inconsistent_facts_are_refused(changes):
    values = {"state": "met", "started": cph(4, 1), "counted": cph(4, 2)} | changes
    with pytest.raises(ValueError):
        fact(
            "P-1",
            R,
            "1",
            values["state"],
            started=values["started"],
            counted=values["counted"],
            target=1,
        )


def test_a_naive_instant_is_refused_when_months_are_taken():
    from reports.aggregate import _month_of

    with pytest.raises(ValueError):
        _month_of(datetime(2026, 4, 2, 12), CPH)


# --- Property: the report's counts are the facts' counts ----------------------------------------

WINDOW_START = datetime(2025, 12, 1, tzinfo=UTC)
WINDOW_SPAN = int(timedelta(days=250).total_seconds())


@st.composite
def clock_facts(draw):
    state = draw(st.sampled_from(["running", "paused", "met", "breached", "cancelled"]))
    started = WINDOW_START + timedelta(seconds=draw(st.integers(0, WINDOW_SPAN)))
    counted = None
    if state in ("met", "breached"):
        counted = started + timedelta(seconds=draw(st.integers(0, 40 * 86_400)))
    return ClockFact(
        case_id=draw(st.integers(1, 50)),
        case_number="C",
        metric=draw(st.sampled_from([R, S, "resolution"])),
        severity=draw(st.sampled_from(["1", "2", "3"])),
        state=state,
        started_at=started,
        counted_at=counted,
        business_seconds_used=draw(st.none() | st.integers(0, 10**6)),
        target_seconds=3600,
    )


def local_month(instant):
    return D(*instant.astimezone(CPH).timetuple()[:2], 1)


@given(
    st.lists(clock_facts(), max_size=60),
    st.sampled_from([month("2026-01"), quarter(2026, 2), custom("2025-12", "2026-07")]),
)
def test_breached_and_met_are_the_facts_counted_in_that_month(facts, period):
    report = compliance(facts, period=period, tz=CPH)
    for r in report.rows:
        here = [
            f
            for f in facts
            if f.counted_at is not None
            and local_month(f.counted_at) == r.month
            and (f.metric, f.severity) == (r.metric, r.severity)
        ]
        assert r.breached == sum(1 for f in here if f.state == "breached")
        assert r.met == sum(1 for f in here if f.state == "met")
        assert r.met + r.breached == r.measured
    for total in report.totals:
        same = [r for r in report.rows if r.metric == total.metric]
        assert total.measured == sum(r.measured for r in same)
        assert total.breached == sum(r.breached for r in same)
    assert sum(r.breached for r in report.rows) == len(breaches(facts, period=period, tz=CPH))


# --- Load over months (Vivant) -----------------------------------------------------------------

LOAD = {  # (cases, minutes); September 2025 and March 2026 had no cases
    D(2025, 7, 1): (9, 540),
    D(2025, 8, 1): (11, 660),
    D(2025, 10, 1): (7, 420),
    D(2025, 11, 1): (10, 600),
    D(2025, 12, 1): (5, 300),
    D(2026, 1, 1): (10, 600),
    D(2026, 2, 1): (12, 720),
    D(2026, 4, 1): (8, 480),
    D(2026, 5, 1): (14, 900),
    D(2026, 6, 1): (6, 360),
}


def test_vivant_load_over_six_months():
    load = load_by_month(LOAD, through=D(2026, 6, 1), months=6, window=6)
    assert [
        (r.month, r.cases, r.minutes, r.average_cases, r.average_minutes) for r in load.rows
    ] == [
        # Aug–Jan: 11+0+7+10+5+10 = 43 → 7.17 → 7.2; 660+0+420+600+300+600 = 2580 → 430.0
        (D(2026, 1, 1), 10, 600, Decimal("7.2"), Decimal("430.0")),
        # Sep–Feb: 0+7+10+5+10+12 = 44 → 7.3; 0+420+600+300+600+720 = 2640 → 440.0
        (D(2026, 2, 1), 12, 720, Decimal("7.3"), Decimal("440.0")),
        # Oct–Mar: 7+10+5+10+12+0 = 44 → 7.3; 2640 → 440.0
        (D(2026, 3, 1), 0, 0, Decimal("7.3"), Decimal("440.0")),
        # Nov–Apr: 10+5+10+12+0+8 = 45 → 7.5; 600+300+600+720+0+480 = 2700 → 450.0
        (D(2026, 4, 1), 8, 480, Decimal("7.5"), Decimal("450.0")),
        # Dec–May: 5+10+12+0+8+14 = 49 → 8.17 → 8.2; 300+600+720+0+480+900 = 3000 → 500.0
        (D(2026, 5, 1), 14, 900, Decimal("8.2"), Decimal("500.0")),
        # Jan–Jun: 10+12+0+8+14+6 = 50 → 8.3; 600+720+0+480+900+360 = 3060 → 510.0
        (D(2026, 6, 1), 6, 360, Decimal("8.3"), Decimal("510.0")),
    ]
    assert load.window == 6
    assert (load.average_cases, load.average_minutes) == (Decimal("8.3"), Decimal("510.0"))
    # Jul–Dec 2025: 9+11+0+7+10+5 = 42 → 7.0; 540+660+0+420+600+300 = 2520 → 420.0
    assert (load.previous_average_cases, load.previous_average_minutes) == (
        Decimal("7.0"),
        Decimal("420.0"),
    )
    # (50 − 42) / 42 = 19.047… % → 19.0; (3060 − 2520) / 2520 = 21.428… % → 21.4
    assert (load.trend_cases, load.trend_minutes) == (Decimal("19.0"), Decimal("21.4"))


def test_vivant_load_over_four_months_falls():
    load = load_by_month(LOAD, through=D(2026, 6, 1), months=2, window=4)
    # Mar–Jun: 0+8+14+6 = 28 → 7.0; 0+480+900+360 = 1740 → 435.0
    # Nov–Feb: 10+5+10+12 = 37 → 9.25 → 9.3 (half up); 600+300+600+720 = 2220 → 555.0
    assert [r.month for r in load.rows] == [D(2026, 5, 1), D(2026, 6, 1)]
    assert (load.average_cases, load.average_minutes) == (Decimal("7.0"), Decimal("435.0"))
    assert (load.previous_average_cases, load.previous_average_minutes) == (
        Decimal("9.3"),
        Decimal("555.0"),
    )
    # (28 − 37) / 37 = −24.32… % → −24.3; (1740 − 2220) / 2220 = −21.62… % → −21.6
    assert (load.trend_cases, load.trend_minutes) == (Decimal("-24.3"), Decimal("-21.6"))


def test_a_new_customer_has_no_trend_to_compare_with():
    load = load_by_month({D(2026, 6, 1): (3, 90)}, through=D(2026, 6, 1), months=1, window=4)
    # 3 cases in the window Mar–Jun, missing months as zero: 3 / 4 = 0.75 → 0.8
    assert load.rows[0].average_cases == Decimal("0.8")
    assert load.previous_average_cases == Decimal("0.0")
    assert load.trend_cases is None and load.trend_minutes is None


def test_load_window_and_months_must_be_positive():
    with pytest.raises(ValueError):
        load_by_month(LOAD, through=D(2026, 6, 1), months=6, window=0)
    with pytest.raises(ValueError):
        load_by_month(LOAD, through=D(2026, 6, 1), months=0, window=4)


# --- Sparkline series --------------------------------------------------------------------------


def test_series_keeps_gaps_as_none():
    values = {D(2026, 1, 1): Decimal("98.5"), D(2026, 3, 1): Decimal("0.0")}
    assert series(values, months_back(D(2026, 4, 1), 4)) == [
        Decimal("98.5"),
        None,
        Decimal("0.0"),
        None,
    ]


# --- Obligations -------------------------------------------------------------------------------

# Pector Gold: at least 4 management meetings a year, contract year from 1 January 2026.
# Deadlines: 31 March, 30 June, 30 September, 31 December.
PECTOR = [
    # meetings, today → status, held, required (deadlines passed), next due, last held
    ([], D(2026, 1, 15), "due", 0, 0, D(2026, 3, 31), None),
    ([D(2026, 2, 10)], D(2026, 2, 20), "done", 1, 0, D(2026, 6, 30), D(2026, 2, 10)),
    ([], D(2026, 3, 31), "due", 0, 0, D(2026, 3, 31), None),  # the deadline day is in time
    ([], D(2026, 4, 1), "overdue", 0, 1, D(2026, 3, 31), None),
    ([D(2026, 2, 10)], D(2026, 7, 1), "overdue", 1, 2, D(2026, 6, 30), D(2026, 2, 10)),
    (  # two meetings in the third quarter catch up the missed second one
        [D(2026, 2, 10), D(2026, 7, 5), D(2026, 7, 8)],
        D(2026, 7, 10),
        "done",
        3,
        2,
        D(2026, 12, 31),
        D(2026, 7, 8),
    ),
    ([D(2026, 2, 10), D(2026, 7, 5)], D(2026, 7, 10), "due", 2, 2, D(2026, 9, 30), D(2026, 7, 5)),
    (
        [D(2026, 2, 10), D(2026, 5, 5), D(2026, 8, 8), D(2026, 11, 11)],
        D(2026, 11, 20),
        "done",
        4,
        3,
        None,  # the year's four are held
        D(2026, 11, 11),
    ),
    (  # last year's meeting and a planned one do not count
        [D(2025, 12, 15), D(2026, 5, 1)],
        D(2026, 4, 10),
        "overdue",
        0,
        1,
        D(2026, 3, 31),
        None,
    ),
    (
        [D(2026, 3, 1), D(2026, 6, 1), D(2026, 9, 1)],
        D(2026, 12, 31),
        "due",
        3,
        3,
        D(2026, 12, 31),
        D(2026, 9, 1),
    ),
]


@pytest.mark.parametrize(("meetings", "today", "status", "held", "required", "due", "last"), PECTOR)
def test_pector_four_management_meetings_a_year(meetings, today, status, held, required, due, last):
    result = obligation_status(
        kind="management_meeting",
        per_year=4,
        meetings=meetings,
        today=today,
        period_start=D(2026, 1, 1),
    )
    assert (result.status, result.held, result.required, result.next_due, result.last_held) == (
        status,
        held,
        required,
        due,
        last,
    )
    assert (result.kind, result.per_period) == ("management_meeting", 4)


# ProMark Premium: a status meeting every 14 days from Monday 2 March 2026.
# Deadlines: 16 March, 30 March, 13 April, 27 April, …
PROMARK_STATUS = [
    ([], D(2026, 3, 10), "due", 0, 0, D(2026, 3, 16)),
    ([], D(2026, 3, 16), "due", 0, 0, D(2026, 3, 16)),
    ([], D(2026, 3, 17), "overdue", 0, 1, D(2026, 3, 16)),
    ([D(2026, 3, 13)], D(2026, 3, 17), "due", 1, 1, D(2026, 3, 30)),
    ([D(2026, 3, 5), D(2026, 3, 13)], D(2026, 3, 17), "done", 2, 1, D(2026, 4, 13)),
    ([D(2026, 3, 13), D(2026, 3, 27)], D(2026, 4, 14), "overdue", 2, 3, D(2026, 4, 13)),
    ([D(2026, 3, 13), D(2026, 3, 27), D(2026, 4, 14)], D(2026, 4, 14), "due", 3, 3, D(2026, 4, 27)),
]


@pytest.mark.parametrize(("meetings", "today", "status", "held", "required", "due"), PROMARK_STATUS)
def test_promark_premium_status_meeting_every_14_days(meetings, today, status, held, required, due):
    result = obligation_status(
        kind="status_meeting",
        every_days=14,
        meetings=meetings,
        today=today,
        period_start=D(2026, 3, 2),
    )
    assert (result.status, result.held, result.required, result.next_due) == (
        status,
        held,
        required,
        due,
    )
    assert result.per_period is None


def test_promark_premium_annual_solution_review():
    # Contract year from 1 March 2026: the one review is due by 28 February 2027.
    start = D(2026, 3, 1)
    pending = obligation_status(
        kind="solution_review", per_year=1, meetings=[], today=D(2026, 6, 1), period_start=start
    )
    assert (pending.status, pending.next_due) == ("due", D(2027, 2, 28))
    held = obligation_status(
        kind="solution_review",
        per_year=1,
        meetings=[D(2026, 9, 15)],
        today=D(2026, 10, 1),
        period_start=start,
    )
    assert (held.status, held.held, held.next_due, held.last_held) == (
        "done",
        1,
        None,
        D(2026, 9, 15),
    )


@pytest.mark.parametrize(
    "arguments",
    [
        {},  # neither rhythm
        {"every_days": 14, "per_year": 4},
        {"every_days": 14, "today": D(2025, 12, 31)},
        {"every_days": 0},
        {"per_year": 5},
        {"per_year": 0},
        {"per_year": 4, "period_start": D(2026, 1, 15), "today": D(2026, 2, 1)},
        {"per_year": 4, "today": D(2027, 1, 1)},
    ],
)
def test_obligation_arguments_are_checked(arguments):
    values = {"today": D(2026, 6, 1), "period_start": D(2026, 1, 1)} | arguments
    with pytest.raises(ValueError):
        obligation_status(kind="status_meeting", meetings=[], **values)


# --- Safe export cells -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+2", "'\t=1+2"),
        ("\r=1+2", "'\r=1+2"),
    ],
)
def test_formula_prefixes_get_an_apostrophe(value, expected):
    assert safe_cell(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "Printer offline",
        "",
        "a=b",
        " =1",  # starts with a space: not in OWASP's list
        42,
        -3,
        1.5,
        Decimal("-1.5"),
        D(2026, 4, 1),
        datetime(2026, 4, 1, 12, tzinfo=UTC),
        None,
        True,
    ],
)
def test_plain_text_numbers_and_dates_pass_unchanged(value):
    assert safe_cell(value) is value
