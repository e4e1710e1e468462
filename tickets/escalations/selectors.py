"""Reading escalations and the plan rules behind them: the plan in force at a case's filing,
the rule that matches a case, a case's escalations and its task force clock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils import timezone

from plans.models import Plan
from plans.selectors import subscriptions_active
from sla.models import SlaClock
from tickets.models import Case, Escalation

TASK_FORCE_METRIC = "task_force"
DEFAULT_KIND = "incident"


def filing_date(case: Case) -> date:
    """The case's filing date in its tenant's zone: the day whose plan governs it."""
    return timezone.localtime(case.filed_at, ZoneInfo(case.tenant.timezone)).date()


def plan_at_filing(*, case: Case) -> Plan | None:
    """The plan subscribed on the case's local filing date (as for its clocks)."""
    return plans_at_filing([case])[case.pk]


def case_kind(case: Case) -> str:
    return (case.case_type.kind if case.case_type_id else "") or DEFAULT_KIND


def escalation_rule_for(*, case: Case, trigger: str, plan: Plan | None = None) -> dict | None:
    """The first rule of the plan's escalation block matching this case, or None."""
    plan = plan if plan is not None else plan_at_filing(case=case)
    rules = ((plan.escalation or {}).get("rules") or []) if plan is not None else []
    severity, kind = case.severity.key, case_kind(case)
    for rule in rules:
        if (
            rule.get("trigger") == trigger
            and severity in [str(s) for s in rule.get("severities") or []]
            and kind in (rule.get("case_kinds") or [])
        ):
            return rule
    return None


def escalation_list(*, case: Case) -> QuerySet[Escalation]:
    return Escalation.objects.for_tenant(case.tenant).filter(case=case).select_related("created_by")


def task_force_clock(*, case: Case) -> SlaClock | None:
    return case.clocks.filter(metric=TASK_FORCE_METRIC).first()


def plans_at_filing(cases: Sequence[Case]) -> dict[int, Plan | None]:
    """Case pk -> the plan subscribed on its filing date, in one read for many cases."""
    wanted = {case.pk: (case.organization, filing_date(case)) for case in cases}
    active = subscriptions_active(wanted=wanted.values())
    return {
        pk: (sub.plan if (sub := active[(org.pk, on)]) is not None else None)
        for pk, (org, on) in wanted.items()
    }
