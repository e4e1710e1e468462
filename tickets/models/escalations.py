"""Escalations the plan's policy pack grants: who escalated, what it set in motion.

One row per escalation of a case. `level` counts the case's escalations (1, 2, ...);
(case, trigger, level) is unique, and a breach escalates a case at most once, so a
retried or overlapping SLA sweep cannot escalate twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from supportdesk.tenancy import TenantOwned

__all__ = ["Escalation", "EscalationAction", "EscalationTrigger"]


class EscalationTrigger(models.TextChoices):
    CUSTOMER_REQUEST = "customer_request", _("Requested by the customer")
    AGENT = "agent", _("Escalated by an agent")
    BREACH = "breach", _("SLA breach")


class EscalationAction(models.TextChoices):
    NOTIFY_SDM = "notify_service_delivery_manager", _("Service delivery manager notified")
    NOTIFY_ACCOUNT_MANAGER = "notify_account_manager", _("Account manager notified")
    OPEN_TASK_FORCE = "open_task_force", _("Task force opened")
    NEXT_TIER = "escalate_to_next_tier", _("Escalated to the next tier")
    EXTERNAL_VENDOR = "escalate_to_external_vendor", _("Escalated to the platform vendor")


class Escalation(TenantOwned):
    case = models.ForeignKey(
        "tickets.Case", on_delete=models.CASCADE, related_name="escalations", verbose_name=_("case")
    )
    trigger = models.CharField(_("trigger"), max_length=20, choices=EscalationTrigger.choices)
    actions = models.JSONField(_("actions"), default=list, blank=True)
    level = models.PositiveSmallIntegerField(_("level"), default=1)
    reason = models.TextField(_("reason"), blank=True)
    external_vendor = models.CharField(_("platform vendor"), max_length=200, blank=True)
    external_reference = models.CharField(_("vendor's reference"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("escalated"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("escalated by"),
    )

    class Meta:
        ordering = ["case", "level"]
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "trigger", "level"], name="escalation_unique_level"
            ),
            # "A breach escalates a case once", whichever clock breaches first.
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(trigger="breach"),
                name="escalation_once_per_case_on_breach",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.trigger} L{self.level}"

    @property
    def to_external_vendor(self) -> bool:
        return EscalationAction.EXTERNAL_VENDOR in self.actions

    @property
    def opens_task_force(self) -> bool:
        return EscalationAction.OPEN_TASK_FORCE in self.actions
