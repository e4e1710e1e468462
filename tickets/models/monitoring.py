"""Alerts from customers' monitoring systems (Pector, Vivant).

`MonitoringDelivery` is every webhook call as received, unique per customer and delivery
id, so a replayed delivery returns its first result. `MonitoringAlert` is one alert key of
one customer while it is open: at most one open row per key (a partial unique constraint),
which is what keeps two concurrent firings from opening two outage cases.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from supportdesk.tenancy import TenantOwned

__all__ = ["AlertStatus", "DeliveryOutcome", "MonitoringAlert", "MonitoringDelivery"]


class AlertStatus(models.TextChoices):
    FIRING = "firing", _("Firing")
    RESOLVED = "resolved", _("Resolved")


class DeliveryOutcome(models.TextChoices):
    CASE_OPENED = "case_opened", _("Outage case opened")
    REPEATED = "repeated", _("Repeat noted on the open case")
    RESOLVED = "resolved", _("Alert resolved")
    NO_OPEN_ALERT = "no_open_alert", _("Resolved, but no alert was open")


class MonitoringAlert(TenantOwned):
    """One alert key of one customer, from its first firing until it is closed.

    Closed by a "resolved" alert (`resolved_at` set) or, at the next firing, because the
    agents finished the case (the next firing then opens a new case).
    """

    organization = models.ForeignKey(
        "plans.CustomerOrganization",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("customer"),
    )
    alert_key = models.CharField(_("alert key"), max_length=200)
    case = models.ForeignKey(
        "tickets.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("case"),
    )
    is_open = models.BooleanField(_("open"), default=True)
    opened_at = models.DateTimeField(_("opened"))
    last_seen_at = models.DateTimeField(_("last seen"))
    repeat_count = models.PositiveIntegerField(_("repeats"), default=0)
    resolved_at = models.DateTimeField(_("resolved by the monitoring"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        verbose_name = _("monitoring alert")
        verbose_name_plural = _("monitoring alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "organization", "alert_key"],
                condition=models.Q(is_open=True),
                name="monitoringalert_one_open_per_key",
                violation_error_message=_("This alert is open already."),
            ),
            models.CheckConstraint(
                condition=models.Q(is_open=True, closed_at__isnull=True)
                | models.Q(is_open=False, closed_at__isnull=False),
                name="monitoringalert_closed_iff_not_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.alert_key} ({self.organization_id})"


class MonitoringDelivery(TenantOwned):
    """One webhook call as received and what it did; a replay of it changes nothing."""

    token = models.ForeignKey(
        "tickets.IntakeToken",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("token"),
    )
    organization = models.ForeignKey(
        "plans.CustomerOrganization",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("customer"),
    )
    delivery_id = models.CharField(_("delivery id"), max_length=100)
    alert_key = models.CharField(_("alert key"), max_length=200)
    status = models.CharField(_("status"), max_length=20, choices=AlertStatus.choices)
    payload = models.JSONField(_("payload"), default=dict)
    received_at = models.DateTimeField(_("received"))
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=DeliveryOutcome.choices, blank=True
    )
    alert = models.ForeignKey(
        MonitoringAlert,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("alert"),
    )
    case = models.ForeignKey(
        "tickets.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("case"),
    )

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("monitoring delivery")
        verbose_name_plural = _("monitoring deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "organization", "delivery_id"],
                name="monitoringdelivery_unique_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.alert_key} {self.status}"
