"""Factories for escalations (joined into TENANT_OWNED_FACTORIES).

Real escalations come from `tickets.escalations.escalation_apply`; this makes a bare row
for scoping tests. `tests.factories` is imported lazily: it imports this module at its end.
"""

import datetime as dt

from tickets.models import Escalation


def escalation_in(tenant, case=None) -> Escalation:
    from tests.factories import CaseFactory, OrganizationFactory

    case = case or CaseFactory(organization=OrganizationFactory(tenant=tenant))
    return Escalation.objects.create(
        tenant=tenant,
        case=case,
        trigger="agent",
        actions=["notify_account_manager"],
        level=1,
        created_at=dt.datetime.now(dt.UTC),
    )


TENANT_OWNED = {Escalation: lambda tenant: escalation_in(tenant)}
