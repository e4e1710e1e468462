"""Billing's background work. Thin: it calls services."""

from celery import shared_task
from django.utils import timezone

from .services import penalty_credits_for_recent_breaches


@shared_task(name="billing.tasks.credit_breaches", acks_late=True, ignore_result=True)
def credit_breaches() -> int:
    """Penalty credits for the breaches the SLA sweep fired (exactly once per clock)."""
    return penalty_credits_for_recent_breaches(now=timezone.now())
