"""The operations page, its API and the readiness probe: sweep, heartbeat, broker, outbox."""

import datetime as dt
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


def swept(minutes_ago, warned=0, breached=0):
    at = NOW - dt.timedelta(minutes=minutes_ago)
    return SweepRun.objects.create(started_at=at, finished_at=at, warned=warned, breached=breached)


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
    swept(1, warned=2, breached=1)
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
        "warned": 2,
        "breached": 1,
    }
    assert data["heartbeat"]["age_seconds"] == 20 and not data["heartbeat"]["late"]
    assert data["outbox"] == {
        "pending": 2,
        "oldest": (NOW - dt.timedelta(minutes=7)).isoformat(),
        "failed": 1,
    }
    assert data["broker_queue"] is None  # not Redis: "n/a"
    assert data["clocks_due_next_hour"] == 1


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


def test_broker_queue_length_on_redis(admin, settings):
    settings.REDIS_URL = "redis://broker.invalid:6379/0"
    with mock.patch("redis.Redis.from_url") as from_url:
        from_url.return_value.llen.return_value = 7
        assert api_get(admin).json()["broker_queue"] == 7
    from_url.assert_called_once()
    with mock.patch("redis.Redis.from_url", side_effect=ConnectionError("down")):
        assert api_get(admin).json()["broker_queue"] is None


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
