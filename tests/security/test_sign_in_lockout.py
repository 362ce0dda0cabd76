"""Sign-in that resists guessing without locking everyone out: failures are counted per user
name (never per address alone), a success clears only that account's failures, the client's
address is read through the configured number of proxies and is the one the audit records, an
administrator's reset releases a locked account, and the lockout page says how long and whom to
contact. The consent acknowledgment is recorded with its time."""

from __future__ import annotations

import datetime
import io

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from organizations.models import Role
from security.models import AuditAction, AuditEvent, SecurityProfile
from tests.factories import staff_member

PASSWORD = "Tr@ining-only-Passw0rd"
PROXY = "10.0.0.5"


@pytest.fixture
def people(db):
    return (staff_member("eucom_action_officer", password=PASSWORD, is_staff=True),
            staff_member("j5_reviewer", acronym="J5", role=Role.REVIEWER, password=PASSWORD, is_staff=True))


def sign_in(client, username, password, **headers):
    return client.post(reverse("admin:login"), {"username": username, "password": password, "consent": "on",
                                                "next": reverse("admin:index")}, **headers)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_guesses_for_one_account_lock_it_although_another_account_signs_in_from_the_same_address(people):
    target, colleague = people
    guesser, neighbour = Client(REMOTE_ADDR=PROXY), Client(REMOTE_ADDR=PROXY)
    answers = []
    for _ in range(10):
        answers.append(sign_in(guesser, target.username, "wrong-guess").status_code)
        assert sign_in(neighbour, colleague.username, PASSWORD).status_code == 302
        neighbour.post(reverse("admin:logout"))
    assert answers[:settings.AXES_FAILURE_LIMIT - 1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert set(answers[settings.AXES_FAILURE_LIMIT - 1:]) == {429}
    assert sign_in(Client(REMOTE_ADDR="10.9.9.9"), target.username, PASSWORD).status_code == 429


def test_failures_with_made_up_names_from_one_address_do_not_lock_a_real_user_there(people):
    target, _ = people
    attacker = Client(REMOTE_ADDR=PROXY)
    for name in ("admin", "root", "operator", "test", "guest"):
        assert sign_in(attacker, name, "wrong-guess").status_code in (200, 429)
    person = Client(REMOTE_ADDR=PROXY)
    assert sign_in(person, target.username, PASSWORD).status_code == 302
    assert signed_in(person)


def test_a_success_clears_only_that_accounts_failures(people):
    target, colleague = people
    client = Client(REMOTE_ADDR=PROXY)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, target.username, "wrong-guess")
    assert sign_in(Client(REMOTE_ADDR=PROXY), colleague.username, PASSWORD).status_code == 302
    assert sign_in(client, target.username, "wrong-guess").status_code == 429  # the third failure still counts


def test_per_address_lockout_locks_the_pair_only(people, settings):
    settings.AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
    target, _ = people
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(Client(REMOTE_ADDR="203.0.113.7"), target.username, "wrong-guess")
    assert sign_in(Client(REMOTE_ADDR="203.0.113.7"), target.username, PASSWORD).status_code == 429
    assert sign_in(Client(REMOTE_ADDR="198.51.100.4"), target.username, PASSWORD).status_code == 302


def test_x_forwarded_for_is_believed_only_through_the_configured_proxies_and_audited(people, settings):
    target, _ = people
    forged_then_real = {"HTTP_X_FORWARDED_FOR": "192.0.2.66, 198.51.100.23"}

    settings.TRUSTED_PROXY_COUNT = 0
    sign_in(Client(REMOTE_ADDR=PROXY), target.username, "wrong-guess", **forged_then_real)
    settings.TRUSTED_PROXY_COUNT = 1
    client = Client(REMOTE_ADDR=PROXY)
    sign_in(client, target.username, PASSWORD, **forged_then_real)
    settings.TRUSTED_PROXY_COUNT = 2
    sign_in(Client(REMOTE_ADDR=PROXY), "someone_else", "wrong-guess", **forged_then_real)

    failed, sign_in_event, two_proxies = AuditEvent.objects.filter(
        action__in=(AuditAction.SIGN_IN_FAILED, AuditAction.SIGN_IN)).order_by("pk")
    assert failed.ip_address == PROXY  # no proxy configured: the header is ignored
    assert sign_in_event.action == AuditAction.SIGN_IN
    assert sign_in_event.ip_address == "198.51.100.23"  # one proxy: the address it received the request from
    assert two_proxies.ip_address == "192.0.2.66"
    from axes.models import AccessLog

    assert AccessLog.objects.get(username=target.username).ip_address == "198.51.100.23"


def test_axes_reset_username_releases_a_locked_user_who_can_then_sign_in(people):
    target, _ = people
    client = Client(REMOTE_ADDR=PROXY)
    for name in ("admin", "root", "operator"):  # made-up names from the same proxy as well
        sign_in(client, name, "wrong-guess")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, target.username, "wrong-guess")
    assert sign_in(client, target.username, PASSWORD).status_code == 429
    out = io.StringIO()
    call_command("axes_reset_username", target.username, stdout=out)
    assert "attempts removed" in out.getvalue()
    assert sign_in(client, target.username, PASSWORD).status_code == 302
    assert signed_in(client)


def test_the_lockout_page_is_the_admins_page_with_how_long_and_whom_to_contact(people, settings):
    settings.SIGN_IN_HELP_CONTACT = "the EUCOM J6 help desk (DSN 314-430-0000)"
    target, _ = people
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = sign_in(client, target.username, "wrong-guess")
    assert response.status_code == 429
    html = response.content.decode()
    assert 'id="site-name"' in html and "Campaign plan workflow" in html  # the admin's header
    assert "/static/admin/css/base.css" in html
    assert "locked after 3 failed sign-ins" in html
    assert "15 minutes" in html
    assert "the EUCOM J6 help desk (DSN 314-430-0000)" in html


def test_the_consent_acknowledgment_is_recorded_with_its_time(people):
    target, _ = people
    SecurityProfile.objects.create(user=target)
    with time_machine.travel("2026-11-29 13:45:00Z", tick=False):
        assert sign_in(Client(), target.username, PASSWORD).status_code == 302
    acknowledged = datetime.datetime(2026, 11, 29, 13, 45, tzinfo=datetime.UTC)
    assert SecurityProfile.objects.get(user=target).consent_acknowledged_at == acknowledged
    event = AuditEvent.objects.get(action=AuditAction.SIGN_IN, user=target)
    assert event.detail["consent_acknowledged_at"] == acknowledged.isoformat()


def test_a_refused_consent_records_no_acknowledgment(people):
    target, _ = people
    SecurityProfile.objects.create(user=target)
    Client().post(reverse("admin:login"), {"username": target.username, "password": PASSWORD})
    assert SecurityProfile.objects.get(user=target).consent_acknowledged_at is None
