"""API tokens: ``manage.py issue_api_token <username>`` shows a token once; the database keeps
only its digest; it expires; issuing again rotates it; revoking it in the admin refuses it at
once; the admin's token list never shows one. Rate limits are counted in the shared cache, so
they hold across web workers (Redis)."""

from __future__ import annotations

import io
import threading
import uuid

import pytest
import redis
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from knox.models import AuthToken
from rest_framework.test import APIClient, APIRequestFactory

from api.throttling import AnonRateThrottle, UserRateThrottle
from security.models import AuditAction, AuditEvent

from .conftest import AO


def issue(username: str, *args: str) -> str:
    out = io.StringIO()
    call_command("issue_api_token", username, *args, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip()


def answers(key: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/organizations/").status_code


def test_issue_api_token_prints_a_token_that_authenticates(world):
    key = issue(world.user("EUCOM", AO).username)
    assert len(key) == 64
    assert answers(key) == 200


def test_the_database_keeps_only_a_digest_of_the_token(world):
    key = issue(world.user("EUCOM", AO).username)
    row = AuthToken.objects.get(user=world.user("EUCOM", AO))
    assert key not in row.digest and row.digest != key
    with connection.cursor() as cursor:  # no column of the stored row holds the key
        cursor.execute("SELECT * FROM knox_authtoken")
        stored = " ".join(str(value) for found in cursor.fetchall() for value in found)
    assert key not in stored
    assert AuditEvent.objects.filter(action=AuditAction.PERMISSION, description__startswith="API token issued for").exists()


def test_a_token_expires(world):
    username = world.user("EUCOM", AO).username
    with time_machine.travel("2026-11-29 09:00:00Z", tick=False) as clock:
        key = issue(username, "--days", "30")
        clock.shift(29 * 24 * 3600)
        assert answers(key) == 200
        clock.shift(2 * 24 * 3600)
        assert answers(key) == 401
    assert not AuthToken.objects.filter(user__username=username).exists()


def test_issuing_again_rotates_the_token(world):
    username = world.user("EUCOM", AO).username
    old = issue(username)
    new = issue(username)
    assert old != new
    assert (answers(old), answers(new)) == (401, 200)
    assert AuthToken.objects.filter(user__username=username).count() == 1


def test_no_token_for_an_unknown_or_inactive_user(world):
    with pytest.raises(CommandError, match="no user"):
        issue("nobody")
    user = world.user("EUCOM", AO)
    user.is_active = False
    user.save()
    with pytest.raises(CommandError, match="inactive"):
        issue(user.username)


def test_a_token_revoked_in_the_admin_gets_401_and_the_list_never_shows_a_token(world, admin_user):
    key = issue(world.user("EUCOM", AO).username)
    token = AuthToken.objects.get(user=world.user("EUCOM", AO))
    admin = Client()
    admin.force_login(admin_user)
    listing = admin.get("/admin/knox/authtoken/").content.decode()
    assert world.user("EUCOM", AO).username in listing
    assert key not in listing and key[:15] not in listing  # (rows are named by the digest, a one-way hash)
    response = admin.post("/admin/knox/authtoken/", {"action": "revoke", "_selected_action": [token.pk]})
    assert response.status_code == 302
    assert answers(key) == 401
    assert AuditEvent.objects.filter(description=f"API token of {world.user('EUCOM', AO).username} revoked",
                                     user=admin_user).exists()


@pytest.mark.redis
def test_the_rate_limit_holds_across_workers_counting_in_redis(world, settings):
    """Two workers, each with its own Redis connection (Django gives each thread its own cache
    client), answer requests of one user at the same moment: exactly the allowed number pass."""
    from django.core.cache import caches

    prefix = f"test-throttle-{uuid.uuid4().hex}"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": settings.CELERY_BROKER_URL,
                                   "KEY_PREFIX": prefix}}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"user": "20/hour",
                                                                                      "anon": "20/hour"}}
    user = world.user("EUCOM", AO)
    factory = APIRequestFactory()
    passed: list[bool] = []
    clients = []
    start = threading.Barrier(2)

    def worker():
        throttle_cache = caches["default"]
        clients.append(throttle_cache)
        start.wait()
        for _ in range(15):
            request = factory.get("/api/v1/organizations/")
            request.user = user
            passed.append(UserRateThrottle().allow_request(request, view=None))

    with time_machine.travel("2026-11-29 09:10:00Z", tick=False):
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    try:
        assert clients[0] is not clients[1]  # two separate cache clients, as two worker processes have
        assert len(passed) == 30
        assert passed.count(True) == 20
    finally:
        server = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        for key in server.scan_iter(f"{prefix}:*"):
            server.delete(key)


@pytest.mark.postgres  # SQLite's schema editor refuses to run inside the test's transaction
def test_keys_from_the_old_token_table_keep_working_stored_as_digests_and_the_table_is_dropped(world):
    """Upgrading from DRF's authtoken (keys in clear): the migration carries each key over hashed."""
    import importlib

    from django.apps import apps

    carry_over = importlib.import_module("api.migrations.0001_carry_over_tokens_hashed").carry_over
    user = world.user("EUCOM", AO)
    old_key = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamp, user_id integer)")
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, NULL, %s)", [old_key, user.pk])
    with connection.schema_editor() as editor:
        carry_over(apps, editor)
    assert "authtoken_token" not in connection.introspection.table_names()
    token = AuthToken.objects.get(user=user)
    assert token.digest != old_key and token.expiry is not None
    assert answers(old_key) == 200


def test_an_anonymous_client_cannot_escape_its_rate_limit_by_writing_x_forwarded_for(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    throttle_requests = APIRequestFactory()
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"user": "2/hour",
                                                                                      "anon": "2/hour"}}
    allowed = []
    with time_machine.travel("2026-11-29 09:10:00Z", tick=False):
        for forged in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
            request = throttle_requests.get("/api/v1/organizations/", REMOTE_ADDR="10.0.0.5",
                                            HTTP_X_FORWARDED_FOR=f"{forged}, 198.51.100.23")
            request.user = AnonymousUser()
            allowed.append(AnonRateThrottle().allow_request(request, view=None))
    assert allowed == [True, True, False]


def test_a_person_sees_and_revokes_only_their_own_tokens(world):
    officer, other = world.user("EUCOM", AO), world.user("DA", AO)
    for user in (officer, other):
        user.is_staff = True
        user.save()
    own_key, other_key = issue(officer.username), issue(other.username)
    own, theirs = AuthToken.objects.get(user=officer), AuthToken.objects.get(user=other)
    client = Client()
    client.force_login(officer)

    assert list(client.get("/admin/knox/authtoken/").context["cl"].result_list) == [own]
    assert client.get(f"/admin/knox/authtoken/{theirs.pk}/change/").status_code == 302  # not found
    client.post("/admin/knox/authtoken/", {"action": "revoke", "_selected_action": [theirs.pk]})
    assert answers(other_key) == 200

    client.post("/admin/knox/authtoken/", {"action": "revoke", "_selected_action": [own.pk]})
    assert answers(own_key) == 401
    assert answers(other_key) == 200
