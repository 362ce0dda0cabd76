"""The ground the product stands on: settings from the environment, the production profile,
Celery round trips through a real broker and worker, and the database."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection, transaction

from config.celery_app import health_check
from runtime.task_queue import enqueue_on_commit

ROOT = Path(__file__).resolve().parent.parent


def _run_python(code: str, **env_overrides: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY"}}
    env.update(env_overrides)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_production_profile_refuses_to_start_without_a_real_secret_key(tmp_path):
    result = _run_python(
        "import django; django.setup()",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        VAR_DIR=str(tmp_path),
    )
    assert result.returncode != 0
    assert "needs SECRET_KEY" in result.stderr


def test_production_profile_passes_the_deploy_check_with_no_warning(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.production", "VAR_DIR": str(tmp_path),
             "SECRET_KEY": "k3Y-" + "x7Qz9-Lm2P" * 6, "ALLOWED_HOSTS": "plans.example.mil"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_settings_default_to_sqlite_and_the_filesystem_broker_under_var(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"}}
    env.update(VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings.local")
    code = ("import django; django.setup(); from django.conf import settings as s;"
            "print(s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME'], s.CELERY_BROKER_URL)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    engine, name, broker = result.stdout.split()
    assert engine == "django.db.backends.sqlite3"
    assert Path(name).parent == tmp_path
    assert broker == "filesystem://"


@pytest.mark.django_db(transaction=True)
def test_a_task_enqueued_in_a_rolled_back_transaction_never_runs():
    calls = []
    from celery import shared_task

    @shared_task(name="tests.record_call")
    def record_call(value):
        calls.append(value)

    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), transaction.atomic():
        enqueue_on_commit(record_call, "rolled back")
        raise Rollback
    with transaction.atomic():
        enqueue_on_commit(record_call, "committed")
    assert calls == ["committed"]


@pytest.mark.postgres
@pytest.mark.django_db
def test_database_round_trip_on_postgresql():
    from django.contrib.auth.models import Group

    Group.objects.create(name="round trip")
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM auth_group WHERE name = %s", ["round trip"])
        assert cursor.fetchone() == ("round trip",)
        cursor.execute("SHOW server_version")
        assert int(cursor.fetchone()[0].split(".")[0]) >= 13
        cursor.execute("SHOW jit")  # short page queries are never JIT-compiled
        assert cursor.fetchone() == ("off",)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_health_check_round_trips_through_real_redis_and_a_real_worker(celery_worker):
    from celery.result import AsyncResult, EagerResult

    sent = health_check.delay("from-the-test")
    assert not isinstance(sent, EagerResult), "the task ran in-process instead of through the broker"
    # Read the answer back from the result backend (Redis), as another process would.
    assert AsyncResult(sent.id).get(timeout=30) == {"token": "from-the-test", "database": True}
