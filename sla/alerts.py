"""Firing SLA warnings and breaches: the sweep's writes, a hundred cases at a time.

Work is claimed the way jobs are taken from a queue kept in PostgreSQL: a worker reads
the cases with due clocks (an index range scan over the stored `breach_at`/`warn_at`, no
calendar arithmetic) and locks up to `CHUNK_CASES` of them with `FOR UPDATE SKIP LOCKED`.
Two workers, or a worker and a redelivered copy of its task, therefore take disjoint
cases, and a case an agent is editing right now is left for the next claim.

Everything a firing writes happens in the claiming transaction: the `SlaAlert` rows
(unique per clock and kind: the database refuses a second one), the clock's new state,
the internal timeline events, the notifications (the outbox), and for breaches the
plan's escalations. A worker killed half-way commits nothing; the redelivered task claims
the same cases again. Billing hears of committed breaches through `breaches_committed`
and decides their penalty credits in a transaction of its own.

Lock order, as in every case service: the case, then its clocks (then, in billing's
transaction, the customer organisation). The old order (clock first, case later) could
deadlock with an agent answering the same case at the same moment.

Decisions (unchanged from the first sweep):
- A breached clock stays breached; `due_at`/`breach_at` are kept as the record of when.
- Timeline events are internal (staff only).
- Warning -> the assignee; unassigned: the tenant's on-duty agents; nobody on duty: every
  case worker of the tenant. Breach -> the assignee, the on-duty agents and the customer's
  account manager (who is also the service delivery manager where the plan includes
  "service_delivery_manager"); if that is nobody, the tenant admins.
- A clock past both its warning and its breach instant is only breached.
- A batch that fails for another reason than the database being unreachable is retried
  one case at a time, so one bad case cannot hold up the others; a case that fails alone
  is marked on its clocks (`fire_failed_at`, `fire_error`), shown on the operations page
  and tried again after `RETRY_FAILED_AFTER`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Q
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from plans.selectors import entitlements_many
from plans.wording import metric_label
from supportdesk.models import Role, Tenant, User
from tickets.escalations.services import escalations_on_breach
from tickets.models import Case, CaseEvent, EventKind, NotificationKind
from tickets.notifications.outbox import Notice, notify_many

from .models import AlertKind, ClockState, SlaAlert, SlaClock
from .signals import breaches_committed

logger = logging.getLogger(__name__)

CHUNK_CASES = 100  # cases one claim takes: one transaction, a constant number of queries
CLAIM_WINDOW = 2_000  # due clocks a claim reads; concurrent claims skip each other inside it
RETRY_FAILED_AFTER = timedelta(minutes=10)
CASE_WORKERS = (Role.AGENT, Role.TENANT_ADMIN)
SDM_ENTITLEMENT = "service_delivery_manager"
CASE_RELATED = ("tenant", "organization__account_manager", "assignee", "severity", "case_type")
# The database went away or gave up (deadlock, lock timeout): the task retries the batch.
RETRYABLE = (OperationalError, InterfaceError)

NOTIFICATION_KIND = {
    AlertKind.WARNING: NotificationKind.SLA_WARNING,
    AlertKind.BREACH: NotificationKind.SLA_BREACH,
}


@dataclass(frozen=True)
class Fired:
    """What one claim did: alerts written, cases claimed, cases that failed alone."""

    alerts: int = 0
    cases: int = 0
    failed: int = 0


def due(kind: str, now: datetime) -> Q:
    """Clocks whose `kind` is due at `now`; each branch matches a partial index."""
    if kind == AlertKind.BREACH:
        return Q(state=ClockState.RUNNING, breach_at__lt=now)
    if kind == AlertKind.WARNING:
        return Q(state=ClockState.RUNNING, warned_at__isnull=True, warn_at__lte=now) & (
            Q(breach_at__isnull=True) | Q(breach_at__gte=now)
        )
    raise ValueError(f"unknown alert kind {kind!r}")


def _claimable(now: datetime) -> Q:
    return Q(fire_failed_at__isnull=True) | Q(fire_failed_at__lt=now - RETRY_FAILED_AFTER)


def _claim(
    kind: str, now: datetime, *, limit: int, case_ids: Iterable[int] | None = None
) -> list[Case]:
    """Lock up to `limit` cases with due clocks, skipping cases locked elsewhere."""
    clocks = SlaClock.objects.filter(due(kind, now) & _claimable(now))
    if case_ids is not None:
        clocks = clocks.filter(case_id__in=list(case_ids))
    order = "breach_at" if kind == AlertKind.BREACH else "warn_at"
    # A cheap look first (the partial index alone): nothing due, nothing more to plan.
    window = set(clocks.order_by(order, "pk").values_list("case_id", flat=True)[:CLAIM_WINDOW])
    if not window:
        return []
    cases = list(
        Case.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related(*CASE_RELATED)
        .filter(pk__in=window)
        .order_by("pk")[:limit]
    )
    for case in cases:
        case.organization.tenant = case.tenant  # one tenant; spares a query per customer
    return cases


# --- who hears of it -------------------------------------------------------------------------


def _active(users: Iterable[User | None], tenant_id: int) -> list[User]:
    seen: set[int] = set()
    out = []
    for user in users:
        if user is None or user.pk in seen or not user.is_active or user.tenant_id != tenant_id:
            continue
        seen.add(user.pk)
        out.append(user)
    return out


class _Recipients:
    """The case workers of the tenants in one batch, read once (not once per case)."""

    def __init__(self, tenant_ids: Iterable[int]):
        self.tenant_ids = set(tenant_ids)
        self.on_duty = self._by_tenant(on_duty=True, role__in=CASE_WORKERS)
        self._workers: dict[int, list[User]] | None = None
        self._admins: dict[int, list[User]] | None = None

    def _by_tenant(self, **filters) -> dict[int, list[User]]:
        users: dict[int, list[User]] = {}
        for user in User.objects.filter(
            tenant_id__in=self.tenant_ids, is_active=True, **filters
        ).order_by("pk"):
            users.setdefault(user.tenant_id, []).append(user)
        return users

    def workers(self, tenant_id: int) -> list[User]:
        if self._workers is None:
            self._workers = self._by_tenant(role__in=CASE_WORKERS)
        return self._workers.get(tenant_id, [])

    def admins(self, tenant_id: int) -> list[User]:
        if self._admins is None:
            self._admins = self._by_tenant(role=Role.TENANT_ADMIN)
        return self._admins.get(tenant_id, [])

    def of(self, case: Case, kind: str) -> list[User]:
        tenant = case.tenant_id
        on_duty = self.on_duty.get(tenant, [])
        if kind == AlertKind.WARNING:
            return (
                _active([case.assignee], tenant)
                or _active(on_duty, tenant)
                or _active(self.workers(tenant), tenant)
            )
        manager = case.organization.account_manager
        return _active([case.assignee, *on_duty, manager], tenant) or _active(
            self.admins(tenant), tenant
        )


def _sdm_cases(cases: Sequence[Case], now: datetime) -> set[int]:
    """Cases whose account manager acts as service delivery manager (the plan has one)."""
    rights = entitlements_many(wanted=[(case.organization, now) for case in cases])
    return {
        case.pk
        for case in cases
        if rights[
            (case.organization_id, now.astimezone(ZoneInfo(case.tenant.timezone)).date())
        ].has(SDM_ENTITLEMENT)
    }


# --- what firing writes ----------------------------------------------------------------------


def _event_body(clock: SlaClock, kind: str, tenant: Tenant) -> str:
    """One line for the timeline, in the tenant's language and time zone."""
    with translation.override(tenant.language), timezone.override(tenant.timezone):
        due_text = (
            formats.date_format(timezone.localtime(clock.due_at), "D j M H:i")
            if clock.due_at
            else ""
        )
        values = {"metric": metric_label(clock.metric), "due": due_text}
        if kind == AlertKind.BREACH:
            return _("%(metric)s target breached (was due %(due)s).") % values
        return _("%(metric)s target due %(due)s is not met yet.") % values


def _consequences(
    kind: str, clocks: Sequence[SlaClock], alerts: Sequence[SlaAlert], now: datetime
) -> None:
    """Timeline, notifications and (breaches) escalations for freshly written alerts.
    Each clock's `case` is locked and loaded with `CASE_RELATED`."""
    cases = list({clock.case_id: clock.case for clock in clocks}.values())
    as_sdm = _sdm_cases(cases, now) if kind == AlertKind.BREACH else set()
    events = CaseEvent.objects.bulk_create(
        [
            CaseEvent(
                tenant_id=clock.tenant_id,
                case=clock.case,
                kind=EventKind.CLOCK,
                actor=None,
                public=False,
                body=_event_body(clock, kind, clock.case.tenant),
                data={
                    "alert": kind,
                    "alert_id": alert.pk,
                    "clock": clock.pk,
                    "metric": clock.metric,
                    "due_at": clock.due_at.isoformat() if clock.due_at else None,
                    "service_delivery_manager": clock.case_id in as_sdm,
                },
                created_at=now,
            )
            for clock, alert in zip(clocks, alerts, strict=True)
        ]
    )
    recipients = _Recipients(case.tenant_id for case in cases)
    notify_many(
        notices=[
            Notice(
                recipient=user,
                kind=NOTIFICATION_KIND[kind],
                dedupe_key=f"sla-{kind}:{clock.pk}",
                case=clock.case,
                event=event,
                context={"clock": clock, "as_sdm": clock.case_id in as_sdm},
                at=now,
            )
            for clock, event in zip(clocks, events, strict=True)
            for user in recipients.of(clock.case, kind)
        ]
    )
    if kind == AlertKind.BREACH:
        escalations_on_breach(clocks=clocks, at=now)
        alert_ids = [alert.pk for alert in alerts]
        transaction.on_commit(
            lambda: breaches_committed.send(sender=SlaAlert, alert_ids=alert_ids), robust=True
        )


def _fire(kind: str, cases: Sequence[Case], now: datetime) -> list[SlaAlert]:
    """Fire `kind` for the due clocks of `cases` (locked by the caller)."""
    by_pk = {case.pk: case for case in cases}
    clocks = list(
        SlaClock.objects.select_for_update()
        .filter(due(kind, now), case_id__in=list(by_pk))
        .order_by("case_id", "pk")
    )
    if not clocks:
        return []
    fired_before = set(
        SlaAlert.objects.filter(clock__in=clocks, kind=kind).values_list("clock_id", flat=True)
    )
    changes = {"fire_failed_at": None, "fire_error": "", "updated_at": timezone.now()}
    if kind == AlertKind.BREACH:
        changes["state"] = ClockState.BREACHED
    else:
        changes["warned_at"] = now
    # Every due clock of the case leaves the due set, also one whose alert exists already
    # (written by a transaction that could not update the clock): the alert stays the proof.
    SlaClock.objects.filter(pk__in=[clock.pk for clock in clocks]).update(**changes)
    fresh = [clock for clock in clocks if clock.pk not in fired_before]
    for clock in fresh:
        clock.case = by_pk[clock.case_id]
        for field, value in changes.items():
            setattr(clock, field, value)
    alerts = SlaAlert.objects.bulk_create(
        [SlaAlert(tenant_id=c.tenant_id, clock=c, kind=kind, fired_at=now) for c in fresh]
    )
    if fresh:
        _consequences(kind, fresh, alerts, now)
    return alerts


def _mark_failed(kind: str, case_id: int, now: datetime, error: BaseException) -> None:
    message = f"{type(error).__name__}: {error}"[:2000]
    with transaction.atomic():
        SlaClock.objects.filter(due(kind, now), case_id=case_id).update(
            fire_failed_at=now, fire_error=message
        )


def _fire_one_by_one(kind: str, case_ids: Sequence[int], now: datetime) -> Fired:
    alerts = cases = failed = 0
    for case_id in case_ids:
        try:
            with transaction.atomic():
                claimed = _claim(kind, now, limit=1, case_ids=[case_id])
                alerts += len(_fire(kind, claimed, now))
                cases += len(claimed)
        except RETRYABLE:
            raise
        except Exception as error:
            logger.exception(
                "SLA %s for case %s failed; retried in %s", kind, case_id, RETRY_FAILED_AFTER
            )
            _mark_failed(kind, case_id, now, error)
            failed += 1
    return Fired(alerts=alerts, cases=cases, failed=failed)


def alerts_fire_due(*, kind: str, now: datetime, limit: int | None = None) -> Fired:
    """Claim up to `limit` (default `CHUNK_CASES`) cases with due `kind` clocks and fire
    them, in one transaction.

    Idempotent and safe to run concurrently: a case is claimed by one transaction at a
    time, an alert exists once per clock and kind (database constraint), and a clock that
    fired leaves the due set in the same commit.
    """
    claimed: list[int] = []
    try:
        with transaction.atomic():
            cases = _claim(kind, now, limit=limit or CHUNK_CASES)
            claimed = [case.pk for case in cases]
            alerts = _fire(kind, cases, now) if cases else []
        return Fired(alerts=len(alerts), cases=len(claimed))
    except RETRYABLE:
        raise
    except Exception:
        if not claimed:
            raise
        logger.exception("SLA %s batch of %s cases failed; one at a time", kind, len(claimed))
    return _fire_one_by_one(kind, claimed, now)


def alerts_drain(
    *,
    kind: str,
    now: datetime | None = None,
    budget: timedelta | None = None,
    limit: int | None = None,
) -> Fired:
    """Fire batch after batch until nothing due is left to claim (or only cases that
    failed), or `budget` is spent: a `fire_due` task empties the burst it was queued for,
    together with however many other workers run one. `now` fixed: as of that instant
    (tests, commands); None: each batch as of its own start."""
    started = time.monotonic()
    alerts = cases = failed = 0
    while True:
        fired = alerts_fire_due(kind=kind, now=now or timezone.now(), limit=limit)
        alerts, cases, failed = alerts + fired.alerts, cases + fired.cases, failed + fired.failed
        if not fired.alerts:  # nothing claimed, or claimed cases that all failed
            break
        if budget is not None and time.monotonic() - started >= budget.total_seconds():
            break
    return Fired(alerts=alerts, cases=cases, failed=failed)


def breach_record(*, clock: SlaClock, case: Case, at: datetime) -> SlaAlert | None:
    """A clock stopped past its target before the sweep fired its breach (an answer a few
    seconds after `breach_at`): record the breach as the sweep would have, in the caller's
    transaction, which holds the lock of `case` (the caller's own object, so that what the
    escalation changes on it, `escalated_at`, is what the caller holds too). One definition
    of a breach everywhere; the penalty credit follows the same way."""
    if SlaAlert.objects.filter(clock=clock, kind=AlertKind.BREACH).exists():
        return None
    case.organization.tenant = case.tenant
    clock.case = case
    alert = SlaAlert.objects.create(
        tenant_id=clock.tenant_id, clock=clock, kind=AlertKind.BREACH, fired_at=at
    )
    _consequences(AlertKind.BREACH, [clock], [alert], at)
    return alert
