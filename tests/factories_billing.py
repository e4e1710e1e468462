"""Factories for the billing models (joined into TENANT_OWNED_FACTORIES).

Real credits come from `billing.services.penalty_credit_for_breach`; this makes a bare
row for scoping tests. `tests.factories` is imported lazily: it imports this module at
its end.
"""

import datetime as dt
from decimal import Decimal

from billing.models import CreditStatus, PenaltyCredit
from sla.models import ClockState, SlaClock


def credit_in(tenant, **fields) -> PenaltyCredit:
    from tests.factories import CaseFactory, OrganizationFactory, SubscriptionFactory

    organization = fields.pop("organization", None) or OrganizationFactory(tenant=tenant)
    subscription = SubscriptionFactory(organization=organization)
    case = CaseFactory(organization=organization)
    now = dt.datetime.now(dt.UTC)
    clock = SlaClock.objects.create(
        tenant=tenant,
        case=case,
        metric="response",
        state=ClockState.BREACHED,
        target_value=1,
        target_unit="working_hours",
        target_seconds=3600,
        source="test",
        started_at=now,
    )
    values = {
        "tenant": tenant,
        "organization": organization,
        "subscription": subscription,
        "case": case,
        "clock": clock,
        "metric": "response",
        "severity": case.severity.key,
        "month": now.date().replace(day=1),
        "amount": Decimal("100.00"),
        "currency": "DKK",
        "rule": {"amount": {"kind": "fixed", "value": "100.00"}},
        "status": CreditStatus.OPEN,
        "created_at": now,
    }
    values.update(fields)
    return PenaltyCredit.objects.create(**values)


TENANT_OWNED = {PenaltyCredit: credit_in}
