"""Queueing background work after a commit, without ever failing the commit.

PostgreSQL is the source of truth: every piece of work a task does is also findable in
the database (a pending notification, a breach not yet followed up), and a beat task
picks up whatever could not be queued. So when the broker is down, queueing logs a
warning and gives up quickly instead of holding up the request or the sweep.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from functools import cache

from django.db import transaction

from supportdesk.celery import app

logger = logging.getLogger(__name__)

# A short retry: an unreachable broker must not hold a request up.
QUICK_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5}


@cache
def broker_errors() -> tuple[type[BaseException], ...]:
    """What `apply_async` raises when the broker cannot be reached."""
    from kombu.exceptions import OperationalError

    errors: list[type[BaseException]] = [OperationalError, ConnectionError, TimeoutError]
    try:
        import redis.exceptions
    except ImportError:  # pragma: no cover - redis is a dependency
        pass
    else:
        errors += [redis.exceptions.ConnectionError, redis.exceptions.TimeoutError]
    return tuple(errors)


def task_named(name: str):
    """The registered Celery task called `name`.

    Queueing by name lets a module queue a task whose module imports it back (the
    notifications outbox queues `tickets.tasks.deliver_notifications`, which calls
    delivery) without an import cycle. A process that has not loaded the task's module yet
    (a web worker) has Celery import every app's `tasks` module once, as a worker does at
    start-up; the task's own options (retries, acks) then apply as with the task object.
    """
    if name not in app.tasks:
        app.loader.import_default_modules()
    return app.tasks[name]


def enqueue(
    task, *, args: Sequence = (), kwargs: Mapping | None = None, what: str, **options
) -> bool:
    """Send `task` (a task, or its registered name) now; False (and a warning naming
    `what`) when the broker is down."""
    if isinstance(task, str):
        task = task_named(task)
    try:
        task.apply_async(
            args=list(args),
            kwargs=dict(kwargs or {}),
            retry=True,
            retry_policy=QUICK_RETRY,
            **options,
        )
    except broker_errors() as exc:
        logger.warning("Broker unavailable; %s waits for the catch-up task: %s", what, exc)
        return False
    return True


def enqueue_on_commit(
    task, *, args: Sequence = (), kwargs: Mapping | None = None, what: str, **options
) -> None:
    """Send `task` (a task, or its registered name) once the current transaction commits
    (never if it rolls back)."""
    transaction.on_commit(
        lambda: enqueue(task, args=args, kwargs=kwargs, what=what, **options), robust=True
    )
