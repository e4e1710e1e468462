"""Queueing a task by its registered name (how the notifications outbox queues delivery
without importing the tasks module that imports it back)."""

from __future__ import annotations

from unittest import mock

from supportdesk.queueing import enqueue, task_named


def test_a_name_finds_the_registered_task_with_its_own_options():
    from tickets.tasks import deliver_notifications

    task = task_named("tickets.tasks.deliver_notifications")
    assert task.name == deliver_notifications.name and task.acks_late


def test_enqueue_by_name_sends_through_the_task_object():
    from tickets.tasks import deliver_notification

    with mock.patch.object(deliver_notification, "apply_async") as queued:
        assert enqueue("tickets.tasks.deliver_notification", args=[7], what="notification 7")
    assert queued.call_args.kwargs["args"] == [7]
