"""Escalations per plan, as the policy pack's `escalation` block says (issue 7, point 3).

`escalation_apply` is the one entry: `case_escalate` calls it for a customer's or an
agent's escalation, the SLA sweep (`sla.sweep._fire`) for a breach, in the caller's
transaction. The plan is the one subscribed at the case's filing (as for its clocks).

Decisions:
- A rule matches on trigger, the case's severity key and its case kind (`case_type.kind`;
  no case type counts as "incident"). No plan rule, or no entitlement -> no escalation
  (None). Per action: a customer request needs `escalation_right` or
  `platform_vendor_escalation`; `open_task_force` needs `task_force`;
  `escalate_to_external_vendor` needs `platform_vendor_escalation`.
- `notify_service_delivery_manager` / `notify_account_manager` notify the customer's
  account manager (the desk's SDM, as in the sweep); someone already told about the same
  escalation event is not told twice.
- `open_task_force` starts an SLA clock of metric "task_force": `task_force.within`
  wall-clock hours from the escalation instant, 24/7 in the tenant's zone, never paused
  (`sla.services.OWN_DEADLINE_METRICS`). An agent recording "task force assembled"
  stops it (met, or breached if late); the sweep warns and breaches it like any clock.
- `escalate_to_external_vendor` records the platform vendor (the plan's
  `vendor_handoff.vendor`, else "platform vendor"); the vendor's reference can be given
  at once or recorded later by an agent (`escalation_set_reference`).
- A breach escalates a case once, whichever clock breaches first; a breach of the task
  force clock itself does not escalate again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from plans.models import Plan
from plans.selectors import (
    always_open_calendar,
    entitlements_many,
    policy_for,
    subscriptions_active,
)
from sla.clocks import schedule
from sla.models import ClockState, SlaClock
from sla.services import clock_stop
from supportdesk.models import Role, User
from tickets.models import (
    Case,
    CaseEvent,
    Escalation,
    EscalationAction,
    EscalationTrigger,
    EventKind,
    Notification,
    NotificationKind,
)
from tickets.notifications.services import Notice, notify_many

TASK_FORCE_METRIC = "task_force"
DEFAULT_VENDOR = "platform vendor"
DEFAULT_KIND = "incident"
NOTIFY_ACTIONS = (EscalationAction.NOTIFY_SDM, EscalationAction.NOTIFY_ACCOUNT_MANAGER)
ACTION_ENTITLEMENT = {
    EscalationAction.OPEN_TASK_FORCE: "task_force",
    EscalationAction.EXTERNAL_VENDOR: "platform_vendor_escalation",
}
CUSTOMER_RIGHTS = ("escalation_right", "platform_vendor_escalation")


# --- selectors --------------------------------------------------------------------------------


def plan_at_filing(*, case: Case) -> Plan | None:
    """The plan subscribed on the case's local filing date (as for its clocks)."""
    return _plans_at_filing([case])[case.pk]


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


# --- services ---------------------------------------------------------------------------------


def _zone(case: Case):
    from zoneinfo import ZoneInfo

    return ZoneInfo(case.tenant.timezone)


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
class _Step:
    request: EscalationRequest
    plan: Plan
    escalation: Escalation
    event: CaseEvent | None = None


def _plans_at_filing(cases: Sequence[Case]) -> dict[int, Plan | None]:
    wanted = {
        case.pk: (case.organization, timezone.localtime(case.filed_at, _zone(case)).date())
        for case in cases
    }
    active = subscriptions_active(wanted=wanted.values())
    return {
        pk: (sub.plan if (sub := active[(org.pk, on)]) is not None else None)
        for pk, (org, on) in wanted.items()
    }


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


def _decide(requests: Sequence[EscalationRequest], at: datetime) -> list[_Step | None]:
    """What each request sets in motion under its plan, as unsaved escalations."""
    cases = [r.case for r in requests]
    plans = _plans_at_filing(cases)
    rights = entitlements_many(wanted=[(case.organization, case.filed_at) for case in cases])
    top, by_breach = _prior(plans)
    steps: list[_Step | None] = []
    for request in requests:
        case, trigger = request.case, request.trigger
        plan = plans[case.pk]
        rule = escalation_rule_for(case=case, trigger=trigger, plan=plan) if plan else None
        on = timezone.localtime(case.filed_at, _zone(case)).date()
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
        steps.append(_Step(request=request, plan=plan, escalation=escalation))
    return steps


def _write_events(steps: list[_Step], at: datetime) -> None:
    """The caller's ESCALATED event, or an internal one per escalation (a breach's)."""
    missing = []
    for step in steps:
        step.event = step.request.event
        if step.event is None:
            escalation = step.escalation
            step.event = CaseEvent(
                tenant_id=escalation.tenant_id,
                case=escalation.case,
                kind=EventKind.ESCALATED,
                actor=step.request.actor,
                public=False,
                body=step.request.reason,
                data={
                    "escalation": escalation.pk,
                    "trigger": escalation.trigger,
                    "level": escalation.level,
                },
                created_at=at,
            )
            missing.append(step.event)
    CaseEvent.objects.bulk_create(missing)


def _open_task_forces(steps: list[_Step], at: datetime) -> None:
    """`open_task_force`: a clock of `task_force.within` wall-clock hours, once per case."""
    wanted = [s for s in steps if EscalationAction.OPEN_TASK_FORCE in s.escalation.actions]
    if not wanted:
        return
    opened = set(
        SlaClock.objects.filter(
            case_id__in=[s.escalation.case_id for s in wanted], metric=TASK_FORCE_METRIC
        ).values_list("case_id", flat=True)
    )
    shares: dict[int, float] = {}
    clocks = []
    for step in wanted:
        case = step.escalation.case
        config = (step.plan.escalation or {}).get("task_force") or {}
        within = config.get("within")
        if not within or case.pk in opened:
            continue
        opened.add(case.pk)
        if case.tenant_id not in shares:
            policy = policy_for(tenant=case.tenant)
            shares[case.tenant_id] = (policy.warning_at_percent if policy else 75) / 100
        target = timedelta(hours=float(within))
        times = schedule(
            always_open_calendar(case.tenant.timezone),
            start=at,
            target=target,
            pauses=[],
            warn_share=shares[case.tenant_id],
        )
        clocks.append(
            SlaClock(
                tenant_id=case.tenant_id,
                case=case,
                metric=TASK_FORCE_METRIC,
                state=ClockState.RUNNING,
                target_value=Decimal(str(within)),
                target_unit=config.get("unit") or "calendar_hours",
                target_seconds=int(target.total_seconds()),
                calendar=None,
                source=f"plan:{step.plan.key} escalation",
                started_at=at,
                due_at=times.due_at,
                breach_at=times.breach_at,
                warn_at=times.warn_at,
            )
        )
    SlaClock.objects.bulk_create(clocks)


def _tenant_admins(tenant_ids: Iterable[int]) -> dict[int, list[User]]:
    admins: dict[int, list[User]] = {}
    for user in User.objects.filter(tenant_id__in=set(tenant_ids), role=Role.TENANT_ADMIN).order_by(
        "pk"
    ):
        admins.setdefault(user.tenant_id, []).append(user)
    return admins


def _notify_managers(steps: list[_Step], at: datetime) -> None:
    """`notify_service_delivery_manager` / `notify_account_manager`: the customer's
    account manager (for a breach without one: the tenant admins), unless already told
    about the same event."""
    wanted = [s for s in steps if any(a in NOTIFY_ACTIONS for a in s.escalation.actions)]
    if not wanted:
        return
    told = set(
        Notification.objects.filter(event__in=[s.event for s in wanted]).values_list(
            "event_id", "recipient_id"
        )
    )
    orphans = [
        s.escalation.tenant_id
        for s in wanted
        if s.escalation.case.organization.account_manager_id is None
        and s.escalation.trigger == EscalationTrigger.BREACH
    ]
    admins = _tenant_admins(orphans) if orphans else {}
    notices = []
    for step in wanted:
        escalation = step.escalation
        case = escalation.case
        manager = case.organization.account_manager
        users = [manager] if manager is not None else []
        if not users and escalation.trigger == EscalationTrigger.BREACH:
            users = admins.get(case.tenant_id, [])
        for user in users:
            if not user.is_active or user.tenant_id != case.tenant_id:
                continue
            if (step.event.pk, user.pk) in told:
                continue
            notices.append(
                Notice(
                    recipient=user,
                    kind=NotificationKind.ESCALATED,
                    dedupe_key=f"escalation:{escalation.pk}:{user.pk}",
                    case=case,
                    event=step.event,
                    at=at,
                )
            )
    notify_many(notices=notices)


def escalations_apply(
    *, requests: Sequence[EscalationRequest], at: datetime
) -> list[Escalation | None]:
    """Escalate each request's case as its plan says for the trigger; None where the plan
    grants nothing. One request per case; the caller holds the case locks, inside its
    transaction. A constant number of queries however many cases (the SLA sweep escalates
    a hundred breached cases in one go)."""
    if len({r.case.pk for r in requests}) != len(requests):
        raise ValueError("one escalation request per case")
    for request in requests:
        if request.trigger not in EscalationTrigger.values:
            raise ValueError(f"unknown escalation trigger {request.trigger!r}")
    decided = _decide(requests, at)
    steps = [step for step in decided if step is not None]
    if steps:
        Escalation.objects.bulk_create([step.escalation for step in steps])
        first_time = [s.escalation.case for s in steps if s.escalation.case.escalated_at is None]
        for case in first_time:
            case.escalated_at = at
        Case.objects.filter(pk__in=[case.pk for case in first_time]).update(
            escalated_at=at, updated_at=timezone.now()
        )
        _write_events(steps, at)
        _open_task_forces(steps, at)
        _notify_managers(steps, at)
    return [step.escalation if step is not None else None for step in decided]


def escalation_apply(
    *,
    case: Case,
    trigger: str,
    actor: User | None = None,
    reason: str = "",
    at: datetime,
    event: CaseEvent | None = None,
    external_reference: str = "",
) -> Escalation | None:
    """Escalate `case` as its plan says for `trigger`; None when the plan grants nothing.

    Call inside a transaction; `event` is the ESCALATED timeline event the caller wrote
    (a breach writes its own, internal one).
    """
    if trigger not in EscalationTrigger.values:
        raise ValueError(f"unknown escalation trigger {trigger!r}")
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("tenant", "severity", "case_type", "organization__account_manager")
        .get(pk=case.pk)
    )
    request = EscalationRequest(
        case=case,
        trigger=trigger,
        actor=actor,
        reason=reason,
        event=event,
        external_reference=external_reference,
    )
    return escalations_apply(requests=[request], at=at)[0]


def escalations_on_breach(*, clocks: Sequence[SlaClock], at: datetime) -> list[Escalation]:
    """The sweep's hook, inside its transaction: the cases whose `clocks` just breached
    escalate as their plans say (once per case, whichever clock breaches first; a breach
    of the task force clock itself does not escalate again). Each clock's `case` is
    locked and loaded as `EscalationRequest` asks."""
    from plans.wording import metric_label

    first: dict[int, SlaClock] = {}
    for clock in clocks:
        if clock.metric != TASK_FORCE_METRIC:
            first.setdefault(clock.case_id, clock)
    requests = [
        EscalationRequest(
            case=clock.case,
            trigger=EscalationTrigger.BREACH,
            reason=_("%(metric)s target breached.") % {"metric": metric_label(clock.metric)},
        )
        for clock in first.values()
    ]
    applied = escalations_apply(requests=requests, at=at) if requests else []
    return [escalation for escalation in applied if escalation is not None]


def _require_staff(actor: User, case: Case) -> None:
    if not actor.is_desk_staff or actor.tenant_id != case.tenant_id:
        raise PermissionError("staff only")


@transaction.atomic
def escalation_set_reference(*, escalation: Escalation, actor: User, reference: str) -> Escalation:
    """Record the platform vendor's reference of a vendor escalation (agents)."""
    _require_staff(actor, escalation.case)
    escalation = (
        Escalation.objects.select_for_update(of=("self",))
        .select_related("case")
        .get(pk=escalation.pk)
    )
    if not escalation.to_external_vendor:
        raise ValidationError(_("This escalation did not go to the platform vendor."))
    if not reference.strip():
        raise ValidationError({"reference": _("Give the vendor's reference.")})
    escalation.external_reference = reference.strip()
    escalation.save(update_fields=["external_reference"])
    CaseEvent.objects.create(
        tenant=escalation.tenant,
        case=escalation.case,
        kind=EventKind.NOTE,
        actor=actor,
        public=False,
        body=_("%(vendor)s reference: %(reference)s")
        % {"vendor": escalation.external_vendor, "reference": escalation.external_reference},
        data={"escalation": escalation.pk, "reference": escalation.external_reference},
        created_at=timezone.now(),
    )
    return escalation


@transaction.atomic
def task_force_assembled(*, case: Case, actor: User) -> SlaClock:
    """An agent records that the task force is assembled: its clock stops (met or late)."""
    _require_staff(actor, case)
    case = Case.objects.select_for_update(of=("self",)).select_related("tenant").get(pk=case.pk)
    clock = clock_stop(case=case, metric=TASK_FORCE_METRIC, at=timezone.now())
    if clock is None:
        raise ValidationError(_("This case has no task force waiting to be assembled."))
    CaseEvent.objects.create(
        tenant=case.tenant,
        case=case,
        kind=EventKind.NOTE,
        actor=actor,
        public=False,
        body=_("Task force assembled."),
        data={"task_force": clock.state},
        created_at=clock.stopped_at,
    )
    return clock
