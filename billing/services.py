"""Penalty credits: compensation a plan grants when an SLA target is breached.

The rule is the plan's `penalty` (see docs/policy-packs.md): which metrics and severities
earn a credit, the amount per breach (fixed, or a share of the customer's monthly fee) and
an optional cap per customer and calendar month (tenant time zone).

Decisions:
- The plan is the subscription active on the local date the case was filed; the
  `penalty_credits` entitlement must be included then.
- The monthly fee is the plan's `PlanPrice` with `per: month` for the customer's segment
  (licence/other customers), else `all_customers`. When a share of the fee is needed (for
  the amount or the cap) and there is no such price, nothing is guessed: the credit is
  recorded with status "needs_amount", no amount and a reason, and the account manager
  sets the amount (`penalty_credit_amount_set`). Nothing is lost; nothing is invented.
- The cap counts open credits of the organisation in the month (same currency). The credit
  that crosses it is reduced to the remainder; one at the cap is recorded at 0.00 with the
  reason "cap reached". Concurrent credits of one customer are serialised by locking the
  organisation row.
- The month is that of the breach instant: `breach_at` (set while the clock ran), else
  `stopped_at` (breached when stopped late), else `due_at`, else now.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from plans.models import CustomerOrganization, PlanPrice, Subscription
from plans.selectors import entitlements_many, subscriptions_active
from sla.models import AlertKind, ClockState, SlaAlert, SlaClock
from supportdesk.models import Role, User

from .models import CreditStatus, PenaltyCredit

CENT = Decimal("0.01")
ENTITLEMENT = "penalty_credits"
MONTHLY = "month"


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def rule_amount(rule: dict | None, fee: Decimal | None) -> Decimal | None:
    """An amount rule (`{kind: fixed, value}` or `{kind: share_of_monthly_fee, percent}`)
    in money; None when it needs a fee that is not known."""
    if not rule:
        return None
    if rule.get("kind") == "fixed":
        return _money(Decimal(str(rule["value"])))
    if rule.get("kind") == "share_of_monthly_fee":
        if fee is None:
            return None
        return _money(fee * Decimal(str(rule["percent"])) / Decimal(100))
    raise ValueError(f"unknown amount rule {rule!r}")


def _breach_instant(clock: SlaClock, at: dt.datetime) -> dt.datetime:
    return clock.breach_at or clock.stopped_at or clock.due_at or at


def _month_of(tenant, instant: dt.datetime) -> dt.date:
    return instant.astimezone(ZoneInfo(tenant.timezone)).date().replace(day=1)


def _filed_on(case) -> dt.date:
    return case.filed_at.astimezone(ZoneInfo(case.tenant.timezone)).date()


@dataclass(frozen=True)
class _Due:
    """A breached clock the plan compensates, with the terms to price it."""

    clock: SlaClock
    subscription: Subscription
    rule: dict
    month: dt.date

    @property
    def organization_id(self) -> int:
        return self.subscription.organization_id

    @property
    def currency(self) -> str:
        return self.subscription.plan.currency


def _credits_due(clocks: Sequence[SlaClock], at: dt.datetime) -> list[_Due]:
    """The clocks whose plan (subscribed when the case was filed) grants a credit for
    their metric and severity; a constant number of queries for any number of clocks."""
    clocks = [clock for clock in clocks if clock.state == ClockState.BREACHED]
    cases = [clock.case for clock in clocks]
    subscriptions = subscriptions_active(
        wanted=[(case.organization, _filed_on(case)) for case in cases]
    )
    rights = entitlements_many(wanted=[(case.organization, case.filed_at) for case in cases])
    out = []
    for clock in clocks:
        case = clock.case
        key = (case.organization_id, _filed_on(case))
        subscription = subscriptions[key]
        rule = subscription.plan.penalty if subscription is not None else None
        if not rule or not rights[key].included(ENTITLEMENT):
            continue
        if clock.metric not in rule.get("metrics", ()):
            continue
        if case.severity.key not in rule.get("severities", ()):
            continue
        month = _month_of(case.tenant, _breach_instant(clock, at))
        out.append(_Due(clock=clock, subscription=subscription, rule=rule, month=month))
    return out


def _monthly_fees(due: Sequence[_Due]) -> dict[tuple[int, str], Decimal]:
    """(plan, segment) -> monthly fee, for the plans of `due`, one query."""
    rows = PlanPrice.objects.filter(
        tenant_id__in={d.clock.tenant_id for d in due},
        plan_id__in={d.subscription.plan_id for d in due},
        per=MONTHLY,
    ).values_list("plan_id", "segment", "amount")
    return {(plan_id, segment): Decimal(amount) for plan_id, segment, amount in rows}


def _fee(fees: dict[tuple[int, str], Decimal], due: _Due) -> Decimal | None:
    """The customer's monthly fee on its plan: the price for its segment (licence / other
    customers), else the plan's price for all customers; None when there is none."""
    customer = due.clock.case.organization
    segment = PlanPrice.Segment.LICENSE if customer.is_license_customer else PlanPrice.Segment.OTHER
    plan = due.subscription.plan_id
    return fees.get((plan, segment), fees.get((plan, PlanPrice.Segment.ALL)))


def _used(due: Sequence[_Due]) -> dict[tuple[int, dt.date, str], Decimal]:
    """Open credits so far per (organisation, month, currency), one query."""
    rows = (
        PenaltyCredit.objects.filter(
            tenant_id__in={d.clock.tenant_id for d in due},
            organization_id__in={d.organization_id for d in due},
            month__in={d.month for d in due},
            status=CreditStatus.OPEN,
        )
        .order_by()
        .values("organization_id", "month", "currency")
        .annotate(total=Sum("amount"))
        .values_list("organization_id", "month", "currency", "total")
    )
    return {(org, month, currency): Decimal(total or 0) for org, month, currency, total in rows}


def penalty_credits_create(*, clocks: Sequence[SlaClock], at: dt.datetime) -> list[PenaltyCredit]:
    """Credit the breached `clocks` whose plan compensates them, once each; returns the
    credits created now (a clock credited before is left as it is).

    Call inside a transaction. Each clock's `case` must be loaded with its tenant,
    organisation and severity (the callers select them). The customers' rows are locked
    in id order, so credits of one customer are priced one at a time and two breaches of
    one month cannot both take the last of the cap; the one-to-one on `clock` is the
    final word on "once".
    """
    credited = set(
        PenaltyCredit.objects.filter(clock__in=clocks).values_list("clock_id", flat=True)
    )
    due = _credits_due([clock for clock in clocks if clock.pk not in credited], at)
    if not due:
        return []
    org_ids = sorted({d.organization_id for d in due})
    list(
        CustomerOrganization.objects.filter(pk__in=org_ids)
        .order_by("pk")
        .select_for_update()
        .values_list("pk", flat=True)
    )
    # Credited by another transaction while we waited for the lock?
    credited = set(
        PenaltyCredit.objects.filter(clock__in=[d.clock for d in due]).values_list(
            "clock_id", flat=True
        )
    )
    due = [d for d in due if d.clock.pk not in credited]
    fees = _monthly_fees(due)
    used = _used(due)
    credits = []
    for d in sorted(due, key=lambda d: (_breach_instant(d.clock, at), d.clock.pk)):
        key = (d.organization_id, d.month, d.currency)
        amount, status, reason = _price(
            rule=d.rule, fee=_fee(fees, d), used=used.get(key, Decimal(0)), currency=d.currency
        )
        if status == CreditStatus.OPEN:
            used[key] = used.get(key, Decimal(0)) + amount
        case = d.clock.case
        credits.append(
            PenaltyCredit(
                tenant_id=case.tenant_id,
                organization_id=d.organization_id,
                subscription=d.subscription,
                case=case,
                clock=d.clock,
                metric=d.clock.metric,
                severity=case.severity.key,
                month=d.month,
                amount=amount,
                currency=d.currency,
                rule=d.rule,
                status=status,
                reason=reason,
                created_at=at,
            )
        )
    return PenaltyCredit.objects.bulk_create(credits)


def penalty_credit_for_breach(*, clock: SlaClock, at: dt.datetime | None = None):
    """The credit for a breached clock, created once; None when the plan grants none.

    Safe to call for any clock, any number of times: a clock that is not breached, a
    customer without the entitlement or rule, or a metric/severity the rule does not
    cover gives None; a second call returns the credit the first one made.
    """
    at = at or timezone.now()
    with transaction.atomic():
        created = penalty_credits_create(clocks=[clock], at=at)
        if created:
            return created[0]
        return PenaltyCredit.objects.for_tenant(clock.tenant).filter(clock=clock).first()


def _price(*, rule, fee, used, currency) -> tuple[Decimal | None, str, str]:
    amount = rule_amount(rule.get("amount"), fee)
    cap_rule = rule.get("cap_per_customer_month")
    cap = rule_amount(cap_rule, fee)
    if amount is None or (cap_rule and cap is None):
        return (
            None,
            CreditStatus.NEEDS_AMOUNT,
            _(
                "The plan has no monthly price for this customer, so %(what)s cannot be "
                "computed; the account manager sets the amount."
            )
            % {"what": _("the amount") if amount is None else _("the monthly cap")},
        )
    if cap is None:
        return amount, CreditStatus.OPEN, ""
    remaining = max(cap - used, Decimal(0))
    if remaining <= 0:
        return Decimal("0.00"), CreditStatus.OPEN, _("cap reached")
    if amount > remaining:
        return (
            _money(remaining),
            CreditStatus.OPEN,
            _("Reduced from %(amount)s to the monthly cap of %(cap)s %(currency)s.")
            % {"amount": amount, "cap": cap, "currency": currency},
        )
    return amount, CreditStatus.OPEN, ""


def penalty_credits_for_alerts(*, alert_ids: Sequence[int], at: dt.datetime) -> int:
    """Follow up breach alerts: credit each breach its plan compensates, and mark every
    alert followed up (credit or not) in the same transaction. Returns credits created.

    Alerts are taken with `SKIP LOCKED` and only while not yet followed up, so a
    duplicate task, the catch-up and a redelivery after a crash never decide twice.
    """
    with transaction.atomic():
        alerts = list(
            SlaAlert.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related(
                "clock__case__tenant", "clock__case__organization", "clock__case__severity"
            )
            .filter(pk__in=list(alert_ids), kind=AlertKind.BREACH, followed_up_at__isnull=True)
            .order_by("pk")
        )
        if not alerts:
            return 0
        clocks = [alert.clock for alert in alerts]
        for clock in clocks:
            clock.case.organization.tenant = clock.case.tenant
        created = penalty_credits_create(clocks=clocks, at=at)
        SlaAlert.objects.filter(pk__in=[alert.pk for alert in alerts]).update(followed_up_at=at)
    return len(created)


FOLLOW_UP_BATCH = 200
FOLLOW_UP_LIMIT = 20_000


def penalty_credits_for_recent_breaches(*, now: dt.datetime) -> int:
    """The catch-up, from beat: follow up every breach alert not followed up yet (the
    task queued after its commit never ran: broker down, worker killed between the two).
    Returns credits created."""
    pending = list(
        SlaAlert.objects.filter(kind=AlertKind.BREACH, followed_up_at__isnull=True)
        .order_by("fired_at", "pk")
        .values_list("pk", flat=True)[:FOLLOW_UP_LIMIT]
    )
    return sum(
        penalty_credits_for_alerts(alert_ids=pending[i : i + FOLLOW_UP_BATCH], at=now)
        for i in range(0, len(pending), FOLLOW_UP_BATCH)
    )


# --- Account manager's corrections ------------------------------------------------------------


def _may_manage(actor: User, credit: PenaltyCredit) -> bool:
    return actor.tenant_id == credit.tenant_id and actor.role in (
        Role.ACCOUNT_MANAGER,
        Role.TENANT_ADMIN,
    )


def penalty_credit_amount_set(
    *, credit: PenaltyCredit, actor: User, amount: Decimal, reason: str = ""
) -> PenaltyCredit:
    """An account manager or tenant admin prices a credit the rule could not (or corrects
    one not yet invoiced); the credit becomes an open ledger entry."""
    if not _may_manage(actor, credit):
        raise PermissionDenied
    if credit.invoiced_at is not None or credit.status == CreditStatus.VOID:
        raise ValidationError({"amount": _("Invoiced or void credits cannot be changed.")})
    amount = Decimal(amount)
    if amount < 0:
        raise ValidationError({"amount": _("The amount cannot be negative.")})
    credit.amount = _money(amount)
    credit.status = CreditStatus.OPEN
    note = _("Amount set by %(who)s.") % {"who": actor.get_full_name() or actor.email}
    credit.reason = " ".join(part for part in (credit.reason, note, reason) if part)
    credit.save(update_fields=["amount", "status", "reason"])
    return credit


def penalty_credit_void(*, credit: PenaltyCredit, actor: User, reason: str) -> PenaltyCredit:
    if not _may_manage(actor, credit):
        raise PermissionDenied
    if credit.invoiced_at is not None:
        raise ValidationError({"status": _("An invoiced credit cannot be voided.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the credit is voided.")})
    credit.status = CreditStatus.VOID
    credit.reason = " ".join(part for part in (credit.reason, reason.strip()) if part)
    credit.save(update_fields=["status", "reason"])
    return credit
