"""Billing's answers to other apps' signals. They only queue work; services decide."""

from __future__ import annotations

from supportdesk.queueing import enqueue


def credit_after_breaches(sender, *, alert_ids: list[int], **kwargs) -> None:
    """Breaches just committed: decide their penalty credits in a task of billing's own.
    If the broker is down the beat catch-up (`credit_breaches`) finds them."""
    from .tasks import credit_breaches_for

    if alert_ids:
        enqueue(
            credit_breaches_for,
            args=[alert_ids],
            what=f"the credit decision of {len(alert_ids)} breaches",
        )
