"""Turning work and subscriptions into money. Pure: no Django, no database, no vendor names.

Every number (prices, steps, free months, rollover share) comes in as an argument, read by the
caller from the tenant's policy pack or the customer's agreement; nothing here knows a vendor.
Quantities are exact: ``Decimal`` for money and minutes, aware datetimes for instants (the
business calendar measures real time on the UTC line, so a call across a clock change lasts what
the clock on the wall did not show). Every money result is rounded **once**, at the end, to two
decimals half-up (``round_money``); intermediate amounts are never rounded.

The rules, one each:

* **Money.** An amount and its currency code; adding or subtracting two currencies is an error.
* **Rate steps** (a pack's ``rates[].steps``), applied in order to the time spent:
  ``whole_hour`` bills each complete hour and leaves the remainder; ``started_<n>_minutes`` and
  ``started_hour`` bill every begun block of the remainder and use it up; ``hour`` bills the
  remainder pro rata (to the second) and uses it up; ``case`` bills once when there is any time.
  With ``cap_remainder_at_hour`` the steps after ``whole_hour`` never cost more than one whole
  hour together: with an hour at H and started quarters at Q, 59 minutes cost min(4 × Q, H).
* **Out of hours.** A call is split where the business calendar opens and closes; every
  segment says why it is closed ("closed after 15:30", "weekend", "holiday: Good Friday").
  The out-of-hours segments of one call are added up *first* and the rate's steps applied to
  the sum once, so a call that straddles midnight is not charged two started hours for one.
* **Proration by day.** A monthly amount for part of a month costs
  ``amount × active days / days in the month``; both ends of every date range count (an
  add-on from the 15th to the 30th of April is active 16 days of 30). Quantity is multiplied in
  before the division, and the result is rounded once.
* **Free months.** N free months from a start date end on the day before the same day of the
  month N months later; when that month has no such day, they run to its end (31 January + 3
  months: free through 30 April). A month partly free is prorated over its billable days.
* **Plan price variants** are a lookup by customer segment, falling back to ``all_customers``.
* **Hour bank.** Hours rolled in from the last period are used first, then the period's
  purchased hours (oldest first: the hours that would otherwise lapse go first, which is what
  keeps "rolled hours do not roll again" from costing the customer anything avoidable). Time
  beyond both is overage, billed at the ordinary rate's steps. At period end unused hours roll
  over: with basis ``period_hours`` at most ``p %`` of the period's purchased hours, with basis
  ``unused_hours`` ``p %`` of the unused hours; unused rolled-in hours count only when the
  policy lets rolled hours roll again. Whatever does not roll over lapses.
* **Usage thresholds** (80 %, 100 %) are crossed once: when usage goes from below the share to
  at or above it.
"""

from __future__ import annotations

import calendar as _calendar
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sla.calendar import BusinessCalendar, Reason, Stretch

__all__ = [
    "ALL_CUSTOMERS",
    "CurrencyMismatch",
    "HourBankPeriod",
    "Money",
    "Price",
    "PriceLine",
    "Segment",
    "addon_month_charge",
    "draw_minutes",
    "free_months_end",
    "hour_bank_period",
    "month_bounds",
    "monthly_charge",
    "per_user_fee",
    "plan_price",
    "price_out_of_hours",
    "price_overage",
    "price_stepped",
    "price_time",
    "prorate",
    "round_money",
    "split_by_calendar",
    "usage_thresholds_crossed",
]

CENT = Decimal("0.01")
ALL_CUSTOMERS = "all_customers"
_ZERO = Decimal(0)
_HOUR = Decimal(60)
_MICROSECONDS_PER_MINUTE = Decimal(60_000_000)
_CURRENCY = re.compile(r"[A-Z]{3}")
_STARTED = re.compile(r"started_([1-9][0-9]*)_minutes")

Step = tuple[Decimal | int | str, str]
"""(amount, per) of one rate step, as `plans.models.RateCard.step_amounts()` gives them."""


# ---------------------------------------------------------------------------------------------
# Money.
# ---------------------------------------------------------------------------------------------


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies were combined."""


def _decimal(value: Decimal | int | str, name: str) -> Decimal:
    """Exact input only: a float has already lost the cents it was meant to carry."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise TypeError(f"{name}: expected a Decimal, int or str, got {value!r}")
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError(f"{name}: expected a finite number, got {value!r}")
    return number


def round_money(amount: Decimal) -> Decimal:
    """Two decimals, half-up (0.125 → 0.13): the one rounding every money result gets."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError(f"amount: expected a Decimal, got {self.amount!r}")
        if not isinstance(self.currency, str) or not _CURRENCY.fullmatch(self.currency):
            raise ValueError(
                f"currency: expected a three-letter ISO 4217 code, got {self.currency!r}"
            )

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(_ZERO, currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(f"cannot combine {self.currency} and {other.currency}")

    def __add__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def rounded(self) -> Money:
        return Money(round_money(self.amount), self.currency)

    def __str__(self) -> str:
        return f"{self.amount:.2f} {self.currency}"


@dataclass(frozen=True)
class PriceLine:
    """One line of a price: `quantity` × `unit_price` per `unit` (a pack's `per`) = `amount`."""

    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount: Decimal
    note: str = ""


@dataclass(frozen=True)
class Price:
    """A rounded total, the lines it is made of, and an English one-line explanation."""

    total: Money
    lines: tuple[PriceLine, ...]
    explanation: str

    @property
    def amount(self) -> Decimal:
        return self.total.amount

    @property
    def currency(self) -> str:
        return self.total.currency


def _price(currency: str, lines: Sequence[PriceLine], explanation: str) -> Price:
    exact = sum((line.amount for line in lines), _ZERO)
    return Price(Money(round_money(exact), currency), tuple(lines), explanation)


def _num(value: Decimal) -> str:
    """A quantity for reading, at most four decimals and no trailing zeros: 2, 1.5, 0.0167."""
    text = f"{value.quantize(Decimal('0.0001'), rounding=ROUND_HALF_UP):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# ---------------------------------------------------------------------------------------------
# Time at a rate.
# ---------------------------------------------------------------------------------------------


def _block_minutes(per: str) -> int | None:
    if per == "started_hour":
        return 60
    match = _STARTED.fullmatch(per)
    return int(match[1]) if match else None


def price_time(
    minutes: Decimal | int,
    *,
    steps: Sequence[Step],
    currency: str,
    cap_remainder_at_hour: bool = False,
) -> Price:
    """Price time spent with a rate's ordered steps (see the module docstring)."""
    spent = _decimal(minutes, "minutes")
    if spent < 0:
        raise ValueError(f"minutes: negative time {minutes!r}")
    parsed = [(_decimal(amount, "steps"), per) for amount, per in steps]
    if not parsed:
        raise ValueError("steps: a rate needs at least one step")
    hour_price: Decimal | None = None
    lines: list[PriceLine] = []
    tail: list[PriceLine] = []  # lines after the whole_hour step, which the cap may replace
    remainder = spent
    for amount, per in parsed:
        block = _block_minutes(per)
        if per == "whole_hour":
            hours, remainder = divmod(remainder, _HOUR)
            hour_price = amount
            if hours:
                lines.append(PriceLine(hours, per, amount, hours * amount))
        elif block is not None:
            blocks, rest = divmod(remainder, Decimal(block))
            blocks += 1 if rest else 0
            if blocks:
                tail.append(PriceLine(blocks, per, amount, blocks * amount))
            remainder = _ZERO
        elif per == "hour":
            if remainder:
                tail.append(PriceLine(remainder / _HOUR, per, amount, remainder * amount / _HOUR))
            remainder = _ZERO
        elif per == "case":
            if spent:
                tail.append(PriceLine(Decimal(1), per, amount, amount))
        else:
            raise ValueError(f"steps: unknown unit {per!r}")
    if cap_remainder_at_hour:
        if hour_price is None:
            raise ValueError("cap_remainder_at_hour: the rate has no whole_hour step to cap at")
        uncapped = sum((line.amount for line in tail), _ZERO)
        if uncapped > hour_price:
            note = f"remainder capped at one hour (uncapped {round_money(uncapped)})"
            tail = [PriceLine(Decimal(1), "whole_hour", hour_price, hour_price, note)]
    lines += tail
    parts = " + ".join(
        f"{_num(line.quantity)} × {line.unit} at {line.unit_price}"
        + (f" ({line.note})" if line.note else "")
        for line in lines
    )
    price = _price(currency, lines, "")
    text = f"{_num(spent)} min = {parts or 'nothing'} = {price.total}"
    return Price(price.total, price.lines, text)


def price_stepped(
    minutes: Decimal | int,
    *,
    hour_price: Decimal | int | str,
    block_minutes: int,
    block_price: Decimal | int | str,
    currency: str,
    cap_remainder_at_hour: bool,
) -> Price:
    """Whole hours at `hour_price`, the remainder per started `block_minutes` at `block_price`."""
    if isinstance(block_minutes, bool) or not isinstance(block_minutes, int) or block_minutes < 1:
        raise ValueError(f"block_minutes: expected a positive whole number, got {block_minutes!r}")
    return price_time(
        minutes,
        steps=[(hour_price, "whole_hour"), (block_price, f"started_{block_minutes}_minutes")],
        currency=currency,
        cap_remainder_at_hour=cap_remainder_at_hour,
    )


# ---------------------------------------------------------------------------------------------
# Out of hours: where a business calendar is closed.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """A stretch of a call in (or out of) business hours, with UTC instants.

    `reasons` are English phrases; `holiday_names` the python-holidays names involved, so a
    translated page can name them itself.
    """

    start: datetime
    end: datetime
    in_hours: bool
    reasons: tuple[str, ...]
    holiday_names: tuple[str, ...] = ()

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    @property
    def minutes(self) -> Decimal:
        return Decimal(self.duration // timedelta(microseconds=1)) / _MICROSECONDS_PER_MINUTE


_CLOSED_LABELS = {
    Reason.WEEKEND: "weekend",
    Reason.CLOSED_DATE: "closed date",
    Reason.SPECIAL_HOURS: "special hours",
}


def _closed_reasons(
    stretch: Stretch, zone: ZoneInfo, *, after_open: bool, before_open: bool
) -> list[str]:
    if stretch.reason is Reason.HOLIDAY:
        return [f"holiday: {name}" for name in dict.fromkeys(n for n in stretch.names if n)]
    if stretch.reason is not Reason.OUTSIDE_HOURS:
        return [_CLOSED_LABELS[stretch.reason]]
    closes = f"{stretch.start.astimezone(zone):%H:%M}"
    opens = f"{stretch.end.astimezone(zone):%H:%M}"
    if after_open and before_open:
        return [f"closed {closes}–{opens}"]
    if after_open:
        return [f"closed after {closes}"]
    if before_open:
        return [f"closed until {opens}"]
    return ["outside business hours"]


def split_by_calendar(
    start: datetime, end: datetime, *, calendar: BusinessCalendar
) -> tuple[Segment, ...]:
    """[start, end) cut where the calendar opens or closes, in order.

    Adjacent closed stretches (Friday evening, the weekend, Monday morning) form one
    out-of-hours segment whose reasons list each of them.
    """
    if end < start:
        raise ValueError(f"end {end.isoformat()} is before start {start.isoformat()}")
    explanation = calendar.explain(start, end)
    zone = ZoneInfo(explanation.zone)
    stretches = explanation.stretches
    segments: list[Segment] = []
    for index, stretch in enumerate(stretches):
        if stretch.is_open:
            segments.append(Segment(stretch.start, stretch.end, True, ("business hours",)))
            continue
        after_open = index > 0 and stretches[index - 1].is_open
        before_open = index + 1 < len(stretches) and stretches[index + 1].is_open
        reasons = _closed_reasons(stretch, zone, after_open=after_open, before_open=before_open)
        names = tuple(name for name in dict.fromkeys(stretch.names) if name)
        previous = segments[-1] if segments else None
        if previous is not None and not previous.in_hours:
            segments[-1] = Segment(
                previous.start,
                stretch.end,
                False,
                tuple(dict.fromkeys((*previous.reasons, *reasons))),
                tuple(dict.fromkeys((*previous.holiday_names, *names))),
            )
        else:
            segments.append(Segment(stretch.start, stretch.end, False, tuple(reasons), names))
    return tuple(segments)


def price_out_of_hours(
    segments: Iterable[Segment],
    *,
    steps: Sequence[Step],
    currency: str,
    cap_remainder_at_hour: bool = False,
) -> Price:
    """The out-of-hours part of one call, summed, priced once with the rate's steps."""
    closed = [segment for segment in segments if not segment.in_hours]
    minutes = sum((segment.minutes for segment in closed), _ZERO)
    price = price_time(
        minutes, steps=steps, currency=currency, cap_remainder_at_hour=cap_remainder_at_hour
    )
    if not closed:
        return Price(price.total, price.lines, "no time outside business hours")
    reasons = ", ".join(dict.fromkeys(reason for s in closed for reason in s.reasons))
    return Price(price.total, price.lines, f"out of hours ({reasons}): {price.explanation}")


# ---------------------------------------------------------------------------------------------
# Recurring charges: months, proration, free months, plan prices.
# ---------------------------------------------------------------------------------------------


def month_bounds(day: date) -> tuple[date, date]:
    """First and last day of the month `day` lies in."""
    last = _calendar.monthrange(day.year, day.month)[1]
    return day.replace(day=1), day.replace(day=last)


def _days(first: date, last: date) -> int:
    return max((last - first).days + 1, 0)


def _active_days(
    period_start: date, period_end: date, active_from: date | None, active_to: date | None
) -> tuple[date, date, int]:
    if period_end < period_start:
        raise ValueError(f"period_end {period_end} is before period_start {period_start}")
    if active_from is not None and active_to is not None and active_to < active_from:
        raise ValueError(f"active_to {active_to} is before active_from {active_from}")
    first = max(period_start, active_from) if active_from is not None else period_start
    last = min(period_end, active_to) if active_to is not None else period_end
    return first, last, _days(first, last)


def prorate(
    amount: Decimal | int | str,
    *,
    currency: str,
    period_start: date,
    period_end: date,
    active_from: date | None = None,
    active_to: date | None = None,
) -> Price:
    """`amount` × active days / days in the period; all dates inclusive, None = open-ended."""
    full = _decimal(amount, "amount")
    first, last, active = _active_days(period_start, period_end, active_from, active_to)
    total = _days(period_start, period_end)
    share = Decimal(active) / Decimal(total)
    line = PriceLine(share, "period", full, full * active / total, f"{active}/{total} days")
    span = f"{first}–{last}" if active else "not active"
    return _price(currency, [line], f"{full} × {active}/{total} days ({span})")


def free_months_end(start: date, *, months: int) -> date:
    """The last free day of `months` free months from `start` (inclusive); see the docstring.

    With no free months it is the day before `start`, so nothing from `start` on is free.
    """
    if isinstance(months, bool) or not isinstance(months, int) or months < 0:
        raise ValueError(f"months: expected a whole number ≥ 0, got {months!r}")
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    last_day = _calendar.monthrange(year, month)[1]
    if start.day > last_day:
        return date(year, month, last_day)
    return date(year, month, start.day) - timedelta(days=1)


def monthly_charge(
    unit_price: Decimal | int | str,
    *,
    currency: str,
    period_start: date,
    period_end: date,
    quantity: int = 1,
    unit: str = "month",
    active_from: date | None = None,
    active_to: date | None = None,
    free_through: date | None = None,
) -> Price:
    """`quantity` × `unit_price` for the period, prorated by billable day.

    Billable days are the active days after `free_through` (the last free day, if any).
    """
    price = _decimal(unit_price, "unit_price")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        raise ValueError(f"quantity: expected a whole number ≥ 0, got {quantity!r}")
    first, last, _ = _active_days(period_start, period_end, active_from, active_to)
    if free_through is not None:
        first = max(first, free_through + timedelta(days=1))
    billable = _days(first, last)
    total = _days(period_start, period_end)
    exact = price * quantity * billable / total
    note = f"{billable}/{total} days"
    if free_through is not None and free_through >= period_start:
        note += f", free through {free_through}"
    line = PriceLine(Decimal(quantity), unit, price, exact, note)
    return _price(currency, [line], f"{quantity} × {price} per {unit} × {note}")


def per_user_fee(
    users: int,
    *,
    price: Decimal | int | str,
    currency: str,
    period_start: date,
    period_end: date,
    active_from: date | None = None,
    active_to: date | None = None,
) -> Price:
    """A per-user monthly fee; `users` is the count the contract names (e.g. on the 1st)."""
    return monthly_charge(
        price,
        currency=currency,
        period_start=period_start,
        period_end=period_end,
        quantity=users,
        unit="user_month",
        active_from=active_from,
        active_to=active_to,
    )


def addon_month_charge(
    quantity: int,
    *,
    price: Decimal | int | str,
    currency: str,
    per: str,
    period_start: date,
    period_end: date,
    free_from: date | None = None,
    free_months: int = 0,
    active_from: date | None = None,
    active_to: date | None = None,
) -> Price:
    """An add-on's month: `quantity` (administrators, users, 1) × `price`, the first
    `free_months` from `free_from` (the customer's start date) free, prorated by day.

    No `free_from` or no `free_months` means nothing is free (a pack's `free_months_for:
    new_customers` is the caller's to decide: pass 0 for a customer who is not new).
    """
    free_through = (
        free_months_end(free_from, months=free_months)
        if free_from is not None and free_months
        else None
    )
    return monthly_charge(
        price,
        currency=currency,
        period_start=period_start,
        period_end=period_end,
        quantity=quantity,
        unit=per,
        active_from=active_from,
        active_to=active_to,
        free_through=free_through,
    )


def plan_price(prices: Mapping[str, Decimal | int | str], *, segment: str) -> Decimal:
    """The plan's price for a customer segment, else its `all_customers` price."""
    for key in (segment, ALL_CUSTOMERS):
        if key in prices:
            return _decimal(prices[key], f"prices[{key!r}]")
    raise LookupError(f"no price for segment {segment!r} (have {sorted(prices)})")


# ---------------------------------------------------------------------------------------------
# Hour bank.
# ---------------------------------------------------------------------------------------------


def draw_minutes(minutes: Decimal | int, *, draw_unit: str) -> Decimal:
    """The minutes one time entry draws from a bank: `minute`, or rounded up to a started block."""
    spent = _decimal(minutes, "minutes")
    if draw_unit == "minute":
        return spent
    block = _block_minutes(draw_unit)
    if block is None:
        raise ValueError(f"draw_unit: unknown unit {draw_unit!r}")
    blocks, rest = divmod(spent, Decimal(block))
    return (blocks + (1 if rest else 0)) * block


@dataclass(frozen=True)
class HourBankPeriod:
    """One period of an hour bank, all in minutes (exact), and what carries to the next."""

    purchased_minutes: Decimal
    rolled_in_minutes: Decimal
    used_minutes: Decimal
    used_from_rolled: Decimal
    used_from_purchased: Decimal
    remaining_minutes: Decimal
    overage_minutes: Decimal
    rollover_minutes: Decimal
    lapsed_minutes: Decimal
    explanation: str

    @property
    def total_minutes(self) -> Decimal:
        return self.purchased_minutes + self.rolled_in_minutes


def hour_bank_period(
    *,
    purchased_hours: Decimal | int | str,
    rolled_in_minutes: Decimal | int | str,
    used_minutes: Decimal | int,
    rollover_max_percent: Decimal | int | str,
    rollover_basis: str,
    rolled_may_roll_again: bool,
) -> HourBankPeriod:
    """Balance and rollover of one period (rules in the module docstring).

    Purchased time is agreed in hours; everything else is minutes, because a time entry is,
    and because hours would turn 10 minutes into 0.1666… (rollover must feed the next period's
    `rolled_in_minutes` exactly).
    """
    purchased = _decimal(purchased_hours, "purchased_hours") * _HOUR
    rolled = _decimal(rolled_in_minutes, "rolled_in_minutes")
    used = _decimal(used_minutes, "used_minutes")
    percent = _decimal(rollover_max_percent, "rollover_max_percent")
    if min(purchased, rolled, used) < 0:
        raise ValueError("hour bank: purchased, rolled-in and used time must be ≥ 0")
    if not 0 <= percent <= 100:
        raise ValueError(f"rollover_max_percent: expected 0–100, got {rollover_max_percent!r}")
    from_rolled = min(used, rolled)
    from_purchased = min(used - from_rolled, purchased)
    overage = used - from_rolled - from_purchased
    unused_rolled = rolled - from_rolled
    unused_purchased = purchased - from_purchased
    eligible = unused_purchased + (unused_rolled if rolled_may_roll_again else _ZERO)
    if rollover_basis == "period_hours":
        rollover = min(eligible, purchased * percent / 100)
    elif rollover_basis == "unused_hours":
        rollover = eligible * percent / 100
    else:
        raise ValueError(f"rollover_basis: unknown basis {rollover_basis!r}")
    remaining = unused_rolled + unused_purchased
    text = (
        f"{_num(used)} of {_num(purchased + rolled)} min used "
        f"({_num(from_rolled)} rolled in first, then {_num(from_purchased)} purchased); "
        f"{_num(remaining)} left, {_num(overage)} over; "
        f"{_num(rollover)} roll over ({_num(percent)} % basis {rollover_basis}), "
        f"{_num(remaining - rollover)} lapse"
    )
    return HourBankPeriod(
        purchased_minutes=purchased,
        rolled_in_minutes=rolled,
        used_minutes=used,
        used_from_rolled=from_rolled,
        used_from_purchased=from_purchased,
        remaining_minutes=remaining,
        overage_minutes=overage,
        rollover_minutes=rollover,
        lapsed_minutes=remaining - rollover,
        explanation=text,
    )


def price_overage(period: HourBankPeriod, *, steps: Sequence[Step], currency: str) -> Price:
    """Time beyond the bank, at the ordinary rate's steps."""
    return price_time(period.overage_minutes, steps=steps, currency=currency)


def usage_thresholds_crossed(
    *,
    before: Decimal | int,
    after: Decimal | int,
    total: Decimal | int,
    thresholds: Sequence[int] = (80, 100),
) -> tuple[int, ...]:
    """The percentages of `total` that usage reached going from `before` to `after`.

    A threshold is crossed when `before` was below it and `after` is at or above it, so each
    fires once as usage grows; an empty bank (total 0) has no thresholds.
    """
    was, now, whole = (_decimal(v, "usage") for v in (before, after, total))
    if whole <= 0:
        return ()
    return tuple(t for t in thresholds if was * 100 < t * whole <= now * 100)
