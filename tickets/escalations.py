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

from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from plans.models import Plan
from plans.selectors import always_open_calendar, entitlements_for, policy_for, subscription_active
from sla.clocks import schedule
from sla.models import ClockState, SlaClock
from sla.services import clock_stop
from supportdesk.models import Role, User

from .models import (
    Case,
    CaseEvent,
    Escalation,
    EscalationAction,
    EscalationTrigger,
    EventKind,
    Notification,
    NotificationKind,
)
from .notifications import notify

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
    on = timezone.localtime(case.filed_at, timezone=_zone(case)).date()
    subscription = subscription_active(customer=case.organization, on=on)
    return subscription.plan if subscription is not None else None


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


def _open_task_force(case: Case, plan: Plan, at: datetime) -> SlaClock | None:
    config = (plan.escalation or {}).get("task_force") or {}
    within = config.get("within")
    if not within:
        return None
    existing = task_force_clock(case=case)
    if existing is not None:
        return existing  # one task force per case
    target = timedelta(hours=float(within))
    policy = policy_for(tenant=case.tenant)
    plan_times = schedule(
        always_open_calendar(case.tenant.timezone),
        start=at,
        target=target,
        pauses=[],
        warn_share=(policy.warning_at_percent if policy else 75) / 100,
    )
    return SlaClock.objects.create(
        tenant=case.tenant,
        case=case,
        metric=TASK_FORCE_METRIC,
        state=ClockState.RUNNING,
        target_value=Decimal(str(within)),
        target_unit=config.get("unit") or "calendar_hours",
        target_seconds=int(target.total_seconds()),
        calendar=None,
        source=f"plan:{plan.key} escalation",
        started_at=at,
        due_at=plan_times.due_at,
        breach_at=plan_times.breach_at,
        warn_at=plan_times.warn_at,
    )


def _managers(case: Case, trigger: str) -> list[User]:
    manager = case.organization.account_manager
    users = [manager] if manager is not None else []
    if not users and trigger == EscalationTrigger.BREACH:  # as the sweep: nobody -> admins
        users = list(
            User.objects.for_tenant(case.tenant).filter(role=Role.TENANT_ADMIN).order_by("pk")
        )
    return [u for u in users if u.is_active and u.tenant_id == case.tenant_id]


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
    plan = plan_at_filing(case=case)
    rule = escalation_rule_for(case=case, trigger=trigger, plan=plan)
    if rule is None:
        return None
    rights = entitlements_for(customer=case.organization, at=case.filed_at)
    actions = _allowed_actions(rule, rights, trigger)
    if not actions:
        return None
    escalations = Escalation.objects.filter(case=case)
    if trigger == EscalationTrigger.BREACH and escalations.filter(trigger=trigger).exists():
        return None  # a breach escalates a case once
    level = (escalations.aggregate(top=Max("level"))["top"] or 0) + 1
    vendor = ""
    if EscalationAction.EXTERNAL_VENDOR in actions:
        vendor = (plan.vendor_handoff or {}).get("vendor") or DEFAULT_VENDOR
    try:
        with transaction.atomic():
            escalation = Escalation.objects.create(
                tenant=case.tenant,
                case=case,
                trigger=trigger,
                actions=actions,
                level=level,
                reason=reason,
                external_vendor=vendor,
                external_reference=external_reference.strip() if vendor else "",
                created_at=at,
                created_by=actor,
            )
    except IntegrityError:
        return None  # escalated concurrently at this level
    if case.escalated_at is None:
        case.escalated_at = at
        case.save(update_fields=["escalated_at", "updated_at"])
    if event is None:
        event = CaseEvent.objects.create(
            tenant=case.tenant,
            case=case,
            kind=EventKind.ESCALATED,
            actor=actor,
            public=False,
            body=reason,
            data={"escalation": escalation.pk, "trigger": trigger, "level": level},
            created_at=at,
        )
    if EscalationAction.OPEN_TASK_FORCE in actions:
        _open_task_force(case, plan, at)
    if any(action in NOTIFY_ACTIONS for action in actions):
        told = set(
            Notification.objects.filter(case=case, event=event).values_list("recipient", flat=True)
        )
        for user in _managers(case, trigger):
            if user.pk in told:
                continue
            notify(
                recipient=user,
                kind=NotificationKind.ESCALATED,
                dedupe_key=f"escalation:{escalation.pk}:{user.pk}",
                case=case,
                event=event,
                at=at,
            )
    return escalation


def escalation_on_breach(*, clock: SlaClock, at: datetime) -> Escalation | None:
    """The sweep's hook: a clock of the case breached at `at` (inside `_fire`'s transaction)."""
    if clock.metric == TASK_FORCE_METRIC:
        return None
    from plans.wording import metric_label

    reason = _("%(metric)s target breached.") % {"metric": metric_label(clock.metric)}
    return escalation_apply(case=clock.case, trigger=EscalationTrigger.BREACH, reason=reason, at=at)


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
