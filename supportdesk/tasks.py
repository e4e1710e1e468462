"""Core background tasks. Thin: they call services."""

import os
import socket

from celery import shared_task

from supportdesk.services import heartbeat_record


@shared_task(name="supportdesk.tasks.heartbeat", ignore_result=True)
def heartbeat() -> None:
    """Beat sends this; the worker that runs it proves worker and beat are alive."""
    heartbeat_record(name="worker", hostname=socket.gethostname())


@shared_task(name="supportdesk.tasks.ping")
def ping(payload: str) -> dict:
    """Round trip through the broker, for health probes and the broker test."""
    return {"echo": payload, "pid": os.getpid(), "hostname": socket.gethostname()}
