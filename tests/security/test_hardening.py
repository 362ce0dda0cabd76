"""Sign-in hardening: the DoD consent banner, lockout after repeated failures, idle timeout."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from security.models import AuditAction, AuditEvent
from tests.factories import staff_member

PASSWORD = "Tr@ining-only-Passw0rd"


@pytest.fixture
def staff(db):
    return staff_member("eucom_action_officer", password=PASSWORD, is_staff=True)


def login(client, username, password, consent=True):
    data = {"username": username, "password": password, "next": reverse("admin:index")}
    if consent:
        data["consent"] = "on"
    return client.post(reverse("admin:login"), data)


def test_the_login_page_shows_the_dod_notice_and_consent_banner(db):
    html = Client().get(reverse("admin:login")).content.decode()
    assert "DoD Notice and Consent Banner" in html
    assert "You are accessing a U.S. Government (USG) Information System" in html


def test_sign_in_without_acknowledging_the_banner_is_refused(staff):
    client = Client()
    response = login(client, staff.username, PASSWORD, consent=False)
    assert response.status_code == 200
    assert "Acknowledge the DoD Notice and Consent Banner" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert login(client, staff.username, PASSWORD).status_code == 302
    assert client.session["_auth_user_id"] == str(staff.pk)


def test_the_account_locks_after_three_failures_even_with_the_right_password(staff):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, staff.username, "wrong-password").status_code == 200
    assert login(client, staff.username, "wrong-password").status_code == 429  # the third failure locks
    locked = login(client, staff.username, PASSWORD)
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    # Three failures, then the refused attempt while locked: each is in the audit trail.
    assert AuditEvent.objects.filter(action=AuditAction.SIGN_IN_FAILED, username=staff.username).count() == 4


def test_sessions_end_after_fifteen_idle_minutes(staff, settings):
    assert settings.SESSION_COOKIE_AGE == 15 * 60
    import time_machine

    client = Client()
    with time_machine.travel("2026-11-18 09:00:00Z", tick=False) as clock:
        login(client, staff.username, PASSWORD)
        assert client.get(reverse("admin:index")).status_code == 200
        clock.shift(14 * 60)
        assert client.get(reverse("admin:index")).status_code == 200  # activity renews the session
        clock.shift(16 * 60)
        response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]


def test_activity_renews_the_session_at_most_once_a_minute_and_never_extends_the_idle_limit(staff, settings):
    import datetime

    import time_machine
    from django.contrib.sessions.models import Session

    def expiry():
        return Session.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value).expire_date

    client = Client()
    with time_machine.travel("2026-11-18 09:00:00Z", tick=False) as clock:
        login(client, staff.username, PASSWORD)
        client.get(reverse("admin:index"))
        renewed = expiry()
        assert renewed == datetime.datetime(2026, 11, 18, 9, 15, tzinfo=datetime.UTC)
        clock.shift(30)
        client.get(reverse("admin:index"))
        assert expiry() == renewed  # half a minute later: the session row is not written again
        clock.shift(31)
        client.get(reverse("admin:index"))
        assert expiry() == datetime.datetime(2026, 11, 18, 9, 16, 1, tzinfo=datetime.UTC)
        clock.shift(30)  # 09:01:31, not renewed; then idle until the limit of the 09:01:01 renewal
        assert client.get(reverse("admin:index")).status_code == 200
        clock.shift(15 * 60 - 30)
        response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]


def test_weak_passwords_are_refused():
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_password("alllowercaseletters")
    validate_password("Str0ng&Long-Passphrase")


def test_security_headers_are_set(db):
    response = Client().get(reverse("admin:login"))
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_configured_permissions_policy_is_sent_on_pages_and_the_api(db, settings):
    settings.PERMISSIONS_POLICY = {"geolocation": [], "camera": [], "microphone": [], "usb": []}
    for response in (Client().get(reverse("admin:login")), Client().get("/api/v1/organizations/")):
        assert response["Permissions-Policy"] == "camera=(), geolocation=(), microphone=(), usb=()"
