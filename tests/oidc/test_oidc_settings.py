"""OpenID Connect sign-in is off unless configured, refuses to start half-configured, and once on
lets the sign-in form go to the provider (Content-Security-Policy form-action); the link an
administrator records is checked in the admin's words."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from security.models import SecurityProfile
from tests.factories import staff_member

ROOT = Path(__file__).resolve().parents[2]
ENDPOINTS = {
    "OIDC_OP_ISSUER": "https://login.example.mil/realms/staff",
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "https://login.example.mil/realms/staff/protocol/openid-connect/auth",
    "OIDC_OP_TOKEN_ENDPOINT": "https://login.example.mil/realms/staff/protocol/openid-connect/token",
    "OIDC_OP_JWKS_ENDPOINT": "https://login.example.mil/realms/staff/protocol/openid-connect/certs",
    "OIDC_RP_CLIENT_ID": "campaign-plans", "OIDC_RP_CLIENT_SECRET": "from-the-provider",
}


def _settings_with(environment: dict[str, str], expression: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("OIDC_")}
    env.update(environment, DJANGO_SETTINGS_MODULE="config.settings.local")
    code = f"import json, django; django.setup(); from django.conf import settings; print(json.dumps({expression}))"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_enabled_without_the_provider_s_endpoints_refuses_to_start_and_names_them():
    result = _settings_with({"OIDC_ENABLED": "true", "OIDC_OP_ISSUER": ENDPOINTS["OIDC_OP_ISSUER"]}, "1")
    assert result.returncode != 0
    assert ("OIDC_ENABLED=true needs OIDC_OP_AUTHORIZATION_ENDPOINT, OIDC_OP_TOKEN_ENDPOINT, OIDC_RP_CLIENT_ID, "
            "OIDC_RP_CLIENT_SECRET, OIDC_OP_JWKS_ENDPOINT") in result.stderr


def test_enabled_the_backend_answers_first_and_the_sign_in_form_may_go_to_the_provider():
    result = _settings_with({"OIDC_ENABLED": "true", **ENDPOINTS},
                            "[settings.AUTHENTICATION_BACKENDS[0], "
                            "settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action']]")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == ["security.oidc.OIDCBackend", ["'self'", "https://login.example.mil"]]
    off = _settings_with({}, "['security.oidc.OIDCBackend' in settings.AUTHENTICATION_BACKENDS, "
                             "settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action']]")
    assert json.loads(off.stdout) == [False, ["'self'"]]


def test_off_by_default_no_button_and_no_way_to_the_provider(db):
    page = Client().get(reverse("admin:login")).content.decode()
    assert "DoD Notice and Consent Banner" in page and "Sign in with" not in page
    assert Client().post(reverse("oidc_start"), {"consent": "on"}).status_code == 404
    assert Client().get(reverse("oidc_authentication_callback"), {"code": "x", "state": "y"}).status_code == 404


@pytest.fixture
def administrator(db):
    return get_user_model().objects.create_superuser("site_administrator", password="Tr@ining-only-Passw0rd")


def _link(client: Client, user, issuer: str, subject: str):
    return client.post(reverse("admin:security_securityprofile_add"), {
        "user": user.pk, "clearance": "U", "citizenship": "US", "oidc_issuer": issuer, "oidc_subject": subject})


def test_the_admin_links_an_identity_once_and_with_both_parts(administrator):
    client = Client()
    client.force_login(administrator)
    first = get_user_model().objects.create_user("eucom_action_officer")
    second = get_user_model().objects.create_user("eucom_planner")
    issuer = ENDPOINTS["OIDC_OP_ISSUER"]
    half = _link(client, first, "", "248289761001")
    assert "Give both the OpenID Connect issuer and subject, or neither." in half.content.decode()
    assert _link(client, first, issuer, "248289761001").status_code == 302
    twice = _link(client, second, issuer, "248289761001")
    assert "Another account is already linked to this OpenID Connect identity." in twice.content.decode()
    assert SecurityProfile.objects.get(oidc_subject="248289761001").user == first
    assert not SecurityProfile.objects.filter(user=second).exists()


@pytest.fixture
def pending(db):
    from security.services import oidc_link_request_record

    return oidc_link_request_record(issuer=ENDPOINTS["OIDC_OP_ISSUER"], subject="248289761002",
                                    name="planner@example.mil")


def _approve(client: Client, link_request, account):
    return client.post(reverse("admin:security_oidclinkrequest_change", args=[link_request.pk]),
                       {"account": account.pk if account else ""})


def test_a_link_request_is_approved_by_another_administrator_for_an_account_with_a_profile(administrator, pending):
    from security.models import OIDCLinkRequest

    client = Client()
    client.force_login(administrator)
    SecurityProfile.objects.create(user=administrator)
    bare = get_user_model().objects.create_user("eucom_planner")
    other_administrator = get_user_model().objects.create_superuser("second_administrator")
    SecurityProfile.objects.create(user=other_administrator)
    refusals = {
        "own account": (administrator, "You may not link an identity to your own account: another administrator "
                                       "must."),
        "no profile": (bare, "eucom_planner has no security profile: create one with their clearance and "
                             "citizenship first."),
        "superuser": (other_administrator, "second_administrator is a superuser, who never signs in with OpenID "
                                           "Connect."),
    }
    for account, message in refusals.values():
        assert message in _approve(client, pending, account).content.decode()
    assert OIDCLinkRequest.objects.get().decided_at is None
    assert not SecurityProfile.objects.exclude(oidc_subject="").exists()

    SecurityProfile.objects.create(user=bare)
    assert _approve(client, pending, bare).status_code == 302
    assert SecurityProfile.objects.get(user=bare).oidc_subject == "248289761002"
    # Decided: read-only from then on.
    assert _approve(client, pending, other_administrator).status_code == 403


def test_only_administrators_see_link_requests(pending):
    staff = staff_member("eucom_action_officer")  # works here, is no administrator
    client = Client()
    client.force_login(staff)
    assert client.get(reverse("admin:security_oidclinkrequest_changelist")).status_code == 403
    assert _approve(client, pending, staff).status_code == 403
