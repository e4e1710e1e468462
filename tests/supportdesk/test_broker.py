"""A real task through the real Redis broker to a real worker process (no eager mode)."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from supportdesk.tasks import ping

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def redis_url():
    url = settings.REDIS_URL
    if not url:
        if os.environ.get("CI"):
            pytest.fail("REDIS_URL is not set under CI: the broker test must run against Redis")
        pytest.skip("REDIS_URL not set; the broker round trip needs Redis")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.fail(f"Redis at {url} is unreachable: {exc}")
    return url


@pytest.fixture
def worker(redis_url, tmp_path):
    """A `celery worker` process consuming a queue no other worker listens to."""
    queue = f"test-{uuid.uuid4().hex[:12]}"
    log = tmp_path / "worker.log"
    env = {**os.environ, "REDIS_URL": redis_url, "DJANGO_SETTINGS_MODULE": "supportdesk.settings"}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "supportdesk",
                "worker",
                "--pool=solo",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
                "-Q",
                queue,
                "-n",
                f"{queue}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield queue, process, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.mark.broker
def test_task_round_trip_through_redis_to_a_worker_process(worker):
    queue, process, log = worker
    payload = uuid.uuid4().hex
    result = ping.apply_async(args=[payload], queue=queue)
    try:
        answer = result.get(timeout=60)
    except Exception:
        pytest.fail(f"no answer from the worker; its log:\n{log.read_text()[-3000:]}")
    assert answer["echo"] == payload
    assert answer["pid"] == process.pid != os.getpid()
    assert not getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False)
