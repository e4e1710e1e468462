"""Benchmark of `sla.calendar`: throughput, agreement with businesstimedelta, build time, memory.

Run from the project root:

    .venv/bin/python -m bench.calendar        (or: .venv/bin/python bench/calendar.py)

It prints every number and exits 1 if a threshold is missed. It is not a unit test: the numbers
belong to the machine and to whatever else runs on it, so each timing is the best of a few runs.
businesstimedelta (a dev dependency) is slow, so it is timed on a subset of the same inputs.
"""

import sys
from pathlib import Path

if Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    # Run as a script, bench/ would come first on the path and this file would shadow the
    # standard library's `calendar`, which python-holidays imports.
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import gc
import random
import statistics
import time as clock
import tracemalloc
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import businesstimedelta as btd
import holidays
import pytz

from sla.calendar import BusinessCalendar, cached_calendar

SEED = 20250101
N = 100_000  # random starts for our calendar
SUBSET = 2_000  # of those, timed with businesstimedelta too
OUR_REPEATS = 5
THEIR_REPEATS = 3

MIN_OPS = 350_000
MIN_RATIO = 100
MAX_BUILD_MS = 50
MAX_MEMORY_MB = 5

ZONE = "Europe/Copenhagen"
DANISH = {
    "timezone": ZONE,
    "weekly_hours": {
        0: [("08:00", "16:00")],
        1: [("08:00", "16:00")],
        2: [("08:00", "16:00")],
        3: [("08:00", "16:00")],
        4: [("08:00", "15:30")],
    },
    "holiday_country": "DK",
}
ALWAYS = {"timezone": ZONE, "weekly_hours": {day: [("00:00", "24:00")] for day in range(7)}}
# A 24/7 calendar answers by subtraction. With one closed date long ago it takes the general
# road through the interval arrays instead; shown for information, no threshold.
ALWAYS_VIA_INTERVALS = {**ALWAYS, "closed_dates": [date(1900, 1, 1)]}
# businesstimedelta cannot say "24:00": its 24/7 day ends at 23:59:59.999999. This twin of
# ALWAYS has exactly those hours, so the two can be compared result for result.
ALWAYS_TWIN = {
    "timezone": ZONE,
    "weekly_hours": {day: [("00:00", time(23, 59, 59, 999_999))] for day in range(7)},
}

failures: list[str] = []


def check(ok: bool, what: str) -> str:
    if not ok:
        failures.append(what)
    return "ok" if ok else "FAIL"


def inputs() -> tuple[list[datetime], list[timedelta], list[datetime]]:
    """Starts uniform over 2025-2027 (whole seconds: businesstimedelta drops microseconds),
    durations of 1 to 40 working hours, and ends 1 hour to 10 days after each start."""
    rng = random.Random(SEED)
    base = datetime(2025, 1, 1, tzinfo=UTC)
    starts = [base + timedelta(seconds=rng.randrange(3 * 365 * 86_400)) for _ in range(N)]
    durations = [timedelta(seconds=rng.randrange(3_600, 40 * 3_600 + 1)) for _ in range(N)]
    ends = [s + timedelta(seconds=rng.randrange(3_600, 10 * 86_400)) for s in starts]
    return starts, durations, ends


def best_rate(operation: Callable, firsts: Sequence, seconds: Sequence, repeats: int) -> float:
    """Operations per second, best of `repeats` passes, garbage collector paused."""
    best = float("inf")
    gc.disable()
    try:
        for _ in range(repeats):
            started = clock.perf_counter()
            for first, second in zip(firsts, seconds, strict=True):
                operation(first, second)
            best = min(best, clock.perf_counter() - started)
    finally:
        gc.enable()
    return len(firsts) / best


def businesstimedelta_rules() -> dict[str, btd.Rule]:
    tz = pytz.timezone(ZONE)
    danish = btd.Rules(
        [
            btd.WorkDayRule(time(8), time(16), working_days=[0, 1, 2, 3], tz=tz),
            btd.WorkDayRule(time(8), time(15, 30), working_days=[4], tz=tz),
            btd.HolidayRule(holidays.country_holidays("DK"), tz=tz),
        ]
    )
    always = btd.WorkDayRule(time(0), time(23, 59, 59, 999_999), working_days=list(range(7)), tz=tz)
    return {"danish": danish, "24/7": always}


def their_add(rule: btd.Rule) -> Callable[[datetime, timedelta], datetime]:
    return lambda start, duration: start + btd.BusinessTimeDelta(rule, timedelta=duration)


def their_elapsed(rule: btd.Rule) -> Callable[[datetime, datetime], timedelta]:
    return lambda start, end: rule.difference(start, end).timedelta


def whole_seconds(span: timedelta) -> timedelta:
    return span - timedelta(microseconds=span.microseconds)


def throughput(data) -> None:
    starts, durations, ends = data
    cut = slice(0, SUBSET)
    rules = businesstimedelta_rules()
    print(f"Throughput, datetime in and out, {N:,} seeded random starts in 2025-2027")
    print(f"(businesstimedelta on the first {SUBSET:,} of them; ratio = ours / theirs)\n")
    print(f"{'calendar':8} {'op':8} {'ours ops/s':>12} {'theirs ops/s':>13} {'ratio':>7}  result")
    their_rates: dict[tuple[str, str], float] = {}
    for name, config, twin in (
        ("danish", DANISH, DANISH),
        ("24/7", ALWAYS, ALWAYS_TWIN),
        ("24/7 (i)", ALWAYS_VIA_INTERVALS, None),
    ):
        ours = BusinessCalendar(**config)
        ours.elapsed(datetime(2024, 6, 1, tzinfo=UTC), datetime(2028, 6, 1, tzinfo=UTC))
        rule = rules[name.split()[0]]
        for op, second, theirs in (
            ("add", durations, their_add(rule)),
            ("elapsed", ends, their_elapsed(rule)),
        ):
            our_rate = best_rate(getattr(ours, op), starts, second, OUR_REPEATS)
            key = (name.split()[0], op)
            if key not in their_rates:
                their_rates[key] = best_rate(theirs, starts[cut], second[cut], THEIR_REPEATS)
            their_rate = their_rates[key]
            ratio = our_rate / their_rate
            if twin is None:
                verdict = "(info)"
            else:
                verdict = check(our_rate >= MIN_OPS, f"{name} {op} below {MIN_OPS:,} ops/s")
                verdict += "/" + check(ratio >= MIN_RATIO, f"{name} {op} ratio below {MIN_RATIO}")
            print(f"{name:8} {op:8} {our_rate:12,.0f} {their_rate:13,.0f} {ratio:7.0f}  {verdict}")
        if twin is not None:
            agreement(name, BusinessCalendar(**twin), rule, starts[cut], durations[cut], ends[cut])
    print("(i): the same 24/7 hours through the interval arrays (one closed date in 1900)")
    zoned = [start.astimezone(ZoneInfo(ZONE)) for start in starts]
    danish = BusinessCalendar(**DANISH)
    rate = best_rate(danish.add, zoned, durations, OUR_REPEATS)
    print(f"(info) danish add with Europe/Copenhagen-aware inputs: {rate:,.0f} ops/s\n")


def agreement(name, ours, rule, starts, durations, ends) -> None:
    """Same inputs, same semantics: businesstimedelta's difference drops microseconds, so
    elapsed is compared in whole seconds."""
    add = their_add(rule)
    elapsed = their_elapsed(rule)
    added = sum(ours.add(s, d) == add(s, d) for s, d in zip(starts, durations, strict=True))
    spans = sum(
        whole_seconds(ours.elapsed(s, e)) == elapsed(s, e)
        for s, e in zip(starts, ends, strict=True)
    )
    label = "same hours" if name == "danish" else "twin closing 23:59:59.999999"
    verdict = check(added == spans == len(starts), f"{name} disagrees with businesstimedelta")
    print(
        f"{'':8} agree    add {added:,}/{len(starts):,}, elapsed {spans:,}/{len(starts):,}"
        f" ({label})  {verdict}"
    )


def build_times() -> None:
    def build(closed: date) -> float:
        started = clock.perf_counter()
        calendar = BusinessCalendar(**DANISH, closed_dates=[closed])
        calendar.elapsed(datetime(2025, 1, 1, tzinfo=UTC), datetime(2035, 1, 1, tzinfo=UTC))
        return (clock.perf_counter() - started) * 1000

    cold = build(date(2000, 1, 1))  # the first calendar of the process (see below)
    warm = [build(date(2000, 1, 2) + timedelta(days=n)) for n in range(25)]
    median = statistics.median(warm)
    verdict = check(median < MAX_BUILD_MS, f"building ten years takes {median:.1f} ms")
    print("Build: a new Danish configuration, constructed and covering 2025-2034")
    print(f"  median {median:.1f} ms, max {max(warm):.1f} ms over {len(warm)} builds  {verdict}")
    print(f"  (info) first calendar of the process: {cold:.1f} ms, of which most is")
    print("         python-holidays loading its country data and translations once\n")


def cache() -> None:
    first = cached_calendar(**DANISH)
    again = cached_calendar(**{**DANISH, "holiday_country": "dk", "closed_dates": ()})
    rounds = 2_000
    started = clock.perf_counter()
    for _ in range(rounds):
        cached_calendar(**DANISH)
    micros = (clock.perf_counter() - started) / rounds * 1e6
    verdict = check(first is again, "cached_calendar returned a new instance")
    print(f"Cache: same instance for an equivalent configuration  {verdict}")
    print(f"  lookup (normalising the configuration into its key) {micros:.1f} us\n")


def memory() -> None:
    def traced(build: Callable[[], BusinessCalendar]) -> float:
        build()  # warm python-holidays' own caches first; they are shared, not per calendar
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        kept = build()
        gc.collect()
        size = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        del kept
        return size / 2**20

    def years(config: dict, first: int, last: int) -> Callable[[], BusinessCalendar]:
        def build() -> BusinessCalendar:
            calendar = BusinessCalendar(**config)
            calendar.elapsed(datetime(first, 1, 1, tzinfo=UTC), datetime(last, 1, 1, tzinfo=UTC))
            return calendar

        return build

    print("Memory per calendar (tracemalloc)")
    for name, config in (("danish", DANISH), ("24/7", ALWAYS)):
        size = traced(years(config, 2025, 2035))
        verdict = check(size < MAX_MEMORY_MB, f"{name} calendar uses {size:.2f} MB")
        print(f"  {name:7} 2025-2034: {size:.3f} MB  {verdict}")
    size = traced(years(DANISH, 1970, 2100))
    print(f"  (info) danish grown to 1970-2100: {size:.2f} MB")


def main() -> int:
    print(f"Python {sys.version.split()[0]}, one thread\n")
    build_times()
    throughput(inputs())
    cache()
    memory()
    if failures:
        print("\nFAILED: " + "; ".join(failures))
        return 1
    print("\nAll thresholds met.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
