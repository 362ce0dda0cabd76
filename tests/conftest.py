"""Test wiring shared by every test.

Tests that need a real server carry a marker (``postgres``, ``redis``, ``browser``). Without
the server they are skipped, unless ``REQUIRE_SERVICES=1`` (as in CI), where a missing
service fails them: a green CI run means they ran.
"""

import os
import shutil
import socket
from urllib.parse import urlparse

import pytest
from django.conf import settings

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES", "") not in ("", "0", "false")

if os.environ.get("MUTATION_DB_TEMPLATE"):
    # Mutation runs (tests/mutation/run_authority_mutants.sh): each session copies one migrated
    # SQLite database instead of migrating its own.
    from tests.mutation.sqlite_copy import django_db_setup  # noqa: F401


@pytest.fixture(autouse=True)
def _rules_declared_afresh_in_mutation_runs():
    """In a mutation run (mutmut sets MUTANT_UNDER_TEST, to "stats" while it learns which tests
    reach which function), every test starts from the rules as the permissions modules declare
    them with the mutant switched on (``tests.rules_afresh``)."""
    if not os.environ.get("MUTANT_UNDER_TEST"):
        yield
        return
    from tests.rules_afresh import rules_declared_afresh

    with rules_declared_afresh():
        yield


def _redis_reachable() -> tuple[bool, str]:
    url = settings.CELERY_BROKER_URL
    if not url.startswith("redis://"):
        return False, f"CELERY_BROKER_URL is {url!r}, not redis://"
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "localhost", parsed.port or 6379), timeout=2):
            return True, ""
    except OSError as exc:
        return False, f"Redis at {parsed.hostname}:{parsed.port} is unreachable: {exc}"


def _service_missing(marker: str) -> str | None:
    if marker == "postgres":
        engine = settings.DATABASES["default"]["ENGINE"]
        if "postgresql" not in engine:
            return f"needs PostgreSQL (DATABASE_URL=postgres://...), the database is {engine}"
    elif marker == "redis":
        ok, why = _redis_reachable()
        if not ok:
            return why
    elif marker == "browser" and not shutil.which("chromium"):
        return "needs Debian's chromium (apt-get install chromium)"
    return None


def pytest_runtest_setup(item):
    for marker in ("postgres", "redis", "browser"):
        if item.get_closest_marker(marker) is None:
            continue
        missing = _service_missing(marker)
        if missing:
            if REQUIRE_SERVICES:
                pytest.fail(f"REQUIRE_SERVICES=1 and this test {missing}", pytrace=False)
            pytest.skip(missing)


@pytest.fixture(autouse=True)
def _tasks_run_eagerly_unless_a_test_starts_a_worker(settings):
    """Tasks run in-process by default; tests of delivery start a real worker and switch off eager
    mode themselves (see ``celery_worker``)."""
    from config.celery_app import app

    # Fast hashing: tests create many users; the real hashers are the production settings'.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def celery_worker():
    """A real Celery worker on the configured broker (Redis in CI), in a thread of this process."""
    from celery.contrib.testing.worker import start_worker

    from config.celery_app import app

    app.conf.task_always_eager = False
    with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, loglevel="WARNING",
                      shutdown_timeout=30) as worker:
        yield worker
