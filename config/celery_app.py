"""Celery wiring (cookiecutter-django's shape): configuration from Django settings under
the CELERY_ namespace, tasks autodiscovered from each app's ``tasks.py``. Apps send tasks with
``runtime.task_queue.enqueue_on_commit``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="config.health_check")
def health_check(token: str = "ping") -> dict:  # noqa: S107 (not a secret)
    """Round-trips through broker, worker and result backend; answers what it was sent."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        (one,) = cursor.fetchone()
    return {"token": token, "database": one == 1}


def _structured_logs_in_the_worker() -> None:
    """django-structlog's worker step: each task's log lines carry its ``task_id`` and the
    ``request_id`` of the request that sent it (from the task's headers)."""
    from django_structlog.celery.steps import DjangoStructLogInitStep

    app.steps["worker"].add(DjangoStructLogInitStep)


_structured_logs_in_the_worker()
