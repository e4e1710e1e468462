"""The SLA sweep: warnings and breaches fired from stored instants, and the operations status.

Beat runs `sla.tasks.sweep` every 30 s. The sweep is two indexed range queries over
`SlaClock.breach_at` and `SlaClock.warn_at`; the instants were computed when the clock
was started, paused or resumed, so no calendar arithmetic happens here.

Each clock is handled in its own short transaction: the clock row is locked with
`select_for_update(skip_locked=True)` (two sweeping workers never take the same clock on
PostgreSQL), the `SlaAlert` row is written (unique per clock and kind: a retry or an
overlapping sweep finds it and does nothing), a breach turns the clock's state into
"breached", an internal timeline event is written and the notifications go to the outbox
(`tickets.notifications.notify`) in the same transaction.

Decisions:
- A breached clock stays breached: `clock_stop` only stops running or paused clocks and
  `clock_restart` keeps a breach. `due_at`/`breach_at` are kept as the record of when.
- Both timeline events are internal (staff only): the customer sees the clock's state on
  the portal; the desk decides how to tell them.
- Warning → the assignee; unassigned: the tenant's on-duty agents; nobody on duty: every
  case worker of the tenant. Breach → the assignee, the on-duty agents and the customer's
  account manager (who is also the service delivery manager when the plan includes
  "service_delivery_manager": the desk has no separate SDM field); if that is nobody, the
  tenant admins.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Min, Q
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from plans.selectors import entitlements_for
from plans.wording import metric_label
from supportdesk.models import Role, Tenant, User, WorkerHeartbeat
from tickets.escalations import escalation_on_breach
from tickets.models import Case, CaseEvent, EmailStatus, EventKind, Notification, NotificationKind
from tickets.notifications import notify

from .models import AlertKind, ClockState, SlaAlert, SlaClock, SweepRun

logger = logging.getLogger(__name__)

SWEEP_BATCH = 500
# Beat runs the sweep every 30 s; three minutes without one means beat or the workers stopped.
SWEEP_LATE_AFTER = timedelta(minutes=3)
HEARTBEAT_LATE_AFTER = timedelta(minutes=3)
SWEEP_RUNS_KEPT = timedelta(days=1)
CASE_WORKERS = (Role.AGENT, Role.TENANT_ADMIN)
SDM_ENTITLEMENT = "service_delivery_manager"

NOTIFICATION_KIND = {
    AlertKind.WARNING: NotificationKind.SLA_WARNING,
    AlertKind.BREACH: NotificationKind.SLA_BREACH,
}


@dataclass(frozen=True)
class SweepResult:
    warned: int = 0
    breached: int = 0


# --- recipients -------------------------------------------------------------------------------


def _active(users, tenant_id: int) -> list[User]:
    seen: set[int] = set()
    out = []
    for user in users:
        if user is None or user.pk in seen or not user.is_active or user.tenant_id != tenant_id:
            continue
        seen.add(user.pk)
        out.append(user)
    return out


def on_duty_agents(*, tenant: Tenant) -> list[User]:
    return list(
        User.objects.for_tenant(tenant)
        .filter(on_duty=True, is_active=True, role__in=CASE_WORKERS)
        .order_by("pk")
    )


def alert_recipients(*, case: Case, kind: str, at: datetime) -> list[User]:
    """Who hears of a warning or a breach on `case` (see the module's decisions)."""
    tenant = case.tenant
    on_duty = on_duty_agents(tenant=tenant)
    if kind == AlertKind.WARNING:
        users = _active([case.assignee], tenant.pk) or _active(on_duty, tenant.pk)
        if not users:
            users = list(
                User.objects.for_tenant(tenant).filter(role__in=CASE_WORKERS, is_active=True)
            )
        return _active(users, tenant.pk)
    users = _active([case.assignee, *on_duty, case.organization.account_manager], tenant.pk)
    if not users:
        users = list(User.objects.for_tenant(tenant).filter(role=Role.TENANT_ADMIN, is_active=True))
    return _active(users, tenant.pk)


def manager_is_sdm(*, case: Case, at: datetime) -> bool:
    """The account manager acts as service delivery manager when the plan includes one."""
    return entitlements_for(customer=case.organization, at=at).has(SDM_ENTITLEMENT)


# --- the sweep --------------------------------------------------------------------------------


def _due_text(clock: SlaClock) -> str:
    return (
        formats.date_format(timezone.localtime(clock.due_at), "D j M H:i") if clock.due_at else ""
    )


def _event_body(clock: SlaClock, kind: str, tenant: Tenant) -> str:
    """One line for the timeline, in the tenant's language and time zone."""
    with translation.override(tenant.language), timezone.override(tenant.timezone):
        values = {"metric": metric_label(clock.metric), "due": _due_text(clock)}
        if kind == AlertKind.BREACH:
            return _("%(metric)s target breached (was due %(due)s).") % values
        return _("%(metric)s target due %(due)s is not met yet.") % values


def _fire(clock_id: int, kind: str, now: datetime) -> bool:
    """Fire one alert in one transaction; False when another sweep has it or had it."""
    with transaction.atomic():
        due = Q(breach_at__lt=now) if kind == AlertKind.BREACH else Q(warn_at__lte=now)
        clock = (
            SlaClock.objects.select_for_update(skip_locked=True)
            .filter(due, pk=clock_id, state=ClockState.RUNNING)
            .first()
        )
        if clock is None:
            return False  # locked by another sweep, or no longer running (met, paused, …)
        if SlaAlert.objects.filter(clock=clock, kind=kind).exists():
            return False
        try:
            with transaction.atomic():
                alert = SlaAlert.objects.create(
                    tenant_id=clock.tenant_id, clock=clock, kind=kind, fired_at=now
                )
        except IntegrityError:
            return False  # the constraint: fired already
        case = Case.objects.select_related(
            "tenant", "organization__account_manager", "assignee", "severity"
        ).get(pk=clock.case_id)
        clock.case = case
        if kind == AlertKind.BREACH:
            clock.state = ClockState.BREACHED
            clock.save(update_fields=["state", "updated_at"])
        as_sdm = kind == AlertKind.BREACH and manager_is_sdm(case=case, at=now)
        event = CaseEvent.objects.create(
            tenant=case.tenant,
            case=case,
            kind=EventKind.CLOCK,
            actor=None,
            public=False,
            body=_event_body(clock, kind, case.tenant),
            data={
                "alert": kind,
                "alert_id": alert.pk,
                "clock": clock.pk,
                "metric": clock.metric,
                "due_at": clock.due_at.isoformat() if clock.due_at else None,
                "service_delivery_manager": as_sdm,
            },
            created_at=now,
        )
        for user in alert_recipients(case=case, kind=kind, at=now):
            notify(
                recipient=user,
                kind=NOTIFICATION_KIND[kind],
                dedupe_key=f"sla-{kind}:{clock.pk}",
                case=case,
                event=event,
                context={"clock": clock, "as_sdm": as_sdm},
                at=now,
            )
        if kind == AlertKind.BREACH:  # the plan's breach escalation, same transaction
            escalation_on_breach(clock=clock, at=now)
    return True


def breach_candidates(*, now: datetime, batch: int = SWEEP_BATCH) -> list[int]:
    """Running clocks past `breach_at` (the business time they ran exceeds the target)."""
    return list(
        SlaClock.objects.filter(state=ClockState.RUNNING, breach_at__lt=now)
        .exclude(alerts__kind=AlertKind.BREACH)
        .order_by("breach_at", "pk")
        .values_list("pk", flat=True)[:batch]
    )


def warning_candidates(*, now: datetime, batch: int = SWEEP_BATCH) -> list[int]:
    """Running clocks past `warn_at` that were not warned about yet."""
    return list(
        SlaClock.objects.filter(state=ClockState.RUNNING, warn_at__lte=now)
        .exclude(alerts__kind=AlertKind.WARNING)
        .order_by("warn_at", "pk")
        .values_list("pk", flat=True)[:batch]
    )


def sla_sweep(*, now: datetime, batch: int = SWEEP_BATCH) -> SweepResult:
    """Fire due breaches, then due warnings (a clock breached first is not warned about).

    Idempotent: run it twice, concurrently or after a crash, and each clock still has at
    most one alert per kind and each recipient one notification.
    """
    breached = sum(
        _fire(pk, AlertKind.BREACH, now) for pk in breach_candidates(now=now, batch=batch)
    )
    warned = sum(
        _fire(pk, AlertKind.WARNING, now) for pk in warning_candidates(now=now, batch=batch)
    )
    if breached or warned:
        logger.info("SLA sweep at %s: %s warnings, %s breaches", now, warned, breached)
    return SweepResult(warned=warned, breached=breached)


def sla_sweep_run(*, now: datetime | None = None) -> SweepRun:
    """The beat task's body: sweep, record the run for the operations page, prune old runs."""
    started = now or timezone.now()
    result = sla_sweep(now=started)
    finished = timezone.now() if now is None else started
    run = SweepRun.objects.create(
        started_at=started, finished_at=finished, warned=result.warned, breached=result.breached
    )
    SweepRun.objects.filter(started_at__lt=started - SWEEP_RUNS_KEPT).delete()
    return run


# --- operations status ------------------------------------------------------------------------


def last_sweep() -> SweepRun | None:
    return SweepRun.objects.filter(finished_at__isnull=False).order_by("-finished_at").first()


def _age(at: datetime | None, now: datetime) -> timedelta | None:
    return None if at is None else max(now - at, timedelta(0))


def broker_queue_length(queue: str = "celery") -> int | None:
    """Messages waiting in the broker's default queue; None when the broker is not Redis
    or cannot be reached (the page then says "n/a")."""
    url = getattr(settings, "REDIS_URL", "") or ""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return None
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        return int(client.llen(queue))
    except Exception as exc:  # a status page renders whatever the broker does
        logger.warning("Broker queue length unavailable: %s", exc)
        return None


@dataclass(frozen=True)
class HealthStatus:
    """Process-wide numbers, no tenant data: for the health endpoint and the ops page."""

    now: datetime
    last_sweep: SweepRun | None
    sweep_age: timedelta | None
    sweep_late: bool
    heartbeat: WorkerHeartbeat | None
    heartbeat_age: timedelta | None
    heartbeat_late: bool


def health_status(*, now: datetime | None = None) -> HealthStatus:
    now = now or timezone.now()
    run = last_sweep()
    sweep_age = _age(run.finished_at if run else None, now)
    beat = WorkerHeartbeat.objects.filter(name="worker").first()
    heartbeat_age = _age(beat.last_seen if beat else None, now)
    return HealthStatus(
        now=now,
        last_sweep=run,
        sweep_age=sweep_age,
        sweep_late=sweep_age is None or sweep_age > SWEEP_LATE_AFTER,
        heartbeat=beat,
        heartbeat_age=heartbeat_age,
        heartbeat_late=heartbeat_age is None or heartbeat_age > HEARTBEAT_LATE_AFTER,
    )


@dataclass(frozen=True)
class OperationsStatus:
    health: HealthStatus
    broker_queue: int | None
    outbox_pending: int
    outbox_oldest: datetime | None
    outbox_failed: int
    due_next_hour: int
    warnings_24h: int
    breaches_24h: int


def operations_status(*, tenant: Tenant, now: datetime | None = None) -> OperationsStatus:
    """What a tenant admin sees on the operations page: the shared machinery's health and
    this tenant's outbox and clocks (never another tenant's)."""
    now = now or timezone.now()
    health = health_status(now=now)
    outbox = Notification.objects.for_tenant(tenant).filter(email_status=EmailStatus.PENDING)
    alerts = SlaAlert.objects.for_tenant(tenant).filter(fired_at__gte=now - timedelta(days=1))
    return OperationsStatus(
        health=health,
        broker_queue=broker_queue_length(),
        outbox_pending=outbox.count(),
        outbox_oldest=outbox.aggregate(oldest=Min("created_at"))["oldest"],
        outbox_failed=Notification.objects.for_tenant(tenant)
        .filter(email_status=EmailStatus.FAILED)
        .count(),
        due_next_hour=SlaClock.objects.for_tenant(tenant)
        .filter(
            state=ClockState.RUNNING, breach_at__gte=now, breach_at__lt=now + timedelta(hours=1)
        )
        .count(),
        warnings_24h=alerts.filter(kind=AlertKind.WARNING).count(),
        breaches_24h=alerts.filter(kind=AlertKind.BREACH).count(),
    )
