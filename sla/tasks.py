"""Background work of the sla app. Thin: the sweep and `sla.alerts` decide, the tasks run them."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from .alerts import RETRYABLE, alerts_drain
from .sweep import SWEEP_INTERVAL, sla_sweep_dispatch

# Shorter than the sweep interval: a task never holds a worker past the next sweep.
FIRE_BUDGET = timedelta(seconds=SWEEP_INTERVAL - 5)


@shared_task(name="sla.tasks.sweep", acks_late=True, ignore_result=True)
def sweep() -> dict:
    """Beat, every 30 s: queue one `fire_due` per 100 cases with due warnings or breaches.
    Reads stored instants only; a retry or an overlapping run queues tasks that find
    nothing left to claim."""

    def enqueue(kind: str) -> None:
        # A firing task older than two sweeps is dropped: the newer sweep queued its own.
        fire_due.apply_async(kwargs={"kind": kind}, expires=2 * SWEEP_INTERVAL)

    run = sla_sweep_dispatch(now=timezone.now(), enqueue=enqueue)
    return {
        "warnings_due": run.warnings_due,
        "breaches_due": run.breaches_due,
        "batches": run.batches,
    }


@shared_task(
    name="sla.tasks.fire_due",
    acks_late=True,
    ignore_result=True,
    autoretry_for=RETRYABLE,
    retry_backoff=True,
    max_retries=5,
)
def fire_due(kind: str) -> dict:
    """Claim due `kind` clocks 100 cases at a time, one transaction each, until none are
    left or `FIRE_BUDGET` is spent (the next sweep queues more). Exactly once per clock
    and kind whatever the redeliveries (database constraint)."""
    fired = alerts_drain(kind=kind, budget=FIRE_BUDGET)
    return {"alerts": fired.alerts, "cases": fired.cases, "failed": fired.failed}
