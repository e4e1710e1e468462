"""Report arithmetic over SLA clock outcomes, load and meetings. Pure: no Django, no database.

Why it is built this way:

* One definition of every number. The sweep, the case page and the reports all read the same
  clocks (`../shared/DESIGN.md` § SLA clocks); the selectors turn clock rows into `ClockFact`
  values and everything a report shows is computed here, so the web page, the PDF, the CSV and
  the API cannot disagree. The definitions, one line each (also in `docs/reports.md`):

  - A clock counts in the month it was met or breached, in the tenant's time zone.
  - A met clock's instant is when it stopped; a breached clock's is its `breach_at`.
  - Measured = met + breached; running, paused and no-longer-targeted clocks are not measured.
  - Compliance % = met / measured × 100, one decimal, half up; none when nothing was measured.
  - A reclassified case counts under its final severity (the caller passes that severity).
  - Open at period end = started before the period's end and not met or breached before it.
  - Median and 90th percentile use the nearest-rank method: always a value some clock had.
  - Percentiles are over measured clocks whose business time is known (stopped clocks).
  - Load: cases and minutes per month; a month without data counts as zero.
  - Rolling average = the mean of the `window` months ending with that month.
  - Trend = change of the latest window's total against the window before it, in %.
  - Obligation: the k-th meeting is due on or before the k-th deadline after period start.
  - A spreadsheet cell beginning with = + - @ tab or carriage return gets a leading apostrophe.

* Months are `datetime.date` values on the first day of the month: hashable, ordered, and
  what a database's month truncation of a date gives. Periods are half-open ranges of whole
  months, so a month belongs to exactly one period of each kind and nothing is counted twice.
* The functions take plain values and keyword-only arguments and return frozen dataclasses, so
  a report is a value: it can be compared with a fresh computation, cached, or stored as the
  month's rollup.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "KINDS",
    "METRICS",
    "STATES",
    "ClockFact",
    "Compliance",
    "ComplianceRow",
    "Load",
    "LoadRow",
    "ObligationStatus",
    "OpenClocks",
    "Period",
    "breaches",
    "compliance",
    "custom",
    "load_by_month",
    "month",
    "months_back",
    "months_in",
    "obligation_status",
    "parse_month",
    "percentile",
    "quarter",
    "safe_cell",
    "series",
    "shift_month",
    "year",
]

KINDS = ("month", "quarter", "year", "custom")
METRICS = ("response", "solution_started", "resolution")  # the order reports show them in
STATES = ("running", "paused", "met", "breached", "cancelled")  # sla.models.ClockState
_STOPPED = ("met", "breached")
_ONE_DECIMAL = Decimal("0.1")
_OPEN_SLOTS = ("running", "paused", "stopped_since")


# --- Months and periods ------------------------------------------------------------------------


def _check_month(value: date, *, name: str = "month") -> date:
    """A month is a `date` on the first of the month; a datetime is refused, because comparing
    it with dates silently goes wrong."""
    if isinstance(value, datetime) or not isinstance(value, date) or value.day != 1:
        raise ValueError(f"{name} must be a date on the first of a month, not {value!r}")
    return value


def parse_month(text: str) -> date:
    """'2026-04' → date(2026, 4, 1). Strict YYYY-MM, as the API's `from`/`to` parameters."""
    if not (
        len(text) == 7
        and text.isascii()
        and text[4] == "-"
        and text[:4].isdigit()
        and text[5:].isdigit()
    ):
        raise ValueError(f"a month is written YYYY-MM, not {text!r}")
    return date(int(text[:4]), int(text[5:]), 1)  # month 00 or 13: ValueError from date()


def _as_month(value: str | date, *, name: str) -> date:
    return parse_month(value) if isinstance(value, str) else _check_month(value, name=name)


def shift_month(value: date, n: int) -> date:
    """The month `n` months after `value` (before it when `n` is negative)."""
    index = _check_month(value).year * 12 + value.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True, kw_only=True)
class Period:
    """Whole months from `start` (inclusive) to `end` (exclusive), both firsts of a month.

    Half-open so that consecutive periods share no day and `end` of one is `start` of the next.
    """

    start: date
    end: date
    kind: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"period kind must be one of {KINDS}, not {self.kind!r}")
        _check_month(self.start, name="start")
        _check_month(self.end, name="end")
        if self.end <= self.start:
            raise ValueError("a period ends after it starts")


def month(text: str) -> Period:
    """The calendar month written YYYY-MM."""
    start = parse_month(text)
    return Period(start=start, end=shift_month(start, 1), kind="month")


def quarter(y: int, q: int) -> Period:
    """Quarter `q` (1-4) of year `y`: Q2 is April to June."""
    if q not in (1, 2, 3, 4):
        raise ValueError(f"a quarter is 1-4, not {q!r}")
    start = date(y, 3 * q - 2, 1)
    return Period(start=start, end=shift_month(start, 3), kind="quarter")


def year(y: int) -> Period:
    """The calendar year `y`."""
    return Period(start=date(y, 1, 1), end=date(y + 1, 1, 1), kind="year")


def custom(from_month: str | date, to_month: str | date) -> Period:
    """From `from_month` through `to_month`, both included (as the API's from/to read)."""
    start = _as_month(from_month, name="from_month")
    last = _as_month(to_month, name="to_month")
    if last < start:
        raise ValueError("to_month is before from_month")
    return Period(start=start, end=shift_month(last, 1), kind="custom")


def months_in(period: Period) -> list[date]:
    """The months of `period`, oldest first."""
    out = [period.start]
    while (following := shift_month(out[-1], 1)) < period.end:
        out.append(following)
    return out


def months_back(anchor_month: date, n: int) -> list[date]:
    """The `n` months ending with `anchor_month` (included), oldest first: a sparkline's x-axis
    or a load window."""
    _check_month(anchor_month, name="anchor_month")
    if n < 1:
        raise ValueError("n must be at least 1")
    return [shift_month(anchor_month, -back) for back in range(n - 1, -1, -1)]


def _month_of(instant: datetime, tz: tzinfo) -> date:
    """The tenant-local month an aware instant falls in."""
    if instant.utcoffset() is None:
        raise ValueError(f"{instant!r} is naive; report instants must be aware")
    return instant.astimezone(tz).date().replace(day=1)


# --- Clock outcomes ----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ClockFact:
    """One SLA clock as a report sees it, built by the selector from `SlaClock`.

    `counted_at` is the instant the clock was met (its `stopped_at`) or breached (its
    `breach_at`, the instant DESIGN names the breach; the sweep's alert may fire later, even in
    the next month). None while running, paused or no longer targeted (`cancelled`).
    `severity` is the case's final severity: a reclassified case counts under it.
    `business_seconds_used` is known once the clock stopped; a breached clock still running has
    None and stays out of the percentiles. `late_seconds` is used minus target when breached.
    """

    case_id: int
    case_number: str
    metric: str
    severity: str
    state: str
    started_at: datetime
    counted_at: datetime | None
    business_seconds_used: int | None
    target_seconds: int
    late_seconds: int | None = None

    def __post_init__(self) -> None:
        if self.state not in STATES:
            raise ValueError(f"clock state must be one of {STATES}, not {self.state!r}")
        if (self.counted_at is not None) != (self.state in _STOPPED):
            raise ValueError("counted_at is set exactly when the clock is met or breached")
        for instant in (self.started_at, self.counted_at):
            if instant is not None and instant.utcoffset() is None:
                raise ValueError(f"{instant!r} is naive; clock instants must be aware")


@dataclass(frozen=True, kw_only=True)
class ComplianceRow:
    """Measured, met and breached clocks of one cell; `month` None: the whole period;
    `severity` None: all severities."""

    month: date | None
    metric: str
    severity: str | None
    measured: int
    met: int
    breached: int
    compliance: Decimal | None
    median_seconds: int | None
    p90_seconds: int | None


@dataclass(frozen=True, kw_only=True)
class OpenClocks:
    """Clocks open at the period's end, counted apart from the measured ones.

    `running` and `paused` are the clocks still in that state in the facts passed (the caller's
    snapshot); `stopped_since` were open at the period's end and met or breached after it (only
    non-zero when the snapshot is later than the period's end)."""

    metric: str
    severity: str
    running: int
    paused: int
    stopped_since: int


@dataclass(frozen=True, kw_only=True)
class Compliance:
    """`rows`: month × metric × severity; `month_totals`: month × metric over severities;
    `totals`: metric over the whole period; `open`: metric × severity at the period's end."""

    period: Period
    rows: tuple[ComplianceRow, ...]
    month_totals: tuple[ComplianceRow, ...]
    totals: tuple[ComplianceRow, ...]
    open: tuple[OpenClocks, ...]


def percentile(values: Iterable[int], *, p: int) -> int | None:
    """Nearest-rank percentile: the value at rank ⌈p/100 × n⌉ (1-based) of the sorted values.

    Nearest rank, because a reader can point at the clock behind the number: it is always a
    time some clock really used, never an interpolation. p = 50 gives the lower median.
    None when there are no values.
    """
    if not 0 < p <= 100:
        raise ValueError("p must be in (0, 100]")
    ordered = sorted(values)
    if not ordered:
        return None
    rank = -(-p * len(ordered) // 100)  # ceiling without floats
    return ordered[rank - 1]


def _rate(part: int, whole: int) -> Decimal | None:
    if whole == 0:
        return None
    return (Decimal(part * 100) / Decimal(whole)).quantize(_ONE_DECIMAL, rounding=ROUND_HALF_UP)


def _row(
    facts: Sequence[ClockFact], *, month: date | None, metric: str, severity: str | None
) -> ComplianceRow:
    met = sum(1 for fact in facts if fact.state == "met")
    breached = len(facts) - met
    used = [f.business_seconds_used for f in facts if f.business_seconds_used is not None]
    return ComplianceRow(
        month=month,
        metric=metric,
        severity=severity,
        measured=len(facts),
        met=met,
        breached=breached,
        compliance=_rate(met, len(facts)),
        median_seconds=percentile(used, p=50),
        p90_seconds=percentile(used, p=90),
    )


def _pair_rank(pair: tuple[str, str]) -> tuple[int, str, str]:
    metric, severity = pair
    return (METRICS.index(metric) if metric in METRICS else len(METRICS), metric, severity)


def compliance(
    facts: Iterable[ClockFact],
    *,
    period: Period,
    tz: tzinfo,
    pairs: Sequence[tuple[str, str]] = (),
) -> Compliance:
    """Compliance per month × metric × severity over `period`, with totals and open clocks.

    `tz` is the tenant's time zone: a clock met at 23:30 UTC on 30 April counts in May in
    Copenhagen. `pairs` are the plan's (metric, severity) cells in the order to show them; they
    get a row every month even when empty, so a report's table has the same shape every month.
    Cells seen in the facts but not listed follow, metrics in `METRICS` order, then by name;
    rows are grouped by metric in the order the metrics first appear.
    """
    wanted = months_in(period)
    end = datetime.combine(period.end, time(0), tzinfo=tz)
    cells: dict[tuple[date, str, str], list[ClockFact]] = {}
    open_counts: dict[tuple[str, str], dict[str, int]] = {}
    for fact in facts:
        if fact.state == "cancelled":  # no longer targeted: counts nowhere
            continue
        key = (fact.metric, fact.severity)
        counted = None if fact.counted_at is None else _month_of(fact.counted_at, tz)
        if counted is not None and period.start <= counted < period.end:
            cells.setdefault((counted, *key), []).append(fact)
        elif fact.started_at < end and (fact.counted_at is None or fact.counted_at >= end):
            slot = fact.state if fact.counted_at is None else "stopped_since"
            counts = open_counts.setdefault(key, dict.fromkeys(_OPEN_SLOTS, 0))
            counts[slot] += 1
    listed = list(dict.fromkeys(pairs))
    seen = {(m, s) for _w, m, s in cells} | set(open_counts)
    keys = listed + sorted(seen - set(listed), key=_pair_rank)
    by_metric: dict[str, list[tuple[str, str]]] = {}
    for key in keys:
        by_metric.setdefault(key[0], []).append(key)
    rows = []
    month_totals = []
    for when in wanted:
        for metric_key, metric_keys in by_metric.items():
            in_month: list[ClockFact] = []
            for m, s in metric_keys:
                cell = cells.get((when, m, s), [])
                in_month += cell
                rows.append(_row(cell, month=when, metric=m, severity=s))
            month_totals.append(_row(in_month, month=when, metric=metric_key, severity=None))
    totals = tuple(
        _row(
            [f for (_w, m, _s), cell in cells.items() if m == metric_key for f in cell],
            month=None,
            metric=metric_key,
            severity=None,
        )
        for metric_key in by_metric
    )
    opened = tuple(
        OpenClocks(metric=m, severity=s, **open_counts.get((m, s), dict.fromkeys(_OPEN_SLOTS, 0)))
        for m, s in keys
    )
    return Compliance(
        period=period,
        rows=tuple(rows),
        month_totals=tuple(month_totals),
        totals=totals,
        open=opened,
    )


def breaches(facts: Iterable[ClockFact], *, period: Period, tz: tzinfo) -> list[ClockFact]:
    """The clocks breached in `period` (tenant-local months), oldest breach first: the list a
    report prints (case, metric, target, actual, how late) and the drill-down starts from."""
    wanted = set(months_in(period))
    found = [
        fact
        for fact in facts
        if fact.state == "breached"
        and fact.counted_at is not None
        and _month_of(fact.counted_at, tz) in wanted
    ]
    return sorted(found, key=lambda fact: (fact.counted_at, fact.case_number, fact.metric))


# --- Load over months --------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class LoadRow:
    """One month's load and the rolling averages over the window ending with it."""

    month: date
    cases: int
    minutes: int
    average_cases: Decimal
    average_minutes: Decimal


@dataclass(frozen=True, kw_only=True)
class Load:
    """Load per month, the latest window's averages against the previous window's, and the
    trend between them in % (None when the previous window had nothing to compare with)."""

    window: int
    rows: tuple[LoadRow, ...]
    average_cases: Decimal
    average_minutes: Decimal
    previous_average_cases: Decimal
    previous_average_minutes: Decimal
    trend_cases: Decimal | None
    trend_minutes: Decimal | None


def _mean(total: int, n: int) -> Decimal:
    return (Decimal(total) / Decimal(n)).quantize(_ONE_DECIMAL, rounding=ROUND_HALF_UP)


def load_by_month(
    counts_per_month: Mapping[date, tuple[int, int]],
    *,
    through: date,
    months: int,
    window: int,
) -> Load:
    """Cases and minutes per month for the `months` months ending with `through`, each with the
    rolling average over the `window` months ending with it, and the trend of the window ending
    with `through` against the `window` months before it.

    Vivant reviews load as an average over 4-6 months (`reports.load_window_months` in its
    pack); the window is the caller's to choose within the pack's bounds. A month missing from
    `counts_per_month` is a month without cases, so gaps (and months before a customer's first
    case) count as zero rather than shrinking the window and inflating the average.
    """
    if window < 1:
        raise ValueError("window must be at least 1")

    def at(when: date) -> tuple[int, int]:
        return counts_per_month.get(when, (0, 0))

    def window_sums(last: date) -> tuple[int, int]:
        span = [at(when) for when in months_back(last, window)]
        return sum(c for c, _m in span), sum(m for _c, m in span)

    rows = []
    for when in months_back(through, months):
        cases, minutes = at(when)
        sum_cases, sum_minutes = window_sums(when)
        rows.append(
            LoadRow(
                month=when,
                cases=cases,
                minutes=minutes,
                average_cases=_mean(sum_cases, window),
                average_minutes=_mean(sum_minutes, window),
            )
        )
    now_cases, now_minutes = window_sums(through)
    before_cases, before_minutes = window_sums(shift_month(through, -window))
    return Load(
        window=window,
        rows=tuple(rows),
        average_cases=_mean(now_cases, window),
        average_minutes=_mean(now_minutes, window),
        previous_average_cases=_mean(before_cases, window),
        previous_average_minutes=_mean(before_minutes, window),
        trend_cases=_rate(now_cases - before_cases, before_cases),
        trend_minutes=_rate(now_minutes - before_minutes, before_minutes),
    )


def series(values_by_month: Mapping[date, object], months: Sequence[date]) -> list:
    """The values for `months` in order, None where a month has none: a sparkline's points,
    where a gap must stay visible as a gap rather than read as zero."""
    return [values_by_month.get(when) for when in months]


# --- Contract obligations (meetings) -----------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ObligationStatus:
    """Where a recurring obligation stands on `today`.

    `held`: meetings between period start and today; `required`: deadlines already passed (so
    meetings that had to be held by now); `next_due`: for overdue the first missed deadline,
    for due the deadline now running, for done the next deadline not yet covered (None when a
    yearly quota is complete); `per_period`: the yearly quota, None for an every-N-days rhythm.
    """

    kind: str
    status: str  # "done" | "due" | "overdue"
    held: int
    required: int
    next_due: date | None
    last_held: date | None
    per_period: int | None


def obligation_status(
    *,
    kind: str,
    every_days: int | None = None,
    per_year: int | None = None,
    meetings: Iterable[date],
    today: date,
    period_start: date,
) -> ObligationStatus:
    """Done, due or overdue for one obligation from the plan's `schedules` in the pack.

    Deadlines: `every_days` (ProMark Premium status meeting: 14) puts the k-th deadline k × N
    days after `period_start`; `per_year` (Pector: 4 management meetings; ProMark Premium: 1
    solution review) splits the year from `period_start` into equal whole-month stretches and
    puts the k-th deadline on the stretch's last day, so "4 a year" reads "one by 31 March, two
    by 30 June, …" and a missed quarter shows before the year is over. The k-th meeting is due
    on or before the k-th deadline; any meeting counts towards the earliest open deadline, so
    two meetings in one stretch catch up a missed one. Status: overdue when fewer meetings were
    held than deadlines passed, due when exactly as many, done when ahead.
    `meetings` are the dates of this kind's meetings; those before `period_start` or after
    `today` (planned, not held) do not count. A yearly quota is for one year: `period_start` is
    the start of the current contract year, and `today` must lie within it.
    """
    if (every_days is None) == (per_year is None):
        raise ValueError("give exactly one of every_days and per_year")
    if today < period_start:
        raise ValueError("today is before the period starts")
    if every_days is not None:
        if every_days < 1:
            raise ValueError("every_days must be at least 1")

        def deadline(k: int) -> date:
            return period_start + timedelta(days=k * every_days)

    else:
        if per_year < 1 or 12 % per_year:
            raise ValueError("per_year must divide the year into whole months: 1, 2, 3, 4, 6, 12")
        step = 12 // per_year
        _check_month(period_start, name="period_start of a yearly obligation")
        if today >= shift_month(period_start, 12):
            raise ValueError("today is past the contract year that starts at period_start")

        def deadline(k: int) -> date:
            return shift_month(period_start, k * step) - timedelta(days=1)

    held_dates = sorted(d for d in meetings if period_start <= d <= today)
    held = len(held_dates)
    required = 0
    while deadline(required + 1) < today:
        required += 1
    if held < required:
        status = "overdue"
    elif held == required:
        status = "due"
    else:
        status = "done"
    complete = per_year is not None and held >= per_year
    return ObligationStatus(
        kind=kind,
        status=status,
        held=held,
        required=required,
        next_due=None if complete else deadline(held + 1),
        last_held=held_dates[-1] if held_dates else None,
        per_period=per_year,
    )


# --- Exports -----------------------------------------------------------------------------------

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """A value safe to put in a CSV or XLSX cell: text a spreadsheet would read as a formula
    (beginning with = + - @ tab or carriage return, per OWASP's CSV injection guidance) gets a
    leading apostrophe, so a case title like `=HYPERLINK(…)` shows as text and runs nothing.
    Numbers, dates and everything that is not text pass unchanged, so they stay numbers and
    dates the spreadsheet can sum and sort."""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value
