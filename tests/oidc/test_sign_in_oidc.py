"""OpenID Connect sign-in against a real provider (django-oauth-toolkit, tests/oidc/provider.py) run
in its own process: the application (pytest-django's live server) sends the person there, the
provider signs them in and sends them back with a code, the application redeems it, checks the ID
token's signature against the provider's keys, and signs in the account an administrator linked
to the provider's subject, after the consent banner. An unlinked subject gets a page saying what
to ask the administrator, and no account."""

from __future__ import annotations

import re
import time
from html import unescape

import pytest
import requests
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model

from security.models import AuditAction, AuditEvent, SecurityProfile
from tests.factories import staff_member
from tests.oidc.conftest import PASSWORD, PEOPLE

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def _field(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page) or re.search(rf'value="([^"]*)" name="{name}"', page)
    assert match, f"no {name} on the page"
    return unescape(match.group(1))


def sign_in_with_provider(base_url: str, person: str, consent: bool = True, pause: float = 0) -> requests.Response:
    """What the person does in a browser: the sign-in page, the consent box and the provider's
    button, the provider's own sign-in form; then wherever the application sends them."""
    browser = requests.Session()
    page = browser.get(f"{base_url}/admin/login/?next=/admin/", timeout=30)
    assert "Sign in with Test Enterprise ID" in page.text and "DoD Notice and Consent Banner" in page.text
    form = {"csrfmiddlewaretoken": _field(page.text, "csrfmiddlewaretoken"), "next": "/admin/"}
    if consent:
        form["consent"] = "on"
    at_provider = browser.post(f"{base_url}/oidc/start/", data=form, timeout=30)
    if not consent:
        return at_provider
    assert at_provider.url.startswith("http://127.0.0.1:") and "/accounts/login/" in at_provider.url
    time.sleep(pause)  # the person takes their time at the provider
    back = browser.post(at_provider.url, timeout=60, data={
        "csrfmiddlewaretoken": _field(at_provider.text, "csrfmiddlewaretoken"), "username": person,
        "password": PEOPLE[person], "next": _field(at_provider.text, "next")})
    back.session = browser
    return back


def test_the_linked_subject_signs_in_its_account_after_the_consent_banner(officer, oidc, live_server):
    users_before = get_user_model().objects.count()
    landed = sign_in_with_provider(live_server.url, "linked_officer")
    assert landed.status_code == 200 and landed.url == f"{live_server.url}/admin/"
    assert "eucom_action_officer" in landed.text  # the admin's "Welcome, …"
    event = AuditEvent.objects.get(action=AuditAction.SIGN_IN, user=officer)
    assert event.detail["oidc"] == {"issuer": oidc["discovery"]["issuer"],
                                    "subject": oidc["subjects"]["linked_officer"]}
    profile = SecurityProfile.objects.get(user=officer)
    assert profile.consent_acknowledged_at is not None
    assert event.detail["consent_acknowledged_at"] == profile.consent_acknowledged_at.isoformat()
    assert get_user_model().objects.count() == users_before
    # The session is the application's own: it goes on without the provider.
    assert landed.session.get(f"{live_server.url}/admin/", timeout=30).url == f"{live_server.url}/admin/"


def test_without_the_consent_box_nobody_is_sent_to_the_provider(officer, live_server):
    refused = sign_in_with_provider(live_server.url, "linked_officer", consent=False)
    assert refused.url.startswith(f"{live_server.url}/admin/login/")
    assert "Acknowledge the DoD Notice and Consent Banner to sign in." in unescape(refused.text)
    assert not AuditEvent.objects.filter(action=AuditAction.SIGN_IN).exists()
    assert SecurityProfile.objects.get(user=officer).consent_acknowledged_at is None


def test_an_unlinked_subject_gets_the_page_saying_what_to_ask_and_no_account(officer, oidc, live_server):
    users_before = get_user_model().objects.count()
    refused = sign_in_with_provider(live_server.url, "unlinked_officer")
    page = unescape(refused.text)
    assert refused.status_code == 403 and refused.url == f"{live_server.url}/oidc/refused/"
    assert "Your identity at Test Enterprise ID is not yet linked to an account here." in page
    assert "No account was created. Your request to link this identity is recorded" in " ".join(page.split())
    assert "OpenID Connect link requests" in page
    assert oidc["discovery"]["issuer"] in page and f"<code>{oidc['subjects']['unlinked_officer']}</code>" in page
    assert get_user_model().objects.count() == users_before
    assert refused.session.get(f"{live_server.url}/admin/", timeout=30).url.startswith(
        f"{live_server.url}/admin/login/")  # not signed in
    identity = f"{oidc['subjects']['unlinked_officer']} at {oidc['discovery']['issuer']}"
    failure = AuditEvent.objects.get(action=AuditAction.SIGN_IN_FAILED)
    assert failure.username == identity and failure.detail["oidc"] == "not_linked"
    assert AccessAttempt.objects.get(username=identity).failures_since_start == 1


def test_a_locked_out_account_is_not_signed_in_by_the_provider_either(officer, live_server):
    browser = requests.Session()
    for _ in range(3):
        page = browser.get(f"{live_server.url}/admin/login/", timeout=30)
        browser.post(f"{live_server.url}/admin/login/", timeout=30, data={
            "csrfmiddlewaretoken": _field(page.text, "csrfmiddlewaretoken"), "username": officer.username,
            "password": "a-wrong-password", "consent": "on"})
    assert AccessAttempt.objects.get(username=officer.username).failures_since_start == 3
    refused = sign_in_with_provider(live_server.url, "linked_officer")
    assert refused.status_code == 403 and "This account is locked" in unescape(refused.text)
    assert not AuditEvent.objects.filter(action=AuditAction.SIGN_IN).exists()


def test_a_superuser_is_never_signed_in_by_the_provider(transactional_db, oidc, live_server):
    admin = get_user_model().objects.create_superuser("site_administrator", password=PASSWORD)
    SecurityProfile.objects.create(user=admin, oidc_issuer=oidc["discovery"]["issuer"],
                                   oidc_subject=oidc["subjects"]["superuser_at_provider"])
    refused = sign_in_with_provider(live_server.url, "superuser_at_provider")
    assert refused.status_code == 403 and "may not sign in with Test Enterprise ID" in unescape(refused.text)
    assert not AuditEvent.objects.filter(action=AuditAction.SIGN_IN).exists()


def test_going_to_the_provider_without_the_banner_leads_back_to_the_sign_in_page(officer, live_server):
    browser = requests.Session()
    sent_back = browser.get(f"{live_server.url}/oidc/authenticate/?next=/admin/", timeout=30)
    assert sent_back.url == f"{live_server.url}/admin/login/?next=%2Fadmin%2F"
    assert "DoD Notice and Consent Banner" in sent_back.text


def test_an_id_token_from_another_issuer_signs_in_nobody(officer, settings, live_server):
    settings.OIDC_OP_ISSUER = "https://another-provider.example.mil/o"
    refused = sign_in_with_provider(live_server.url, "linked_officer")
    assert refused.status_code == 403
    assert "Test Enterprise ID did not complete the sign-in." in unescape(refused.text)
    assert not AuditEvent.objects.filter(action=AuditAction.SIGN_IN).exists()
    assert AuditEvent.objects.filter(action=AuditAction.SIGN_IN_FAILED, detail__oidc="provider").exists()


def test_an_administrator_links_the_recorded_request_and_then_the_person_signs_in(transactional_db, oidc,
                                                                                   live_server):
    from django.test import Client
    from django.urls import reverse

    from security.models import OIDCLinkRequest

    planner = staff_member("eucom_planner", password=PASSWORD)
    SecurityProfile.objects.create(user=planner)
    administrator = get_user_model().objects.create_superuser("site_administrator", password=PASSWORD)
    refused = sign_in_with_provider(live_server.url, "unlinked_officer")
    assert refused.status_code == 403 and "Your request to link this identity is recorded" in unescape(refused.text)
    pending = OIDCLinkRequest.objects.get()
    assert (pending.issuer, pending.subject) == (oidc["discovery"]["issuer"], oidc["subjects"]["unlinked_officer"])
    assert pending.account is None and pending.decided_at is None

    admin = Client()
    admin.force_login(administrator, backend="security.backends.ProfileModelBackend")  # with the password
    change = reverse("admin:security_oidclinkrequest_change", args=[pending.pk])
    saved = admin.post(change, {"account": planner.pk})
    assert saved.status_code == 302 and saved["Location"] == reverse("admin:security_oidclinkrequest_changelist")
    linked = OIDCLinkRequest.objects.get()
    assert (linked.account, linked.decided_by) == (planner, administrator) and linked.decided_at is not None
    event = AuditEvent.objects.get(action=AuditAction.PERMISSION, description__contains="OpenID Connect identity")
    assert event.user_id == administrator.pk and event.detail["account"] == planner.pk

    landed = sign_in_with_provider(live_server.url, "unlinked_officer")
    assert landed.url == f"{live_server.url}/admin/" and "eucom_planner" in landed.text
    signed_in = AuditEvent.objects.get(action=AuditAction.SIGN_IN, user=planner)
    assert signed_in.detail["oidc"]["subject"] == oidc["subjects"]["unlinked_officer"]


def test_a_consent_older_than_one_trip_to_the_provider_signs_in_nobody(officer, settings, live_server):
    settings.OIDC_CONSENT_SECONDS = 2
    refused = sign_in_with_provider(live_server.url, "linked_officer", pause=3)
    assert refused.status_code == 403
    assert "Acknowledge the DoD Notice and Consent Banner on the sign-in page" in unescape(refused.text)
    assert not AuditEvent.objects.filter(action=AuditAction.SIGN_IN).exists()
    assert SecurityProfile.objects.get(user=officer).consent_acknowledged_at is None


def test_a_provider_error_is_audited_and_explained(officer, live_server):
    browser = requests.Session()
    page = browser.get(f"{live_server.url}/admin/login/", timeout=30)
    browser.post(f"{live_server.url}/oidc/start/", timeout=30, allow_redirects=False, data={
        "csrfmiddlewaretoken": _field(page.text, "csrfmiddlewaretoken"), "consent": "on"})
    refused = browser.get(f"{live_server.url}/oidc/callback/?error=access_denied&state=unknown", timeout=30)
    assert refused.status_code == 403
    assert "Test Enterprise ID did not complete the sign-in. Try again" in unescape(refused.text)
    failure = AuditEvent.objects.get(action=AuditAction.SIGN_IN_FAILED)
    assert failure.detail == {"oidc": "provider", "error": "access_denied"}


def test_a_deactivated_account_is_not_signed_in_and_asks_for_no_new_link(officer, live_server):
    from security.models import OIDCLinkRequest

    officer.is_active = False
    officer.save()
    refused = sign_in_with_provider(live_server.url, "linked_officer")
    assert refused.status_code == 403 and "may not sign in with Test Enterprise ID" in unescape(refused.text)
    assert not OIDCLinkRequest.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.SIGN_IN).exists()
