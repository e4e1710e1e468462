"""Exactly once (issue 7.5): SLA breaches and penalty credits through a real Redis broker
and real `celery worker` processes, on PostgreSQL.

Each test starts its own `redis-server` on a free port (no persistence), so the tests can
stop it, restore unacknowledged messages with a short visibility timeout and leave no
messages behind in a Redis a running desk uses. Workers are separate processes on the
SAME test database (the data is committed: `transaction=True`), consuming one private
queue per test with `--pool=solo`. They are started through a small bootstrap
(`WORKER_BOOT`) that routes the SLA and billing tasks to that queue (e-mail delivery to
a sink nobody consumes) and, for the crash tests, injects a pause inside the breach
transaction or inside the credit transaction — production code is not changed for the
tests.

The flow is the production one: the sweep queues `fire_due` batches, each batch claims
cases and fires them, the commit queues `credit_breaches_for`. Worker and sweep run in
real time: clocks are made due by moving `breach_at` into the past with an UPDATE, as a
clock whose target passed would be.
"""

from __future__ import annotations

import ast
import datetime as dt
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.utils import timezone

from billing.models import PenaltyCredit
from billing.tasks import credit_breaches
from plans.models import CaseType, Plan, PlanPrice, SeverityLevel
from plans.policy import policy_pack_load
from sla.models import AlertKind, ClockState, SlaAlert, SlaClock, SweepRun
from sla.tasks import fire_due, sweep
from supportdesk.models import Role
from tests.factories import UserFactory
from tests.plans.conftest import read_pack
from tests.tickets.conftest import contact_in, subscribed
from tickets.cases.services import case_file
from tickets.models import EmailStatus, Notification

ROOT = Path(__file__).resolve().parents[2]
CI = bool(os.environ.get("CI"))

pytestmark = [pytest.mark.broker, pytest.mark.django_db(transaction=True)]

# Cases filed for the concurrent sweep: two running clocks each (response, solution
# started), fired in batches of `CONCURRENT_CHUNK` cases so that both workers get some.
CONCURRENT_CASES = int(os.environ.get("EXACTLY_ONCE_CASES", "50"))
CONCURRENT_CHUNK = 5

# The worker process: Django first, then test-only Celery options, then the worker.
# TEST_PAUSE_IN is a fault-injection hook: "breach" pauses inside the breach transaction
# after the alerts are written and the clocks marked breached (`sla.alerts._sdm_cases`
# is called next); "credit" pauses inside the credit transaction after the credits are
# written (`billing.services.penalty_credits_create` returns). The hook writes the marker
# file and sleeps there, before the commit, so the test can SIGKILL the worker in the
# middle of processing.
WORKER_BOOT = r"""
import os, pathlib, sys, time
import django
django.setup()
from supportdesk.celery import app

queue = os.environ["TEST_QUEUE"]
app.conf.task_default_queue = queue + "-sink"  # e-mail delivery: nobody consumes it
app.conf.task_routes = {"sla.tasks.*": {"queue": queue}, "billing.tasks.*": {"queue": queue}}
options = {"visibility_timeout": int(os.environ.get("TEST_VISIBILITY_TIMEOUT", "3600"))}
if "TEST_VISIBILITY_TIMEOUT" in os.environ:
    options.update(unacked_restore_interval=1, unacked_restore_throttle=1)
app.conf.broker_transport_options = options
if "TEST_CHUNK_CASES" in os.environ:
    import sla.alerts

    sla.alerts.CHUNK_CASES = int(os.environ["TEST_CHUNK_CASES"])


def pausing(module, name):
    real = getattr(module, name)
    marker = os.environ["TEST_PAUSE_MARKER"]

    def paused(*args, **kwargs):
        result = real(*args, **kwargs)
        pathlib.Path(marker).write_text(str(os.getpid()))
        time.sleep(600)
        return result

    setattr(module, name, paused)


pause = os.environ.get("TEST_PAUSE_IN")
if pause == "breach":
    import sla.alerts

    pausing(sla.alerts, "_sdm_cases")
elif pause == "credit":
    import billing.services

    pausing(billing.services, "penalty_credits_create")

app.worker_main(sys.argv[1:])
"""


# --- infrastructure ---------------------------------------------------------------------------


def _need(condition: bool, why: str) -> None:
    if not condition:
        if CI:
            pytest.fail(f"{why} (CI must run the exactly-once tests)")
        pytest.skip(why)


@pytest.fixture
def postgres_url(transactional_db):
    """The test database as a URL for the worker processes."""
    _need(connection.vendor == "postgresql", "exactly-once tests need PostgreSQL")
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    host = s["HOST"] or "127.0.0.1"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{s['NAME']}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A private `redis-server` that a test can stop and start again on the same port."""

    def __init__(self, tmp_path: Path):
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log = tmp_path / f"redis-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        import redis

        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--logfile",
                str(self.log),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        pytest.fail(f"redis-server on port {self.port} did not come up")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def broker(tmp_path):
    _need(shutil.which("redis-server") is not None, "redis-server is not installed")
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def desk_broker(broker):
    """Point this process's Celery app (the desk's producer) at the private Redis."""
    from supportdesk.celery import app

    def point(url):
        app.conf.broker_url = url
        app._pool = None
        if "amqp" in app.__dict__:
            app.amqp._producer_pool = None

    saved = app.conf.broker_url
    point(broker.url)
    try:
        yield broker
    finally:
        point(saved)


class Worker:
    def __init__(self, process: subprocess.Popen, queue: str, log: Path):
        self.process, self.queue, self.log = process, queue, log

    @property
    def pid(self) -> int:
        return self.process.pid

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def succeeded(self, task_name: str) -> int:
        return sum(
            1
            for line in self.text().splitlines()
            if f"Task {task_name}[" in line and " succeeded in " in line
        )

    def wait_ready(self, timeout: float = 30) -> None:
        wait_for(lambda: " ready." in self.text(), timeout, f"worker {self.queue} ready", self)


def wait_for(predicate, timeout: float, what: str, *workers: Worker) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if any(" raised unexpected: " in w.text() for w in workers):
            break  # a task failed in a worker: say so now, not at the timeout
        time.sleep(0.1)
    logs = "\n\n".join(f"--- {w.queue} ---\n{w.text()[-3000:]}" for w in workers)
    pytest.fail(f"no {what} (timed out or a task failed)\n{logs}")


@pytest.fixture
def queue():
    """The private queue of this test's workers."""
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def start_worker(postgres_url, broker, queue, tmp_path):
    """Start `celery worker` processes on the test database and the private Redis."""
    started: list[Worker] = []

    def start(**extra_env: str) -> Worker:
        log = tmp_path / f"worker-{len(started)}.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "supportdesk.settings",
            "DATABASE_URL": postgres_url,
            "REDIS_URL": broker.url,
            "TEST_QUEUE": queue,
            **extra_env,
        }
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    WORKER_BOOT,
                    "worker",
                    "--pool=solo",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "--loglevel=INFO",
                    "-Q",
                    queue,
                    "-n",
                    f"{queue}-{len(started)}@%h",
                ],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        worker = Worker(process, queue, log)
        started.append(worker)
        return worker

    yield start
    # Every task the test sent has finished (the tests wait for them), and the private
    # Redis goes away with the test: no warm shutdown needed.
    for worker in started:
        if worker.process.poll() is None:
            worker.process.kill()
        worker.process.wait(timeout=15)


def fired_by(worker: Worker) -> int:
    """Alerts written by the `fire_due` tasks this worker ran (from their logged results)."""
    total = 0
    for line in worker.text().splitlines():
        match = re.search(r"Task sla\.tasks\.fire_due\[[^\]]+\] succeeded in [^:]+: (\{.*\})", line)
        if match:
            total += ast.literal_eval(match.group(1))["alerts"]
    return total


def assert_clean(*workers: Worker) -> None:
    for worker in workers:
        text = worker.text()
        assert " raised unexpected: " not in text, text[-4000:]  # no task failed
        assert "IntegrityError" not in text, text[-4000:]
        assert "one at a time" not in text, text[-4000:]  # no batch fell back
        assert "deadlock" not in text.lower(), text[-4000:]


# --- the desk ---------------------------------------------------------------------------------


@pytest.fixture
def world(transactional_db):
    """ProMark Premium with a monthly price, so a severity-1 response breach earns a credit."""
    tenant = policy_pack_load(document=read_pack("promark")).tenant
    customer = subscribed(tenant, "premium", name="Premium Kunde A/S")
    plan = Plan.objects.for_tenant(tenant).get(key="premium")
    PlanPrice.objects.create(
        tenant=tenant,
        plan=plan,
        segment=PlanPrice.Segment.ALL,
        amount=Decimal("10000.00"),
        per="month",
    )
    return {
        "tenant": tenant,
        "contact": contact_in(customer),
        "admin": UserFactory(tenant=tenant, role=Role.TENANT_ADMIN),
        "severity": SeverityLevel.objects.for_tenant(tenant).get(key="1"),
        "incident": CaseType.objects.for_tenant(tenant).get(key="incident"),
    }


def file_case(world):
    contact = world["contact"]
    return case_file(
        actor=contact.user,
        organization=contact.organization,
        requester=contact.user,
        severity=world["severity"],
        case_type=world["incident"],
        subject="Invoices do not print",
        description="The print button does nothing.",
    )


def make_due(clocks) -> None:
    """The response target passed a minute ago (the clock keeps running)."""
    SlaClock.objects.filter(pk__in=[c.pk for c in clocks]).update(
        state=ClockState.RUNNING, breach_at=timezone.now() - dt.timedelta(minutes=1)
    )


def breached_due(world):
    clock = file_case(world).clocks.get(metric="response")
    make_due([clock])
    return clock


def breach_alerts(clock) -> int:
    return SlaAlert.objects.filter(clock=clock, kind=AlertKind.BREACH).count()


def credits(clock) -> int:
    return PenaltyCredit.objects.filter(clock=clock).count()


def assert_exactly_once(clock) -> None:
    clock.refresh_from_db()
    assert clock.state == ClockState.BREACHED
    assert breach_alerts(clock) == 1
    assert credits(clock) == 1
    credit = PenaltyCredit.objects.get(clock=clock)
    assert credit.amount == Decimal("500.00")  # 5 % of 10,000: the rule priced it once
    # One breach notification per recipient (the outbox's dedupe key).
    keys = list(
        Notification.objects.filter(dedupe_key=f"sla-breach:{clock.pk}").values_list(
            "recipient_id", flat=True
        )
    )
    assert keys and len(keys) == len(set(keys))


def killed_in(start_worker, queue, tmp_path, where: str):
    """A worker that pauses inside the `where` transaction ("breach" or "credit") fires a
    batch and is SIGKILLed there; returns the `fire_due` message it was running."""
    marker = tmp_path / "paused"
    doomed = start_worker(TEST_PAUSE_IN=where, TEST_PAUSE_MARKER=str(marker))
    message = fire_due.apply_async(kwargs={"kind": "breach"}, queue=queue)
    wait_for(marker.exists, 60, f"the worker to pause inside the {where} transaction", doomed)
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.process.wait(timeout=10)
    return message


def rescued(start_worker):
    """A worker with a 2 s visibility timeout: it restores the dead worker's unacknowledged
    message and runs it; returns once the credit decision has run."""
    rescuer = start_worker(TEST_VISIBILITY_TIMEOUT="2")
    wait_for(
        lambda: rescuer.succeeded("billing.tasks.credit_breaches_for") == 1,
        45,
        "the redelivered message and the credit decision",
        rescuer,
    )
    return rescuer


# --- the tests --------------------------------------------------------------------------------


def test_the_same_task_delivered_twice_gives_one_alert_and_one_credit(
    world, desk_broker, start_worker, queue
):
    clock = breached_due(world)
    worker = start_worker()

    sweep_id, fire_id, credit_id = (str(uuid.uuid4()) for _ in range(3))
    for _ in range(2):  # the same message (same task id) delivered twice, at every step
        sweep.apply_async(queue=queue, task_id=sweep_id)
        fire_due.apply_async(kwargs={"kind": "breach"}, queue=queue, task_id=fire_id)
        credit_breaches.apply_async(queue=queue, task_id=credit_id)

    # Whatever the order the messages run in: every copy runs, one batch fires, and its
    # commit queues exactly one credit decision.
    def all_done() -> bool:
        queued_batches = sum(SweepRun.objects.values_list("batches", flat=True))
        return (
            worker.succeeded("sla.tasks.sweep") == 2
            and worker.succeeded("sla.tasks.fire_due") == 2 + queued_batches
            and worker.succeeded("billing.tasks.credit_breaches") == 2
            and worker.succeeded("billing.tasks.credit_breaches_for") == 1
        )

    wait_for(all_done, 60, "every copy of every message", worker)
    assert SweepRun.objects.count() == 2
    assert fired_by(worker) == 1
    assert_clean(worker)
    assert_exactly_once(clock)


def test_a_worker_killed_mid_breach_gives_one_alert_and_one_credit_after_redelivery(
    world, desk_broker, start_worker, queue, tmp_path
):
    clock = breached_due(world)
    message = killed_in(start_worker, queue, tmp_path, "breach")
    # The transaction died with the worker: no alert, the clock still running.
    clock.refresh_from_db()
    assert breach_alerts(clock) == 0 and clock.state == ClockState.RUNNING
    assert not Notification.objects.filter(dedupe_key=f"sla-breach:{clock.pk}").exists()

    # acks_late: the message was never acknowledged. A worker with a short visibility
    # timeout restores it to the queue and runs it again (production: after an hour, or
    # the beat's next sweep 30 s later, whichever comes first).
    rescuer = rescued(start_worker)
    assert f"sla.tasks.fire_due[{message.id}] succeeded" in rescuer.text()  # the same message
    assert fired_by(rescuer) == 1
    assert_clean(rescuer)
    assert_exactly_once(clock)


def test_a_worker_killed_mid_credit_gives_one_credit_after_redelivery(
    world, desk_broker, start_worker, queue, tmp_path
):
    clock = breached_due(world)
    killed_in(start_worker, queue, tmp_path, "credit")
    # The breach committed before; the credit died with the worker.
    assert breach_alerts(clock) == 1 and credits(clock) == 0
    alert = SlaAlert.objects.get(clock=clock, kind=AlertKind.BREACH)
    assert alert.followed_up_at is None

    rescuer = rescued(start_worker)
    credit_breaches.apply_async(queue=queue)  # the catch-up finds nothing left to do
    wait_for(lambda: rescuer.succeeded("billing.tasks.credit_breaches") == 1, 30, "catch-up")
    assert_clean(rescuer)
    assert_exactly_once(clock)
    alert.refresh_from_db()
    assert alert.followed_up_at is not None


def test_two_workers_sweeping_at_once_never_double_fire(world, desk_broker, start_worker, queue):
    chunk = str(CONCURRENT_CHUNK)
    first, second = start_worker(TEST_CHUNK_CASES=chunk), start_worker(TEST_CHUNK_CASES=chunk)
    clocks = []
    for _ in range(CONCURRENT_CASES):  # the workers start while the cases are filed
        case = file_case(world)
        clocks += list(case.clocks.filter(state=ClockState.RUNNING))
    make_due(clocks)
    assert len(clocks) >= 2 * CONCURRENT_CASES
    first.wait_ready()
    second.wait_ready()

    sweep.apply_async(queue=queue)
    sweep.apply_async(queue=queue)
    batches = 2 * -(-CONCURRENT_CASES // CONCURRENT_CHUNK)  # both sweeps queue every batch
    credited = PenaltyCredit.objects.filter(clock__in=clocks)
    wait_for(
        lambda: (
            first.succeeded("sla.tasks.fire_due") + second.succeeded("sla.tasks.fire_due")
            == batches
            and credited.count() == CONCURRENT_CASES
            and not SlaAlert.objects.filter(followed_up_at__isnull=True).exists()
        ),
        90,
        "every batch and every credit decision",
        first,
        second,
    )

    assert_clean(first, second)
    runs = list(SweepRun.objects.values_list("breaches_due", "batches"))
    assert runs == [(len(clocks), batches // 2)] * 2
    split = [fired_by(first), fired_by(second)]
    assert sum(split) == len(clocks), split
    assert all(n > 0 for n in split), f"one worker fired everything: {split}"
    assert SlaAlert.objects.filter(kind=AlertKind.BREACH).count() == len(clocks)
    assert SlaAlert.objects.filter(clock__in=clocks, kind=AlertKind.BREACH).values(
        "clock"
    ).distinct().count() == len(clocks)
    response = [c for c in clocks if c.metric == "response"]
    assert PenaltyCredit.objects.count() == len(response) == CONCURRENT_CASES
    assert PenaltyCredit.objects.values("clock").distinct().count() == len(response)
    print(f"alerts fired by each of the two workers: {split}")


def test_with_redis_stopped_a_case_is_filed_and_its_breach_fires_once_redis_is_back(
    world, desk_broker, start_worker, queue
):
    broker = desk_broker
    worker = start_worker()
    worker.wait_ready()

    broker.stop()
    wait_for(lambda: "Connection to broker lost" in worker.text(), 15, "the outage", worker)
    started = time.monotonic()
    case = file_case(world)  # must not fail, nor hang, without a broker
    assert time.monotonic() - started < 15
    clock = case.clocks.get(metric="response")
    pending = Notification.objects.filter(case=case, email_status=EmailStatus.PENDING)
    assert pending.exists()  # the outbox kept what could not be queued

    broker.start()
    make_due([clock])
    sweep.apply_async(queue=queue)
    wait_for(
        lambda: worker.succeeded("billing.tasks.credit_breaches_for") == 1,
        60,
        "the sweep, the batch and the credit after Redis came back",
        worker,
    )
    assert_clean(worker)
    assert_exactly_once(clock)


def test_a_breach_committed_while_redis_is_down_is_credited_by_the_catch_up(
    world, desk_broker, start_worker, queue
):
    """The credit task is queued after the breach commits; if the broker is gone at that
    moment the alert stays without follow-up and the beat catch-up credits it."""
    from sla.sweep import sla_sweep

    clock = breached_due(world)
    desk_broker.stop()
    assert sla_sweep(now=timezone.now()).breached == 1  # fires here; queueing the credit fails
    assert credits(clock) == 0
    assert SlaAlert.objects.get(clock=clock, kind=AlertKind.BREACH).followed_up_at is None

    desk_broker.start()
    worker = start_worker()
    credit_breaches.apply_async(queue=queue)
    wait_for(lambda: worker.succeeded("billing.tasks.credit_breaches") == 1, 60, "catch-up", worker)
    assert_clean(worker)
    assert_exactly_once(clock)
