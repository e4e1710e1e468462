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
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from plans.models import CustomerOrganization, PlanPrice
from plans.selectors import entitlements_for, subscription_active
from sla.models import ClockState, SlaAlert, SlaClock
from supportdesk.models import Role, User

from .models import CreditStatus, PenaltyCredit

CENT = Decimal("0.01")
ENTITLEMENT = "penalty_credits"
MONTHLY = "month"


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def monthly_fee(*, subscription) -> Decimal | None:
    """The customer's monthly fee on its plan, or None when the plan has no monthly price."""
    customer = subscription.organization
    segment = PlanPrice.Segment.LICENSE if customer.is_license_customer else PlanPrice.Segment.OTHER
    prices = dict(
        PlanPrice.objects.for_tenant(subscription.tenant)
        .filter(plan=subscription.plan, per=MONTHLY)
        .values_list("segment", "amount")
    )
    fee = prices.get(segment, prices.get(PlanPrice.Segment.ALL))
    return None if fee is None else Decimal(fee)


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


def _used_in_month(*, organization, month: dt.date, currency: str) -> Decimal:
    total = (
        PenaltyCredit.objects.for_tenant(organization.tenant)
        .filter(organization=organization, month=month, currency=currency, status=CreditStatus.OPEN)
        .aggregate(total=Sum("amount"))["total"]
    )
    return Decimal(total or 0)


def _existing(clock: SlaClock) -> PenaltyCredit | None:
    return PenaltyCredit.objects.for_tenant(clock.tenant).filter(clock=clock).first()


def penalty_credit_for_breach(*, clock: SlaClock, at: dt.datetime | None = None):
    """The credit for a breached clock, created once; None when the plan grants none.

    Safe to call for any clock, any number of times: a clock that is not breached, a
    customer without the entitlement or rule, or a metric/severity the rule does not
    cover gives None; a second call returns the credit the first one made.
    """
    at = at or timezone.now()
    existing = _existing(clock)
    if existing is not None:
        return existing
    if clock.state != ClockState.BREACHED:
        return None
    case = clock.case
    customer = case.organization
    tenant = case.tenant
    filed_on = case.filed_at.astimezone(ZoneInfo(tenant.timezone)).date()
    subscription = subscription_active(customer=customer, on=filed_on)
    if subscription is None:
        return None
    rule = subscription.plan.penalty
    if not rule:
        return None
    if not entitlements_for(customer=customer, at=case.filed_at).included(ENTITLEMENT):
        return None
    severity = case.severity.key
    if clock.metric not in rule.get("metrics", ()) or severity not in rule.get("severities", ()):
        return None

    currency = subscription.plan.currency
    month = _month_of(tenant, _breach_instant(clock, at))
    with transaction.atomic():
        # One customer's credits are priced one at a time, so two breaches of one month
        # cannot both take the last of the cap.
        CustomerOrganization.objects.for_tenant(tenant).select_for_update().get(pk=customer.pk)
        existing = _existing(clock)
        if existing is not None:
            return existing
        amount, status, reason = _price(
            rule=rule, subscription=subscription, month=month, currency=currency
        )
        try:
            with transaction.atomic():
                return PenaltyCredit.objects.create(
                    tenant=tenant,
                    organization=customer,
                    subscription=subscription,
                    case=case,
                    clock=clock,
                    metric=clock.metric,
                    severity=severity,
                    month=month,
                    amount=amount,
                    currency=currency,
                    rule=rule,
                    status=status,
                    reason=reason,
                    created_at=at,
                )
        except IntegrityError:
            existing = _existing(clock)
            if existing is None:
                raise
            return existing


def _price(*, rule, subscription, month, currency) -> tuple[Decimal | None, str, str]:
    fee = monthly_fee(subscription=subscription)
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
    remaining = max(
        cap
        - _used_in_month(organization=subscription.organization, month=month, currency=currency),
        Decimal(0),
    )
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


def penalty_credits_for_recent_breaches(
    *, now: dt.datetime, window: dt.timedelta = dt.timedelta(days=2)
) -> int:
    """Credit every breach the SLA sweep fired in the last `window` that has no credit yet.

    Runs after the sweep, from beat: a crash between the breach and its credit is made good
    on the next run, and the one-credit-per-clock constraint keeps retries harmless.
    """
    alerts = (
        SlaAlert.objects.filter(kind="breach", fired_at__gte=now - window)
        .filter(clock__penalty_credit__isnull=True)
        .select_related("clock")
        .order_by("fired_at")
    )
    created = 0
    for alert in alerts.iterator():
        if penalty_credit_for_breach(clock=alert.clock, at=now) is not None:
            created += 1
    return created
