"""Billing ledger entries. Today: penalty credits for breached SLA targets.

A `PenaltyCredit` is a ledger entry an invoice consumes later (`invoiced_at`). It is
created by `billing.services.penalty_credit_for_breach` exactly once per breached clock
(the one-to-one on `clock` makes the database enforce it).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from plans.vocabulary import CURRENCY_CHOICES
from supportdesk.tenancy import TenantOwned


class CreditStatus(models.TextChoices):
    OPEN = "open", _("Open")  # a ledger entry with an amount, waiting for an invoice
    NEEDS_AMOUNT = "needs_amount", _("Needs an amount")  # the rule could not price it
    VOID = "void", _("Void")


class PenaltyCredit(TenantOwned):
    """Compensation a customer earns for one breached SLA target (case × metric)."""

    organization = models.ForeignKey(
        "plans.CustomerOrganization",
        on_delete=models.PROTECT,
        related_name="penalty_credits",
        verbose_name=_("customer organisation"),
    )
    subscription = models.ForeignKey(
        "plans.Subscription",
        on_delete=models.PROTECT,
        related_name="penalty_credits",
        verbose_name=_("subscription"),
    )
    case = models.ForeignKey(
        "tickets.Case",
        on_delete=models.PROTECT,
        related_name="penalty_credits",
        verbose_name=_("case"),
    )
    clock = models.OneToOneField(
        "sla.SlaClock",
        on_delete=models.PROTECT,
        related_name="penalty_credit",
        verbose_name=_("SLA clock"),
    )
    metric = models.CharField(_("metric"), max_length=20)
    severity = models.CharField(_("severity"), max_length=20)
    month = models.DateField(
        _("month"), help_text=_("First day of the month of the breach (tenant time zone).")
    )
    amount = models.DecimalField(
        _("amount"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Empty while the amount is not known (status “needs an amount”)."),
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    rule = models.JSONField(_("penalty rule"), help_text=_("The plan's rule when created."))
    status = models.CharField(
        _("status"), max_length=20, choices=CreditStatus.choices, default=CreditStatus.OPEN
    )
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("created"))
    invoiced_at = models.DateTimeField(_("invoiced"), null=True, blank=True)

    class Meta:
        ordering = ["-month", "organization", "created_at", "pk"]
        verbose_name = _("penalty credit")
        verbose_name_plural = _("penalty credits")
        indexes = [
            models.Index(fields=["tenant", "organization", "month"], name="credit_org_month")
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="open") | models.Q(amount__isnull=False),
                name="credit_open_has_amount",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__isnull=True) | models.Q(amount__gte=0),
                name="credit_amount_not_negative",
            ),
        ]

    def __str__(self) -> str:
        amount = f"{self.amount} {self.currency}" if self.amount is not None else "?"
        return f"{self.organization} {self.month:%Y-%m}: {amount} ({self.status})"

    @property
    def is_placeholder(self) -> bool:
        """The amount rule is a documented default, not a contract term."""
        return bool((self.rule or {}).get("placeholder"))
