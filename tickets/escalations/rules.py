"""Deciding an escalation: what each request sets in motion under the case's plan.

Reads only: `decide` returns unsaved escalations (None where the plan grants nothing) for
`services.escalations_apply` to write. The rules are in the `services` module docstring.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from plans.models import Plan
from plans.selectors import entitlements_many
from supportdesk.models import User
from tickets.escalations.selectors import escalation_rule_for, filing_date, plans_at_filing
from tickets.models import Case, CaseEvent, Escalation, EscalationAction, EscalationTrigger

DEFAULT_VENDOR = "platform vendor"
ACTION_ENTITLEMENT = {
    EscalationAction.OPEN_TASK_FORCE: "task_force",
    EscalationAction.EXTERNAL_VENDOR: "platform_vendor_escalation",
}
CUSTOMER_RIGHTS = ("escalation_right", "platform_vendor_escalation")


def _allowed_actions(rule: dict, rights, trigger: str) -> list[str]:
    if trigger == EscalationTrigger.CUSTOMER_REQUEST and not any(
        rights.has(key) for key in CUSTOMER_RIGHTS
    ):
        return []
    actions = []
    for action in rule.get("actions") or []:
        needed = ACTION_ENTITLEMENT.get(action)
        if needed is None or rights.has(needed):
            actions.append(action)
    return actions


@dataclass(frozen=True)
class EscalationRequest:
    """One case to escalate. The caller holds the case's row lock and loaded it with
    `tenant`, `severity`, `case_type` and `organization__account_manager`."""

    case: Case
    trigger: str
    actor: User | None = None
    reason: str = ""
    event: CaseEvent | None = None  # the ESCALATED event the caller wrote, if any
    external_reference: str = ""


@dataclass
class Step:
    """One granted escalation on its way to being written."""

    request: EscalationRequest
    plan: Plan
    escalation: Escalation
    event: CaseEvent | None = None


def _prior(case_ids: Iterable[int]) -> tuple[dict[int, int], set[int]]:
    """(top level per case, cases already escalated by a breach)."""
    top: dict[int, int] = {}
    by_breach: set[int] = set()
    for case_id, trigger, level in Escalation.objects.filter(case_id__in=case_ids).values_list(
        "case_id", "trigger", "level"
    ):
        top[case_id] = max(top.get(case_id, 0), level)
        if trigger == EscalationTrigger.BREACH:
            by_breach.add(case_id)
    return top, by_breach


def decide(requests: Sequence[EscalationRequest], at: datetime) -> list[Step | None]:
    """What each request sets in motion under its plan, as unsaved escalations."""
    cases = [r.case for r in requests]
    plans = plans_at_filing(cases)
    rights = entitlements_many(wanted=[(case.organization, case.filed_at) for case in cases])
    top, by_breach = _prior(plans)
    steps: list[Step | None] = []
    for request in requests:
        case, trigger = request.case, request.trigger
        plan = plans[case.pk]
        rule = escalation_rule_for(case=case, trigger=trigger, plan=plan) if plan else None
        on = filing_date(case)
        actions = (
            _allowed_actions(rule, rights[(case.organization_id, on)], trigger) if rule else []
        )
        if not actions or (trigger == EscalationTrigger.BREACH and case.pk in by_breach):
            steps.append(None)  # nothing granted, or a breach escalated this case already
            continue
        vendor = ""
        if EscalationAction.EXTERNAL_VENDOR in actions:
            vendor = (plan.vendor_handoff or {}).get("vendor") or DEFAULT_VENDOR
        escalation = Escalation(
            tenant_id=case.tenant_id,
            case=case,
            trigger=trigger,
            actions=actions,
            level=top.get(case.pk, 0) + 1,
            reason=request.reason,
            external_vendor=vendor,
            external_reference=request.external_reference.strip() if vendor else "",
            created_at=at,
            created_by=request.actor,
        )
        steps.append(Step(request=request, plan=plan, escalation=escalation))
    return steps
