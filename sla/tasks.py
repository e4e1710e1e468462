"""Background work of the sla app. Thin: the sweep decides, the task runs it."""

from __future__ import annotations

from celery import shared_task

from .sweep import sla_sweep_run


@shared_task(name="sla.tasks.sweep", acks_late=True, ignore_result=True)
def sweep() -> dict:
    """Beat, every 30 s: fire due SLA warnings and breaches. A retry or an overlapping run
    fires nothing twice (one alert per clock and kind, by a database constraint)."""
    run = sla_sweep_run()
    return {"warned": run.warned, "breached": run.breached}
