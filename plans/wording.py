"""Targets in words, in the viewer's language ("within 2 working hours")."""

from __future__ import annotations

from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .models import Commitment, TargetUnit

METRIC_LABELS = {
    "response": gettext_lazy("Response"),
    "solution_started": gettext_lazy("Solution started"),
    "resolution": gettext_lazy("Resolution"),
    "software_fix": gettext_lazy("Software fix"),
}


def _number(value: Decimal) -> str:
    """0.5 reads "0,5" in Danish, Norwegian and Swedish."""
    return formats.number_format(value.normalize())


def target_in_words(*, commitment: str, value: Decimal | None, unit: str) -> str:
    if commitment == Commitment.CASE_BY_CASE:
        return _("agreed case by case")
    if commitment == Commitment.FUTURE_VERSION:
        return _("in a future version")
    if commitment == Commitment.NONE or value is None:
        return _("no commitment")
    count = 1 if value == 1 else 2  # gettext plural forms want an int; 0.5 reads as plural
    n = _number(value)
    phrases = {
        TargetUnit.WORKING_HOURS: ngettext(
            "within %(n)s working hour", "within %(n)s working hours", count
        ),
        TargetUnit.WORKING_DAYS: ngettext(
            "within %(n)s working day", "within %(n)s working days", count
        ),
        TargetUnit.CALENDAR_HOURS: ngettext("within %(n)s hour", "within %(n)s hours", count),
        TargetUnit.CALENDAR_DAYS: ngettext("within %(n)s day", "within %(n)s days", count),
        TargetUnit.CALENDAR_MONTHS: ngettext("within %(n)s month", "within %(n)s months", count),
    }
    return phrases[unit] % {"n": n}


def metric_label(metric: str) -> str:
    return str(METRIC_LABELS.get(metric, metric))


METRIC_ORDER = ("response", "solution_started", "resolution", "software_fix")


def contract_rows(contract) -> list[dict]:
    """One row per severity: its name and each metric's target in words, for the pages."""
    rows = []
    for severity in contract.severities:
        by_metric = {t.metric: t for t in contract.targets.get(severity.key, [])}
        rows.append(
            {
                "severity": severity,
                "targets": [
                    {
                        "metric": metric_label(metric),
                        "text": target_in_words(
                            commitment=by_metric[metric].commitment,
                            value=by_metric[metric].value,
                            unit=by_metric[metric].unit,
                        ),
                        "source": by_metric[metric].source,
                    }
                    for metric in METRIC_ORDER
                    if metric in by_metric
                ],
            }
        )
    return rows


def entitlement_rows(contract) -> list[dict]:
    from .models import EntitlementMode

    labels = dict(EntitlementMode.choices)
    return [
        {"key": key, "label": key.replace("_", " ").capitalize(), "mode": labels.get(mode, mode)}
        for key, mode in sorted(contract.entitlements.items())
        if mode != EntitlementMode.NOT_INCLUDED
    ]


def contract_context(organization, *, show_sources: bool = False) -> dict:
    """Template context for `plans/_contract.html`, for the customer's terms right now."""
    from django.utils import timezone

    from .selectors import contract_for

    contract = contract_for(customer=organization, at=timezone.now())
    return {
        "contract": contract,
        "contract_rows": contract_rows(contract),
        "entitlement_rows": entitlement_rows(contract),
        "show_sources": show_sources,
    }
