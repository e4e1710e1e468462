"""How fast the SLA sweep finds nothing to do among many open clocks (PostgreSQL).

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/supportdesk_bench
    .venv/bin/python -m bench.sweep      # as a module: bench/calendar.py would shadow stdlib

Creates (once; reused on later runs) 100 tenants with 1,000,000 running clocks whose warning
and breach instants lie in the future, then times `sla_sweep` when nothing is due: the two
candidate queries must be index range scans that return nothing. Prints the numbers and the
query plans, and exits 1 if a sweep takes 200 ms or more. The database is a scratch one
(created if missing); never point this at real data.

Not measured here yet: 10,000 clocks breaching at once processed by two worker processes
(issue 7, point 7, second half).
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
    from sla.models import SlaClock
    from sla.sweep import breach_candidates, sla_sweep, warning_candidates

    now = datetime.now(UTC)
    existing = SlaClock.objects.count()
    if existing < CLOCKS:
        started = time.perf_counter()
        _populate(now, CLOCKS - existing)
        print(f"populated {CLOCKS - existing:,} clocks in {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE sla_slaclock")
    running = SlaClock.objects.filter(state="running").count()
    print(f"open clocks: {running:,} across {TENANTS} tenants")

    timings = []
    for _ in range(20):
        started = time.perf_counter()
        result = sla_sweep(now=now)
        timings.append((time.perf_counter() - started) * 1000)
        assert result.warned == result.breached == 0, result
    best, median = min(timings), statistics.median(timings)
    print(f"sweep with nothing due: median {median:.2f} ms, best {best:.2f} ms (20 runs)")
    with connection.cursor() as cursor:
        for label, sql in (
            ("breach", "SELECT id FROM sla_slaclock WHERE state = 'running' AND breach_at < %s "
                       "ORDER BY breach_at, id LIMIT 500"),
            ("warning", "SELECT id FROM sla_slaclock WHERE state = 'running' AND warn_at <= %s "
                        "ORDER BY warn_at, id LIMIT 500"),
        ):  # fmt: skip
            cursor.execute("EXPLAIN " + sql, [now])
            plan = " / ".join(row[0].strip() for row in cursor.fetchall()[:3])
            print(f"plan ({label}): {plan}")
    assert breach_candidates(now=now) == [] and warning_candidates(now=now) == []
    ok = median < THRESHOLD_MS
    print(f"threshold {THRESHOLD_MS:.0f} ms: {'ok' if ok else 'MISSED'}")
    return 0 if ok else 1


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
                "target_seconds, source, started_at, due_at, breach_at, warn_at, updated_at) "
                "FROM STDIN"
            ) as copy:
                made = 0
                for case_id in ids:
                    for offset, metric in enumerate(("response", "solution_started", "resolution")):
                        if made >= per_tenant:
                            break
                        due = now + timedelta(hours=1 + (case_id + offset) % 500)
                        copy.write_row((tenant.pk, case_id, metric, "running", 1, "working_hours",
                                        3600, "bench", now, due, due, due - timedelta(minutes=15),
                                        now))  # fmt: skip
                        made += 1


if __name__ == "__main__":
    raise SystemExit(main())
