"""Tenant-scoped reads of penalty credits.

Staff (agents, account managers, tenant admins) see their tenant's credits; a contact sees
its own organisation's; anyone else sees none.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet

from supportdesk.models import User

from .models import CreditStatus, PenaltyCredit


def credit_list(
    *, actor: User, organization_id: int | None = None, month: dt.date | None = None
) -> QuerySet[PenaltyCredit]:
    qs = PenaltyCredit.objects.for_tenant(actor.tenant).select_related(
        "organization", "case", "clock", "subscription__plan"
    )
    if actor.is_contact:
        qs = qs.filter(organization__contacts__user=actor)
    elif not actor.is_desk_staff:
        return qs.none()
    if organization_id is not None:
        qs = qs.filter(organization_id=organization_id)
    if month is not None:
        qs = qs.filter(month=month.replace(day=1))
    return qs.order_by("-month", "organization__name", "created_at", "pk")


@dataclass
class CreditGroup:
    """One customer's credits in one month, with open totals per currency."""

    organization: object
    month: dt.date
    credits: list[PenaltyCredit] = field(default_factory=list)
    totals: dict[str, Decimal] = field(default_factory=dict)
    needs_amount: int = 0


def credits_by_customer_month(credits) -> list[CreditGroup]:
    groups: dict[tuple[int, dt.date], CreditGroup] = {}
    for credit in credits:
        key = (credit.organization_id, credit.month)
        group = groups.get(key)
        if group is None:
            group = groups[key] = CreditGroup(organization=credit.organization, month=credit.month)
        group.credits.append(credit)
        if credit.status == CreditStatus.OPEN:
            group.totals[credit.currency] = group.totals.get(credit.currency, Decimal(0)) + (
                credit.amount
            )
        elif credit.status == CreditStatus.NEEDS_AMOUNT:
            group.needs_amount += 1
    return list(groups.values())


def totals_by_currency(credits) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for credit in credits:
        if credit.status == CreditStatus.OPEN:
            totals[credit.currency] += credit.amount
    return dict(sorted(totals.items()))
