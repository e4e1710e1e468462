"""The SLA sweep: find what is due, and have the workers fire it.

Beat runs `sla.tasks.sweep` every 30 s. The sweep reads only stored instants: two range
queries over partial indexes on `SlaClock.breach_at` and `SlaClock.warn_at` (running
clocks not yet warned), so it does no calendar arithmetic and stays fast however many
clocks are open or how much history is kept. For every `CHUNK_CASES` cases with due
clocks it queues one `sla.tasks.fire_due` task; each such task claims up to that many
cases with `SELECT ... FOR UPDATE SKIP LOCKED` and fires them in one transaction
(`sla.alerts`). Workers share the burst without coordination, and a duplicate or late
task finds nothing left to claim.

`sla_sweep` does the same work in the calling process, batch after batch, for tests and
for commands.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Min
from django.utils import timezone

from supportdesk.models import Role, Tenant, User, WorkerHeartbeat
from tickets.models import EmailStatus, Notification

from . import alerts
from .models import AlertKind, ClockState, SlaAlert, SlaClock, SweepRun

logger = logging.getLogger(__name__)

# Due clocks one sweep looks at: 200 batches of 100 cases every 30 s is far beyond a desk's
# worst burst; anything past it is picked up by the next sweep.
DISPATCH_WINDOW = 20_000
SWEEP_INTERVAL = 30  # seconds; settings.CELERY_BEAT_SCHEDULE["sla-sweep"]
# Beat runs the sweep every 30 s; three minutes without one means beat or the workers stopped.
SWEEP_LATE_AFTER = timedelta(minutes=3)
HEARTBEAT_LATE_AFTER = timedelta(minutes=3)
# A breach not fired two minutes after its instant: workers down, swamped or failing.
OVERDUE_AFTER = timedelta(minutes=2)
SWEEP_RUNS_KEPT = timedelta(days=1)
CASE_WORKERS = (Role.AGENT, Role.TENANT_ADMIN)
QUEUES = ("sla", "celery", "mail")  # see CELERY_TASK_ROUTES


@dataclass(frozen=True)
class SweepResult:
    warned: int = 0
    breached: int = 0


def on_duty_agents(*, tenant: Tenant) -> list[User]:
    """The tenant's case workers on duty: they hear of every breach (and of warnings on
    unassigned cases)."""
    return list(
        User.objects.for_tenant(tenant)
        .filter(on_duty=True, is_active=True, role__in=CASE_WORKERS)
        .order_by("pk")
    )


def due_cases(*, kind: str, now: datetime, window: int = DISPATCH_WINDOW) -> tuple[int, int]:
    """(clocks, cases) due `kind` at `now`, counting at most `window` clocks."""
    order = "breach_at" if kind == AlertKind.BREACH else "warn_at"
    case_ids = list(
        SlaClock.objects.filter(alerts.due(kind, now))
        .order_by(order, "pk")
        .values_list("case_id", flat=True)[:window]
    )
    return len(case_ids), len(set(case_ids))


def sla_sweep_dispatch(*, now: datetime, enqueue: Callable[[str], object]) -> SweepRun:
    """The beat task's body: queue one firing task (`enqueue(kind)`) per `CHUNK_CASES`
    due cases, breaches first; record the run for the operations page; prune old runs."""
    counts = {kind: due_cases(kind=kind, now=now) for kind in (AlertKind.BREACH, AlertKind.WARNING)}
    batches = 0
    for kind, (_clocks, cases) in counts.items():
        for _ in range(math.ceil(cases / alerts.CHUNK_CASES)):
            enqueue(kind)
            batches += 1
    run = SweepRun.objects.create(
        started_at=now,
        finished_at=timezone.now(),
        warnings_due=counts[AlertKind.WARNING][0],
        breaches_due=counts[AlertKind.BREACH][0],
        batches=batches,
    )
    SweepRun.objects.filter(started_at__lt=now - SWEEP_RUNS_KEPT).delete()
    if batches:
        logger.info(
            "SLA sweep at %s: %s breaches and %s warnings due, %s batches queued",
            now,
            run.breaches_due,
            run.warnings_due,
            batches,
        )
    return run


def sla_sweep(*, now: datetime, chunk: int | None = None) -> SweepResult:
    """Fire every due breach, then every due warning, in this process (tests, commands).

    Idempotent: run it twice, concurrently or after a crash, and each clock still has at
    most one alert per kind and each recipient one notification.
    """
    breached = alerts.alerts_drain(kind=AlertKind.BREACH, now=now, limit=chunk).alerts
    warned = alerts.alerts_drain(kind=AlertKind.WARNING, now=now, limit=chunk).alerts
    if breached or warned:
        logger.info("SLA sweep at %s: %s warnings, %s breaches", now, warned, breached)
    return SweepResult(warned=warned, breached=breached)


# --- operations status ------------------------------------------------------------------------


def last_sweep() -> SweepRun | None:
    return SweepRun.objects.filter(finished_at__isnull=False).order_by("-finished_at").first()


def _age(at: datetime | None, now: datetime) -> timedelta | None:
    return None if at is None else max(now - at, timedelta(0))


def broker_queue_lengths(queues: tuple[str, ...] = QUEUES) -> dict[str, int] | None:
    """Messages waiting per queue; None when the broker is not Redis or cannot be reached
    (the page then says "n/a")."""
    url = getattr(settings, "REDIS_URL", "") or ""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return None
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        with client.pipeline() as pipe:
            for queue in queues:
                pipe.llen(queue)
            return dict(zip(queues, (int(n) for n in pipe.execute()), strict=True))
    except Exception as exc:  # a status page renders whatever the broker does
        logger.warning("Broker queue lengths unavailable: %s", exc)
        return None


def overdue_breaches(*, now: datetime, tenant: Tenant | None = None) -> int:
    """Running clocks past their breach instant by more than `OVERDUE_AFTER`: breaches the
    workers should have fired and have not (the partial index answers it)."""
    clocks = SlaClock.objects.filter(state=ClockState.RUNNING, breach_at__lt=now - OVERDUE_AFTER)
    return (clocks if tenant is None else clocks.filter(tenant=tenant)).count()


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
    overdue: int  # breaches not fired `OVERDUE_AFTER` after their instant, all tenants


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
        overdue=overdue_breaches(now=now),
    )


@dataclass(frozen=True)
class OperationsStatus:
    health: HealthStatus
    broker_queues: dict[str, int] | None
    outbox_pending: int
    outbox_oldest: datetime | None
    outbox_failed: int
    due_next_hour: int
    overdue: int
    failing: list[SlaClock]
    warnings_24h: int
    breaches_24h: int


FAILING_SHOWN = 20


def operations_status(*, tenant: Tenant, now: datetime | None = None) -> OperationsStatus:
    """What a tenant admin sees on the operations page: the shared machinery's health and
    this tenant's outbox and clocks (never another tenant's)."""
    now = now or timezone.now()
    health = health_status(now=now)
    outbox = Notification.objects.for_tenant(tenant).filter(email_status=EmailStatus.PENDING)
    fired = SlaAlert.objects.for_tenant(tenant).filter(fired_at__gte=now - timedelta(days=1))
    clocks = SlaClock.objects.for_tenant(tenant)
    return OperationsStatus(
        health=health,
        broker_queues=broker_queue_lengths(),
        outbox_pending=outbox.count(),
        outbox_oldest=outbox.aggregate(oldest=Min("created_at"))["oldest"],
        outbox_failed=Notification.objects.for_tenant(tenant)
        .filter(email_status=EmailStatus.FAILED)
        .count(),
        due_next_hour=clocks.filter(
            state=ClockState.RUNNING, breach_at__gte=now, breach_at__lt=now + timedelta(hours=1)
        ).count(),
        overdue=overdue_breaches(now=now, tenant=tenant),
        failing=list(
            clocks.filter(state=ClockState.RUNNING, fire_failed_at__isnull=False)
            .select_related("case")
            .order_by("-fire_failed_at")[:FAILING_SHOWN]
        ),
        warnings_24h=fired.filter(kind=AlertKind.WARNING).count(),
        breaches_24h=fired.filter(kind=AlertKind.BREACH).count(),
    )
