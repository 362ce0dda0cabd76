"""Liveness and readiness (config/health.py, django-health-check) on the real PostgreSQL and Redis.

The checks run in threads of their own (the library's executor), so the tests that need their rows
seen there commit them (transaction=True)."""

import datetime
import json

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from reminders.models import Reminder, ReminderStatus

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def ready(client=None):
    response = (client or Client()).get("/health/ready/", HTTP_ACCEPT="application/json")
    return response.status_code, json.loads(response.content)


def test_liveness_answers_without_asking_anything_else(db):
    response = Client().get("/health/live/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert json.loads(response.content) == {}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db(transaction=True)
def test_readiness_checks_database_cache_broker_migrations_and_outbox():
    status, checks = ready()
    assert status == 200, checks
    assert checks == {"Database(alias='default')": "OK", "Cache(alias='default')": "OK", "Broker()": "OK",
                      "MigrationsApplied(alias='default')": "OK", "OutboxLag()": "OK"}


@pytest.mark.django_db(transaction=True)
def test_readiness_fails_while_a_migration_is_not_applied():
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, app, name, applied FROM django_migrations WHERE app = 'reminders' "
                       "ORDER BY id DESC LIMIT 1")
        row = cursor.fetchone()
        cursor.execute("DELETE FROM django_migrations WHERE id = %s", [row[0]])
    try:
        status, checks = ready()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO django_migrations (id, app, name, applied) VALUES (%s, %s, %s, %s)", row)
    assert status == 500
    assert checks["MigrationsApplied(alias='default')"] == "Unavailable: 1 migrations not applied (run the init step)"
    assert checks["Database(alias='default')"] == "OK"


def test_the_broker_check_fails_when_nothing_answers_at_the_brokers_address():
    import asyncio

    from config.health import Broker

    assert asyncio.run(Broker().get_result()).error is None
    result = asyncio.run(Broker(url="redis://127.0.0.1:9/0").get_result())  # nothing listens on port 9
    assert str(result.error).startswith("Unavailable: broker unreachable: ")


@pytest.mark.django_db(transaction=True)
def test_readiness_fails_when_reminders_wait_longer_than_the_outbox_lag(world, settings):
    settings.OUTBOX_LAG_SECONDS = 900
    tasker = world.tasker(suspense=timezone.localdate() + datetime.timedelta(days=30))
    planned = Reminder.objects.filter(tasker=tasker, status=ReminderStatus.SCHEDULED, digest=False)
    assert planned.count() >= 2
    # Ten minutes overdue: within the lag, still ready.
    planned.update(due_at=timezone.now() - datetime.timedelta(minutes=10))
    assert ready()[0] == 200
    # An hour overdue: no sweep has run for that long.
    planned.update(due_at=timezone.now() - datetime.timedelta(hours=1))
    status, checks = ready()
    assert status == 500
    assert checks["OutboxLag()"] == (f"Unavailable: {planned.count()} reminders due and not sent, the oldest for 60 minutes "
                                     "(more than 15): is beat or a worker down?")
    # Handed to a worker: the lag is gone.
    planned.update(status=ReminderStatus.SENDING, claimed_at=timezone.now())
    assert ready()[0] == 200


def test_probes_and_prometheus_reach_a_pod_by_its_address_over_plain_http(db, settings):
    """As the production profile: only the site's host name, HTTPS required."""
    settings.ALLOWED_HOSTS = ["plans.example.mil"]
    settings.SECURE_SSL_REDIRECT = True
    settings.METRICS_TOKEN = "scrape-token"
    pod = Client(HTTP_HOST="10.1.2.3:8000")
    assert pod.get("/health/live/", HTTP_ACCEPT="application/json").status_code == 200
    assert pod.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token").status_code == 200
    assert pod.get("/metrics").status_code == 404
    # Everything else still refuses the address and redirects plain HTTP.
    assert pod.get("/admin/login/").status_code == 400
    assert Client(HTTP_HOST="plans.example.mil").get("/admin/login/").status_code == 301
