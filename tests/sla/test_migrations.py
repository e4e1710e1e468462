"""The data steps of the migrations that introduced `warned_at` and `followed_up_at`: rows
written before them must not be warned again, nor credited twice, nor forgotten."""

import datetime as dt
import importlib

import pytest
from django.apps import apps

from billing.models import PenaltyCredit
from sla.models import AlertKind, SlaAlert
from tests.factories_billing import credit_in
from tests.factories_sla import alert_in, clock_in

NOW = dt.datetime.now(dt.UTC)


def step(module: str, name: str):
    return getattr(importlib.import_module(module), name)


@pytest.mark.django_db
def test_clocks_warned_before_warned_at_existed_take_the_instant_of_their_alert(tenant_a):
    warned = clock_in(tenant_a)
    alert = alert_in(tenant_a, clock=warned, kind=AlertKind.WARNING)
    breached_only = clock_in(tenant_a)
    alert_in(tenant_a, clock=breached_only, kind=AlertKind.BREACH)
    untouched = clock_in(tenant_a)

    step("sla.migrations.0006_fan_out_sweep", "warned_from_alerts")(apps, None)

    for clock in (warned, breached_only, untouched):
        clock.refresh_from_db()
    assert warned.warned_at == alert.fired_at
    assert breached_only.warned_at is None and untouched.warned_at is None


@pytest.mark.django_db
def test_breaches_before_followed_up_at_count_as_followed_up_when_settled(tenant_a):
    credited = credit_in(tenant_a)  # a recent breach with its credit
    credited_alert = alert_in(tenant_a, clock=credited.clock, kind=AlertKind.BREACH)
    old = alert_in(tenant_a, kind=AlertKind.BREACH)
    SlaAlert.objects.filter(pk=old.pk).update(fired_at=NOW - dt.timedelta(days=3))
    recent = alert_in(tenant_a, kind=AlertKind.BREACH)  # maybe not credited yet: left open
    warning = alert_in(tenant_a, kind=AlertKind.WARNING)

    step("billing.migrations.0002_follow_up_existing_breaches", "follow_up_existing")(apps, None)

    for alert in (credited_alert, old, recent, warning):
        alert.refresh_from_db()
    assert credited_alert.followed_up_at == credited_alert.fired_at
    assert old.followed_up_at == old.fired_at
    assert recent.followed_up_at is None  # the catch-up decides it, once
    assert warning.followed_up_at is None
    assert PenaltyCredit.objects.count() == 1
