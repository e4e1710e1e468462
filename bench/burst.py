"""10,000 SLA clocks breaching at the same moment, processed by two worker processes.

Part of `bench/sweep.py` (issue 7, point 7); run on its own with

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/supportdesk_bench
    export REDIS_URL=redis://127.0.0.1:6379/15     # a Redis database the bench may empty
    .venv/bin/python -m bench.burst

What it builds, in the bench database (next to the 1,000,000 open clocks of
`bench/sweep.py` when they are there):
  * the five seed contracts with the demo customers, staff and contacts (`demo_seed`),
    two on-duty agents per vendor, and a monthly price of 10,000 DKK on ProMark Premium
    (the pack has none) so that its breached response times are credited in money;
  * template cases filed through `case_file` for every demo customer and severity (their
    clocks are the real ones the contracts give), copied until 10,000 clocks exist, which
    are then set to breach one second ago, all at the same instant.

What it measures: from queueing one `sla.tasks.sweep` (as beat does) until every one of
the 10,000 breaches is fired (alert, timeline, notifications, escalation) and followed up
by billing (penalty credit where the plan grants one), with two `celery worker --pool=solo`
processes consuming the "sla" queue, as a desk with dedicated SLA workers runs them. It
checks the result (one alert per clock, the credits the contracts call for and no other),
then lets the same two workers drain the e-mail outbox of that burst ("mail" queue,
Django's file mail backend: the desk's own cost, not an SMTP server's) and prints how many
notifications went out in how many e-mails (alert storms are mailed as digests).
Exit status 1 when the 60 s budget is missed or a check fails. The burst's cases are
deleted afterwards, so it can run again.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if sys.path[0] == str(ROOT / "bench"):  # run as a script: do not shadow the stdlib
    sys.path[0] = str(ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings")

BREACHES = 10_000
WORKERS = 2
BUDGET_S = 60.0
PREFIX = "BURST"  # case numbers "PRO-BURST-000123": found and removed after each run
PREMIUM_PRICE = Decimal("10000.00")


def _world():
    """The five vendors with customers, staff on duty and a price for ProMark Premium."""
    from plans.demo import demo_seed
    from plans.models import Plan, PlanPrice
    from supportdesk.models import Role, Tenant, User
    from supportdesk.services import staff_create

    demo_seed()
    tenants = list(
        Tenant.objects.filter(
            slug__in=["promark", "mobilise", "pector", "vivant", "synerity"]
        ).order_by("slug")
    )
    for tenant in tenants:
        User.objects.filter(tenant=tenant, role=Role.AGENT).update(on_duty=True)
        email = f"duty@{tenant.slug}.example"
        if not User.objects.filter(email=email).exists():
            staff_create(
                tenant=tenant,
                email=email,
                role=Role.AGENT,
                first_name="Dina",
                last_name="Duty",
                password=None,
            )
            User.objects.filter(email=email).update(on_duty=True)
    premium = Plan.objects.get(tenant__slug="promark", key="premium")
    PlanPrice.objects.get_or_create(
        tenant=premium.tenant,
        plan=premium,
        segment=PlanPrice.Segment.ALL,
        per="month",
        defaults={"amount": PREMIUM_PRICE},
    )
    return tenants


def _templates(tenants, now: datetime):
    """One case per customer, severity and case kind the customer can have, filed as a
    phone call an hour ago: real clocks from the real contracts."""
    from plans.models import CaseType, Contact, ContactRole
    from plans.selectors import severity_list
    from supportdesk.models import Role, User
    from tickets.cases.services import case_file
    from tickets.models import Case, Channel

    templates = list(Case.objects.filter(number__contains=f"-{PREFIX}-T"))
    if templates:
        return templates
    for tenant in tenants:
        agent = User.objects.filter(tenant=tenant, role=Role.AGENT).order_by("pk").first()
        types = list(CaseType.objects.filter(tenant=tenant).order_by("pk")) or [None]
        contacts = (
            Contact.objects.filter(tenant=tenant, role=ContactRole.ADMINISTRATOR, trained=True)
            .select_related("user", "organization")
            .order_by("organization__name")
        )
        for contact in contacts:
            for severity in severity_list(tenant=tenant):
                for case_type in types:
                    case = case_file(
                        actor=agent,
                        organization=contact.organization,
                        requester=contact.user,
                        severity=severity,
                        case_type=case_type,
                        subject="Burst template",
                        description="Filed by bench/burst.py",
                        channel=Channel.PHONE,
                        filed_at=now - timedelta(hours=1),
                    )
                    Case.objects.filter(pk=case.pk).update(
                        number=f"{tenant.case_prefix}-{PREFIX}-T{case.pk}"
                    )
                    templates.append(Case.objects.get(pk=case.pk))
    return templates


def _copies(templates, count: int) -> list[int]:
    """Copy the templates' cases and running clocks until `count` clocks exist; their ids."""
    from sla.models import ClockState, SlaClock
    from tickets.models import Case

    clocks_of: dict[int, list[SlaClock]] = {}
    for clock in SlaClock.objects.filter(case__in=templates, state=ClockState.RUNNING):
        clocks_of.setdefault(clock.case_id, []).append(clock)
    usable = [
        case
        for case in Case.objects.filter(pk__in=[t.pk for t in templates]).select_related("tenant")
        if clocks_of.get(case.pk)
    ]
    if not usable:
        raise SystemExit("no template case has a running clock: the packs changed?")
    cases, sources = [], []
    total = 0
    while total < count:
        for template in usable:
            if total >= count:
                break
            copy = Case(
                **{
                    field.attname: getattr(template, field.attname)
                    for field in Case._meta.concrete_fields
                    if field.attname != "id"
                }
            )
            copy.number = f"{template.tenant.case_prefix}-{PREFIX}-{len(cases):06d}"
            cases.append(copy)
            sources.append(template.pk)
            total += len(clocks_of[template.pk])
    Case.objects.bulk_create(cases, batch_size=2000)
    clocks = [
        SlaClock(
            **{
                field.attname: getattr(clock, field.attname)
                for field in SlaClock._meta.concrete_fields
                if field.attname not in ("id", "case_id")
            },
            case_id=case.pk,
        )
        for case, source in zip(cases, sources, strict=True)
        for clock in clocks_of[source]
    ]
    SlaClock.objects.bulk_create(clocks, batch_size=5000)
    return [clock.pk for clock in clocks][:count]


def _expected_credits(clock_ids: list[int], at: datetime) -> int:
    """How many of the clocks the contracts compensate, decided here without the desk's
    billing code: penalty rule and entitlement of the plan, metric and severity."""
    from plans.models import PlanEntitlement
    from sla.models import SlaClock

    count = 0
    rows = SlaClock.objects.filter(pk__in=clock_ids).select_related(
        "case__severity", "case__organization"
    )
    plan_of = {}
    for clock in rows:
        org = clock.case.organization
        if org.pk not in plan_of:
            sub = org.subscriptions.select_related("plan").order_by("-starts_on").first()
            plan = sub.plan if sub else None
            entitled = (
                plan is not None
                and PlanEntitlement.objects.filter(
                    plan=plan, key="penalty_credits", mode="included"
                ).exists()
            )
            plan_of[org.pk] = (plan, entitled)
        plan, entitled = plan_of[org.pk]
        rule = (plan.penalty or {}) if plan else {}
        if (
            entitled
            and clock.metric in rule.get("metrics", ())
            and clock.case.severity.key in rule.get("severities", ())
        ):
            count += 1
    return count


def _cleanup() -> None:
    from billing.models import PenaltyCredit
    from sla.models import SlaClock
    from tickets.models import Case

    burst = Case.objects.filter(number__contains=f"-{PREFIX}-").exclude(
        number__contains=f"-{PREFIX}-T"
    )
    PenaltyCredit.objects.filter(case__in=burst).delete()
    SlaClock.objects.filter(case__in=burst).delete()
    burst.delete()


MAIL_DIR = "var/bench-mail"  # relative to ROOT, the workers' working directory


def _mails_written() -> int:
    """E-mails the workers wrote with the file backend (each has one Message-ID)."""
    folder = ROOT / MAIL_DIR
    return sum(f.read_text(errors="replace").count("\nMessage-ID: ") for f in folder.glob("*"))


def _start_workers(log_dir: Path, queues: str) -> list[subprocess.Popen]:
    # django-environ reads "filemail:///var/x" as the relative path "var/x".
    env = {**os.environ, "EMAIL_URL": f"filemail:///{MAIL_DIR}", "LOG_LEVEL": "WARNING"}
    processes = []
    for index in range(WORKERS):
        log = (log_dir / f"burst-worker-{index}.log").open("wb")
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "supportdesk",
                    "worker",
                    "--pool=solo",
                    "-Q",
                    queues,
                    "-n",
                    f"burst{index}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "--loglevel=WARNING",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    return processes


def _stop(processes) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _progress(alerts, count: int, t0: float, timeout: float) -> list[tuple[float, int, int]]:
    """(seconds, alerts fired, alerts followed up) every half second until all are followed
    up or the timeout passes."""
    timeline = []
    while time.perf_counter() - t0 < timeout:
        fired = alerts.count()
        followed = alerts.filter(followed_up_at__isnull=False).count()
        timeline.append((time.perf_counter() - t0, fired, followed))
        if followed >= count:
            break
        time.sleep(0.5)
    return timeline


def _wait(predicate, timeout: float, poll: float = 0.25) -> float | None:
    """Seconds until `predicate()` held, or None at the timeout."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if predicate():
            return time.perf_counter() - started
        time.sleep(poll)
    return None


def run() -> int:
    """Build, run and check the burst; print the numbers; 0 when within budget."""
    import django

    django.setup()
    import redis
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count, Sum

    call_command("migrate", verbosity=0)
    from sla.models import AlertKind, ClockState, SlaAlert, SlaClock
    from sla.tasks import sweep
    from tickets.models import EmailStatus, Escalation, Notification

    if not settings.REDIS_URL:
        print("bench/burst.py needs REDIS_URL (a Redis database it may empty, e.g. /15)")
        return 2
    broker = redis.Redis.from_url(settings.REDIS_URL)
    broker.flushdb()
    _cleanup()
    now = datetime.now(UTC).replace(microsecond=0)
    started = time.perf_counter()
    tenants = _world()
    templates = _templates(tenants, now)
    clock_ids = _copies(templates, BREACHES)
    moment = datetime.now(UTC) - timedelta(seconds=1)
    SlaClock.objects.filter(pk__in=clock_ids).update(
        state=ClockState.RUNNING, breach_at=moment, fire_failed_at=None
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE sla_slaclock")
    expected_credits = _expected_credits(clock_ids, now)
    by_tenant = Counter(
        SlaClock.objects.filter(pk__in=clock_ids).values_list("tenant__slug", flat=True)
    )
    print(
        f"burst: {len(clock_ids):,} clocks breaching at {moment:%H:%M:%S} UTC, "
        f"{dict(sorted(by_tenant.items()))}; {expected_credits:,} earn a credit "
        f"(built in {time.perf_counter() - started:.1f} s)"
    )

    alerts = SlaAlert.objects.filter(clock_id__in=clock_ids, kind=AlertKind.BREACH)
    log_dir = ROOT / "var"
    log_dir.mkdir(exist_ok=True)
    workers = _start_workers(log_dir, "sla")
    try:
        time.sleep(4)  # let both workers connect before the clock starts
        t0 = time.perf_counter()
        sweep.apply_async()
        timeline = _progress(alerts, len(clock_ids), t0, timeout=300)
        total = time.perf_counter() - t0
    finally:
        _stop(workers)
    fired = next((t for t, n, _f in timeline if n >= len(clock_ids)), None)
    followed = next((t for t, n, f in timeline if f >= len(clock_ids)), None)
    marks = {}
    for t, n, _f in timeline:
        for share in (0.25, 0.5, 0.75, 1.0):
            if share not in marks and n >= share * len(clock_ids):
                marks[share] = t
    print("fired: " + ", ".join(f"{share:.0%} at {t:.1f} s" for share, t in marks.items()))

    problems = []
    done = followed if followed is not None else total
    if fired is None or followed is None:
        followed_up = alerts.filter(followed_up_at__isnull=False).count()
        problems.append(f"timed out: {alerts.count():,} alerts, {followed_up:,} followed up")
    duplicates = (
        SlaAlert.objects.filter(clock_id__in=clock_ids)
        .values("clock_id", "kind")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .count()
    )
    from billing.models import PenaltyCredit

    credits = PenaltyCredit.objects.filter(clock_id__in=clock_ids)
    burst = {"case__number__contains": f"-{PREFIX}-"}
    notified = Notification.objects.filter(dedupe_key__startswith="sla-breach:", **burst)
    escalations = Escalation.objects.filter(trigger="breach", **burst)
    task_forces = SlaClock.objects.filter(metric="task_force", **burst)
    still_running = SlaClock.objects.filter(pk__in=clock_ids, state=ClockState.RUNNING).count()
    if duplicates:
        problems.append(f"{duplicates} clocks with two alerts of a kind")
    if credits.count() != expected_credits:
        problems.append(f"{credits.count()} credits, expected {expected_credits}")
    if credits.values("clock_id").distinct().count() != credits.count():
        problems.append("a clock credited twice")
    if still_running:
        problems.append(f"{still_running} clocks still running")

    print(
        f"sweep queued at t=0; all {len(clock_ids):,} breaches fired at "
        f"{fired if fired is not None else float('nan'):.1f} s; every credit decided at "
        f"{followed if followed is not None else float('nan'):.1f} s "
        f"(budget {BUDGET_S:.0f} s, {WORKERS} workers)"
    )
    amount = credits.aggregate(total=Sum("amount"))["total"]
    print(
        f"throughput: {len(clock_ids) / done:,.0f} breaches/s; credits {credits.count():,} "
        f"({amount} DKK); breach notifications {notified.count():,}; escalations "
        f"{escalations.count():,}; task forces opened {task_forces.count():,}"
    )

    pending = Notification.objects.filter(
        case__number__contains=f"-{PREFIX}-", email_status=EmailStatus.PENDING
    )
    waiting = pending.count()
    shutil.rmtree(ROOT / MAIL_DIR, ignore_errors=True)
    (ROOT / MAIL_DIR).mkdir(parents=True)
    workers = _start_workers(log_dir, "mail")
    try:
        drained = _wait(lambda: not pending.exists(), 600, poll=1.0)
    finally:
        _stop(workers)
    if drained is None:
        print(f"mail: {pending.count():,} of {waiting:,} e-mails still pending after 600 s")
    else:
        rate = waiting / max(drained, 0.001)
        print(
            f"mail: {waiting:,} e-mail notifications of the burst delivered in {drained:.1f} s "
            f"({rate:,.0f}/s) as {_mails_written():,} e-mails (digests for alert storms; "
            f"file mail backend, the same two workers)"
        )
    shutil.rmtree(ROOT / MAIL_DIR, ignore_errors=True)

    ok = not problems and done <= BUDGET_S
    for problem in problems:
        print(f"CHECK FAILED: {problem}")
    print(f"threshold {BUDGET_S:.0f} s: {'ok' if ok else 'MISSED'}")
    _cleanup()
    broker.flushdb()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(run())
