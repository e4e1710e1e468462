"""The SLA sweep on PostgreSQL: nothing due among 1,000,000 open clocks, then a burst.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/supportdesk_bench
    export REDIS_URL=redis://127.0.0.1:6379/15   # a Redis database the bench may empty
    .venv/bin/python -m bench.sweep      # as a module: bench/calendar.py would shadow stdlib
    .venv/bin/python -m bench.sweep --no-burst   # the first part only (no Redis needed)

Part 1 creates (once; reused on later runs) 100 tenants with 1,000,000 running clocks whose
breach instants lie in the future, 100,000 of them already warned about, plus 200,000
breached clocks of the past (history the sweep must not wade through), then times the
sweep's reads when nothing is due: the candidate queries must be range scans of the
partial indexes that return nothing. Exit 1 at 200 ms or more.

Part 2 (`bench/burst.py`) makes 10,000 clocks of the five seed contracts breach at the
same moment in the same database and times two worker processes firing them (alert,
timeline, notifications, escalation) and deciding their credits. Exit 1 past 60 s.

The database is a scratch one (created if missing); never point this at real data.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if sys.path[0] == str(ROOT / "bench"):  # run as a script: do not shadow the stdlib
    sys.path[0] = str(ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings")

TENANTS = 100
CLOCKS = 1_000_000
WARNED = 100_000  # of the running clocks, already warned about (past `warn_at`)
HISTORY = 200_000  # breached clocks of the past, still carrying their `breach_at`
THRESHOLD_MS = 200.0


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        print("bench/sweep.py needs DATABASE_URL pointing at a scratch PostgreSQL database")
        return 2
    _ensure_database(url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from sla.alerts import due
    from sla.models import SlaClock
    from sla.sweep import due_cases, sla_sweep

    now = datetime.now(UTC)
    bench_clocks = SlaClock.objects.filter(tenant__slug__startswith="bench-")
    existing = bench_clocks.count()
    if existing < CLOCKS + HISTORY:
        started = time.perf_counter()
        _populate(now, CLOCKS + HISTORY - existing)
        print(f"populated {CLOCKS + HISTORY - existing:,} clocks "
              f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE sla_slaclock")
    running = bench_clocks.filter(state="running").count()
    warned = bench_clocks.filter(state="running", warned_at__isnull=False).count()
    breached = bench_clocks.filter(state="breached").count()
    print(f"open clocks: {running:,} across {TENANTS} tenants ({warned:,} already warned); "
          f"history: {breached:,} breached clocks")  # fmt: skip

    timings = []
    for _ in range(20):
        started = time.perf_counter()
        counts = [due_cases(kind=kind, now=now) for kind in ("breach", "warning")]
        result = sla_sweep(now=now)
        timings.append((time.perf_counter() - started) * 1000)
        assert counts == [(0, 0), (0, 0)] and result.warned == result.breached == 0, result
    best, median = min(timings), statistics.median(timings)
    print(f"sweep with nothing due (the dispatcher's counts and a claim per kind): "
          f"median {median:.2f} ms, best {best:.2f} ms (20 runs)")  # fmt: skip
    ok_plans = True
    for kind, order in (("breach", "breach_at"), ("warning", "warn_at")):
        query = SlaClock.objects.filter(due(kind, now)).order_by(order, "pk").values("case_id")
        plan = [line.strip() for line in query[:2000].explain().splitlines()]
        scans = [line.split("  (")[0] for line in plan if "Scan" in line]
        print(f"plan ({kind}): {plan[0].split('  (')[0]} / {' / '.join(scans)}")
        if not any("clock_breach_due" in s or "clock_warning_due" in s for s in scans):
            print("  not a range scan of the partial index")
            ok_plans = False
    ok = median < THRESHOLD_MS and ok_plans
    print(f"threshold {THRESHOLD_MS:.0f} ms: {'ok' if ok else 'MISSED'}")
    if "--no-burst" in sys.argv:
        return 0 if ok else 1
    from bench import burst

    print()
    return 0 if burst.run() == 0 and ok else 1


def _ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[-1].split("?")[0]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not found:
            conn.execute(f'CREATE DATABASE "{name}"')


def _letters(index: int) -> str:
    """A case prefix of capitals only (the model allows no digits): 7 -> "BAH"."""
    return "B" + "".join(chr(ord("A") + int(d)) for d in f"{index:02d}")


def _populate(now: datetime, count: int) -> None:
    """Tenants, one customer and contact each, cases with three clocks, via COPY."""
    from django.db import connection

    from plans.models import CustomerOrganization, SeverityLevel
    from supportdesk.models import Tenant, User
    from tickets.models import Case

    per_tenant = count // TENANTS
    with connection.cursor() as cursor:
        raw = cursor.connection
        for index in range(TENANTS):
            tenant, _ = Tenant.objects.get_or_create(
                slug=f"bench-{index:03d}",
                defaults={"name": f"Bench {index}", "country": "DK", "currency": "DKK",
                          "timezone": "Europe/Copenhagen", "case_prefix": _letters(index)},
            )  # fmt: skip
            org, _ = CustomerOrganization.objects.get_or_create(tenant=tenant, name="Customer")
            user, _ = User.objects.get_or_create(
                email=f"contact@bench-{index:03d}.example", defaults={"tenant": tenant}
            )
            severity, _ = SeverityLevel.objects.get_or_create(
                tenant=tenant, key="1", defaults={"name": "Critical", "rank": 1}
            )
            cases = per_tenant // 3 + 1
            warned_every = CLOCKS // WARNED if WARNED else 0
            history_share = HISTORY / (CLOCKS + HISTORY)
            first = Case.objects.count() + 1
            with raw.cursor().copy(
                "COPY tickets_case (tenant_id, number, organization_id, requester_id, "
                "severity_id, subject, description, deployment, event_name, affected_users, "
                "steps_tried, customer_reference, channel, status, resume_status, filed_at, "
                "external_vendor, external_reference, external_horizon, created_at, updated_at) "
                "FROM STDIN"
            ) as copy:
                for n in range(cases):
                    copy.write_row((tenant.pk, f"B-{first + n:09d}", org.pk, user.pk,
                                    severity.pk, "bench", "bench", "", "", "", "", "", "api",
                                    "open", "", now, "", "", "", now, now))  # fmt: skip
            ids = list(
                Case.objects.filter(tenant=tenant).order_by("pk").values_list("pk", flat=True)
            )
            with raw.cursor().copy(
                "COPY sla_slaclock (tenant_id, case_id, metric, state, target_value, target_unit, "
                "target_seconds, source, started_at, due_at, breach_at, warn_at, warned_at, "
                "fire_error, updated_at) "
                "FROM STDIN"
            ) as copy:
                made = 0
                for case_id in ids:
                    for offset, metric in enumerate(("response", "solution_started", "resolution")):
                        if made >= per_tenant:
                            break
                        made += 1
                        if made <= per_tenant * history_share:  # breached long ago
                            due = now - timedelta(days=1 + (case_id + offset) % 700)
                            copy.write_row((tenant.pk, case_id, metric, "breached", 1,
                                            "working_hours", 3600, "bench", due, due, due,
                                            due - timedelta(minutes=15), None, "",
                                            now))  # fmt: skip
                            continue
                        due = now + timedelta(hours=1 + (case_id + offset) % 500)
                        warned = warned_every and made % warned_every == 0
                        warn = now - timedelta(minutes=5) if warned else due - timedelta(minutes=15)
                        copy.write_row((tenant.pk, case_id, metric, "running", 1, "working_hours",
                                        3600, "bench", now, due, due, warn,
                                        warn if warned else None, "", now))  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
