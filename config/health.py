"""Liveness and readiness (django-health-check).

- ``/health/live/``: the process answers requests; it asks nothing else, so a database outage
  never makes an orchestrator restart healthy web servers.
- ``/health/ready/``: this instance can serve: the database answers, the broker accepts a
  connection, every migration is applied, the shared cache works, and the reminder outbox is
  not lagging (the oldest reminder due but not yet handed to a worker is younger than
  ``OUTBOX_LAG_SECONDS``: an older one means no beat or no worker has run for that long).

Each answers 200 or 500, as JSON to ``Accept: application/json`` (``{"Database(alias='default')":
"OK", ...}``), as text or HTML otherwise; nothing in them names a document or a person.
"""

from __future__ import annotations

import dataclasses

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.urls import path
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView


@dataclasses.dataclass
class Broker(HealthCheck):
    """The Celery broker (Redis in production) accepts a connection and answers."""

    url: str | None = dataclasses.field(default=None, repr=False)  # default: the app's broker

    def run(self):
        from config.celery_app import app

        try:
            with app.connection_for_write(self.url) as connection:
                connection.ensure_connection(max_retries=1, timeout=3)
                # Kombu's Redis transport connects lazily: ask the server itself.
                client = getattr(connection.default_channel, "client", None)
                if client is not None and hasattr(client, "ping"):
                    client.ping()
        except Exception as error:  # kombu raises its own and the transport's errors alike
            raise ServiceUnavailable(f"broker unreachable: {type(error).__name__}") from error


@dataclasses.dataclass
class MigrationsApplied(HealthCheck):
    """Every migration of the code is applied to the database (a new image before its init step)."""

    alias: str = DEFAULT_DB_ALIAS

    def run(self):
        try:
            connection = connections[self.alias]
            executor = MigrationExecutor(connection)
            pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except DatabaseError as error:
            raise ServiceUnavailable("database unavailable") from error
        finally:
            connections.close_all()
        if pending:
            raise ServiceUnavailable(f"{len(pending)} migrations not applied (run the init step)")


@dataclasses.dataclass
class OutboxLag(HealthCheck):
    """The reminder outbox is being worked: nothing has waited longer than OUTBOX_LAG_SECONDS."""

    def run(self):
        from reminders.selectors import outbox_backlog

        try:
            waiting, age = outbox_backlog()
        except DatabaseError as error:
            raise ServiceUnavailable("database unavailable") from error
        finally:
            connections.close_all()
        if age > settings.OUTBOX_LAG_SECONDS:
            raise ServiceUnavailable(f"{waiting} reminders due and not sent, the oldest for {age / 60:.0f} minutes "
                                     f"(more than {settings.OUTBOX_LAG_SECONDS / 60:.0f}): is beat or a worker down?")


READINESS_CHECKS = (
    "health_check.checks.Database",
    "health_check.checks.Cache",
    Broker,
    MigrationsApplied,
    OutboxLag,
)

urlpatterns = [
    path("live/", HealthCheckView.as_view(checks=()), name="health-live"),
    path("ready/", HealthCheckView.as_view(checks=READINESS_CHECKS), name="health-ready"),
]
