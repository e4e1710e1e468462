"""The operations page, its API and the readiness probe: sweep, heartbeat, broker, outbox."""

import datetime as dt
import os
from unittest import mock

import pytest
from django.db import DatabaseError
from rest_framework.test import APIClient

from sla.models import SweepRun
from supportdesk.models import Role, WorkerHeartbeat
from tests.factories import UserFactory
from tests.factories_sla import clock_in
from tickets.models import EmailStatus, Notification

NOW = dt.datetime(2026, 4, 14, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen(time_machine, settings):
    time_machine.move_to(NOW, tick=False)
    settings.REDIS_URL = ""  # the filesystem broker, even where CI runs on Redis


@pytest.fixture
def admin(tenant_a):
    return UserFactory(tenant=tenant_a, role=Role.TENANT_ADMIN)


def swept(minutes_ago, warnings_due=0, breaches_due=0, batches=0):
    at = NOW - dt.timedelta(minutes=minutes_ago)
    return SweepRun.objects.create(
        started_at=at,
        finished_at=at,
        warnings_due=warnings_due,
        breaches_due=breaches_due,
        batches=batches,
    )


def pending_mail(tenant, minutes_ago=5, status=EmailStatus.PENDING):
    return Notification.objects.create(
        tenant=tenant,
        recipient=UserFactory(tenant=tenant),
        kind="sla_breach",
        dedupe_key=f"test:{Notification.objects.count()}",
        subject="s",
        body="b",
        created_at=NOW - dt.timedelta(minutes=minutes_ago),
        email_status=status,
    )


def api_get(user, path="/api/v1/operations/"):
    api = APIClient()
    api.force_authenticate(user)
    return api.get(path)


def test_operations_numbers_are_the_tenants_own(admin, tenant_a, tenant_b):
    swept(1, warnings_due=2, breaches_due=1, batches=2)
    WorkerHeartbeat.objects.create(name="worker", last_seen=NOW - dt.timedelta(seconds=20))
    pending_mail(tenant_a, minutes_ago=7)
    pending_mail(tenant_a, minutes_ago=2)
    pending_mail(tenant_a, status=EmailStatus.FAILED)
    pending_mail(tenant_b)  # another tenant's outbox is not ours to count
    soon = clock_in(tenant_a)
    soon.breach_at = NOW + dt.timedelta(minutes=30)
    soon.save()
    later = clock_in(tenant_b)
    later.breach_at = NOW + dt.timedelta(minutes=30)
    later.save()

    data = api_get(admin).json()
    assert data["sweep"] == {
        "last_finished_at": (NOW - dt.timedelta(minutes=1)).isoformat(),
        "age_seconds": 60,
        "late": False,
        "warnings_due": 2,
        "breaches_due": 1,
        "batches": 2,
    }
    assert data["heartbeat"]["age_seconds"] == 20 and not data["heartbeat"]["late"]
    assert data["outbox"] == {
        "pending": 2,
        "oldest": (NOW - dt.timedelta(minutes=7)).isoformat(),
        "failed": 1,
    }
    assert data["broker_queues"] is None  # not Redis: "n/a"
    assert data["clocks_due_next_hour"] == 1
    assert data["breaches_overdue"] == 0 and data["failing"] == []


def test_the_page_warns_when_the_sweep_is_late(client, admin, tenant_a):
    swept(10)
    client.force_login(admin)
    response = client.get("/config/operations/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="sweep-late"' in html
    assert "n/a" in html
    assert api_get(admin).json()["sweep"]["late"] is True


def test_the_page_is_calm_when_the_sweep_is_on_time(client, admin):
    swept(0.5)
    client.force_login(admin)
    html = client.get("/config/operations/").content.decode()
    assert 'data-testid="sweep-late"' not in html
    assert 'data-testid="operations"' in html


def test_only_tenant_admins_see_operations(client, tenant_a):
    agent = UserFactory(tenant=tenant_a, role=Role.AGENT)
    client.force_login(agent)
    assert client.get("/config/operations/").status_code == 404
    assert api_get(agent).status_code == 403


def test_queue_lengths_come_from_redis_and_say_na_when_it_is_down(admin, settings):
    url = os.environ.get("REDIS_URL", "")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI must run this test against Redis")
        pytest.skip("needs REDIS_URL")
    import redis

    settings.REDIS_URL = url.rsplit("/", 1)[0] + "/14"  # a database of its own
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete("sla", "celery", "mail")
    try:
        client.rpush("sla", "a", "b", "c")
        client.rpush("mail", "d")
        assert api_get(admin).json()["broker_queues"] == {"sla": 3, "celery": 0, "mail": 1}
    finally:
        client.delete("sla", "celery", "mail")
    with mock.patch("redis.Redis.from_url", side_effect=ConnectionError("down")):
        assert api_get(admin).json()["broker_queues"] is None


def test_overdue_breaches_and_failing_alerts_are_shown_per_tenant(
    client, admin, tenant_a, tenant_b
):
    swept(0.5)
    mine = clock_in(tenant_a)
    mine.breach_at = NOW - dt.timedelta(minutes=3)  # the workers should have fired it
    mine.fire_failed_at = NOW - dt.timedelta(minutes=1)
    mine.fire_error = "ValueError: unknown amount rule"
    mine.save()
    recent = clock_in(tenant_a)
    recent.breach_at = NOW - dt.timedelta(minutes=1)  # within the grace: not overdue yet
    recent.save()
    theirs = clock_in(tenant_b)
    theirs.breach_at = NOW - dt.timedelta(hours=1)
    theirs.fire_failed_at = NOW
    theirs.fire_error = "theirs"
    theirs.save()

    data = api_get(admin).json()
    assert data["breaches_overdue"] == 1
    assert data["failing"] == [
        {
            "case": mine.case.number,
            "metric": mine.metric,
            "failed_at": mine.fire_failed_at.isoformat(),
            "error": "ValueError: unknown amount rule",
        }
    ]
    client.force_login(admin)
    html = client.get("/config/operations/").content.decode()
    assert 'data-testid="breaches-overdue"' in html
    assert "unknown amount rule" in html and "theirs" not in html
    assert theirs.case.number not in html
    # The probe counts every tenant's overdue breaches, and stays ready.
    ready = client.get("/healthz/ready")
    assert ready.status_code == 200 and ready.json()["breaches_overdue"] == 2


@pytest.mark.django_db
def test_ready_is_200_while_the_sweep_runs(client):
    swept(1)
    WorkerHeartbeat.objects.create(name="worker", last_seen=NOW)
    response = client.get("/healthz/ready")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "sweep_age_seconds": 60,
        "sweep_late": False,
        "heartbeat_age_seconds": 0,
        "heartbeat_late": False,
        "breaches_overdue": 0,
    }
    assert client.get("/healthz").json() == {"status": "ok"}  # liveness is unchanged


@pytest.mark.django_db
def test_ready_is_503_when_the_sweep_is_late_or_never_ran(client):
    response = client.get("/healthz/ready")
    assert response.status_code == 503
    assert response.json()["sweep_late"] is True
    swept(4)
    assert client.get("/healthz/ready").status_code == 503


@pytest.mark.django_db
def test_ready_is_503_when_the_database_fails(client):
    with mock.patch("sla.sweep.health_status", side_effect=DatabaseError("gone")):
        response = client.get("/healthz/ready")
    assert response.status_code == 503
    assert response.json() == {"status": "fail", "database": "fail"}
