"""Escalations per plan, as the policy pack's `escalation` block says (issue 7, point 3).

`escalation_apply` is the one entry: `case_escalate` calls it for a customer's or an
agent's escalation, the SLA sweep (`sla.sweep._fire`) for a breach, in the caller's
transaction. The plan is the one subscribed at the case's filing (as for its clocks).
This module writes; what a plan grants is decided in `rules` (reads only), and the reads
of escalations and their plan rules are in `selectors`.

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
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from plans.selectors import always_open_calendar, policy_for
from plans.wording import metric_label
from sla.clocks import schedule
from sla.models import ClockState, SlaClock
from sla.services import clock_stop
from supportdesk.models import Role, User
from tickets.escalations.rules import EscalationRequest, Step, decide
from tickets.escalations.selectors import TASK_FORCE_METRIC
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
from tickets.notifications.outbox import Notice, notify_many

NOTIFY_ACTIONS = (EscalationAction.NOTIFY_SDM, EscalationAction.NOTIFY_ACCOUNT_MANAGER)


def _write_events(steps: list[Step], at: datetime) -> None:
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


def _open_task_forces(steps: list[Step], at: datetime) -> None:
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


def _notify_managers(steps: list[Step], at: datetime) -> None:
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
    decided = decide(requests, at)
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
