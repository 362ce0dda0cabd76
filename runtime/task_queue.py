"""Sending Celery tasks from a change: every app enqueues through here, so a rolled-back change
never runs a task."""

from django.db import transaction


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Send ``task`` only when the current transaction commits: a rolled-back change never
    runs a task, and the worker always finds the rows it was told about."""
    transaction.on_commit(lambda: task.apply_async(args=args, kwargs=kwargs))
