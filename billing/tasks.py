"""Billing's background work. Thin: it calls services."""

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from .services import penalty_credits_for_alerts, penalty_credits_for_recent_breaches


@shared_task(
    name="billing.tasks.credit_breaches_for",
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
)
def credit_breaches_for(alert_ids: list[int]) -> int:
    """Queued when breaches commit: their penalty credits, exactly once per clock."""
    return penalty_credits_for_alerts(alert_ids=alert_ids, at=timezone.now())


@shared_task(name="billing.tasks.credit_breaches", acks_late=True, ignore_result=True)
def credit_breaches() -> int:
    """Beat, every minute: follow up the breaches whose own task never ran (broker down
    when they committed, worker killed in between). Exactly once per clock."""
    return penalty_credits_for_recent_breaches(now=timezone.now())
