"""Factories for the SLA sweep models (joined into TENANT_OWNED_FACTORIES).

Real alerts come from `sla.sweep.sla_sweep`; these make bare rows for scoping tests.
`tests.factories` is imported lazily: it imports this module at its end.
"""

import datetime as dt

from sla.models import AlertKind, SlaAlert, SlaClock


def clock_in(tenant) -> SlaClock:
    from tests.factories import TENANT_OWNED_FACTORIES

    return TENANT_OWNED_FACTORIES[SlaClock](tenant)


def alert_in(tenant, clock=None, kind=AlertKind.WARNING) -> SlaAlert:
    clock = clock or clock_in(tenant)
    return SlaAlert.objects.create(
        tenant=tenant, clock=clock, kind=kind, fired_at=dt.datetime.now(dt.UTC)
    )


TENANT_OWNED = {SlaAlert: alert_in}
