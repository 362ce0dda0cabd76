"""Smart-card (CAC/PIV) sign-in through a proxy that terminated mutual TLS: the certificate header
counts only from the trusted proxies, maps to an existing account an administrator recorded,
never creates one, never signs in a superuser, and the consent banner comes first."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from organizations.models import Role
from security.models import AuditAction, AuditEvent, SecurityProfile
from tests.factories import staff_member

PROXY = "10.20.0.2"
SUBJECT = "CN=ACTION.OFFICER.EUCOM.1234567890,OU=USA,OU=PKI,OU=DoD,O=U.S. Government,C=US"
PASSWORD = "Tr@ining-only-Passw0rd"


@pytest.fixture
def smart_card(settings):
    """The settings REMOTE_USER_AUTH=true and SMART_CARD_TRUSTED_PROXIES=10.20.0.0/30 produce."""
    settings.MIDDLEWARE = [*settings.MIDDLEWARE]
    settings.MIDDLEWARE.insert(settings.MIDDLEWARE.index("runtime.request_memo.RequestCacheMiddleware") + 1,
                               "security.middleware.SmartCardMiddleware")
    settings.AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "security.backends.SmartCardBackend",
                                        "security.backends.ProfileModelBackend"]
    settings.SMART_CARD_TRUSTED_PROXIES = ["10.20.0.0/30"]
    settings.REMOTE_USER_HEADER = "HTTP_X_SSL_CLIENT_USER"


@pytest.fixture
def officer(db):
    user = staff_member("eucom_action_officer", password=PASSWORD, is_staff=True)
    SecurityProfile.objects.create(user=user, certificate_subject=SUBJECT)
    return user


def card(identity: str = SUBJECT, address: str = PROXY) -> Client:
    return Client(REMOTE_ADDR=address, HTTP_X_SSL_CLIENT_USER=identity)


def sign_in_with_card(client: Client, consent: bool = True):
    data = {"smart_card": "Sign in with smart card", "next": reverse("admin:index")}
    if consent:
        data["consent"] = "on"
    return client.post(reverse("admin:login"), data)


def signed_in_as(client: Client):
    return client.session.get("_auth_user_id")


def test_from_a_trusted_proxy_the_card_signs_in_its_mapped_account_after_the_consent_banner(smart_card, officer):
    client = card()
    first = client.get(reverse("admin:index"))
    assert first.status_code == 302 and reverse("admin:login") in first["Location"]  # not signed in by the header
    page = client.get(first["Location"]).content.decode()
    assert "DoD Notice and Consent Banner" in page and "Sign in with smart card" in page
    assert signed_in_as(client) is None
    refused = sign_in_with_card(client, consent=False)
    assert "Acknowledge the DoD Notice and Consent Banner" in refused.content.decode()
    assert signed_in_as(client) is None
    assert sign_in_with_card(client).status_code == 302
    assert signed_in_as(client) == str(officer.pk)
    assert client.get(reverse("admin:index")).status_code == 200
    event = AuditEvent.objects.get(action=AuditAction.SIGN_IN, user=officer)
    assert event.detail["smart_card"] == SUBJECT and "consent_acknowledged_at" in event.detail
    assert SecurityProfile.objects.get(user=officer).consent_acknowledged_at is not None


def test_the_edipi_alone_maps_too(smart_card, db):
    user = staff_member("j5_reviewer", acronym="J5", role=Role.REVIEWER, is_staff=True)
    SecurityProfile.objects.create(user=user, edipi="1234567890")
    client = card()  # the subject's common name ends with the EDIPI
    assert sign_in_with_card(client).status_code == 302
    assert signed_in_as(client) == str(user.pk)


def test_the_header_from_an_untrusted_address_is_ignored(smart_card, officer):
    client = card(address="192.0.2.10")
    page = client.get(reverse("admin:login")).content.decode()
    assert "Sign in with smart card" not in page
    response = sign_in_with_card(client)
    assert response.status_code == 200
    assert signed_in_as(client) is None


def test_the_header_is_ignored_when_smart_card_sign_in_is_off(officer):
    client = card()
    sign_in_with_card(client)
    assert signed_in_as(client) is None


def test_an_unknown_certificate_creates_no_account_and_signs_in_nobody(smart_card, db):
    users_before = get_user_model().objects.count()
    client = card("CN=SOMEONE.NEW.X.9999999999,OU=USA,OU=PKI,OU=DoD,O=U.S. Government,C=US")
    response = sign_in_with_card(client)
    assert "No account may sign in with this smart card certificate" in response.content.decode()
    assert signed_in_as(client) is None
    assert get_user_model().objects.count() == users_before
    client = card("administrator")
    sign_in_with_card(client)
    assert signed_in_as(client) is None
    assert get_user_model().objects.count() == users_before


def test_a_superuser_is_never_signed_in_by_the_header(smart_card, db):
    admin = get_user_model().objects.create_superuser("administrator", password=PASSWORD)
    SecurityProfile.objects.create(user=admin, certificate_subject=SUBJECT)
    for identity in (SUBJECT, "administrator"):
        client = card(identity)
        response = sign_in_with_card(client)
        assert "No account may sign in with this smart card certificate" in response.content.decode()
        assert signed_in_as(client) is None
        assert client.get(reverse("admin:index")).status_code == 302


def test_a_session_begun_with_a_card_ends_when_another_or_no_card_is_presented(smart_card, officer):
    client = card()
    sign_in_with_card(client)
    assert client.get(reverse("admin:index")).status_code == 200
    other = "CN=SOMEONE.ELSE.Y.1111111111,OU=USA,OU=PKI,OU=DoD,O=U.S. Government,C=US"
    assert client.get(reverse("admin:index"), HTTP_X_SSL_CLIENT_USER=other).status_code == 302
    assert signed_in_as(client) is None


def test_a_session_begun_with_a_card_ends_when_the_card_is_withdrawn(smart_card, officer):
    client = card()
    sign_in_with_card(client)
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:index"), HTTP_X_SSL_CLIENT_USER="").status_code == 302
    assert signed_in_as(client) is None


def test_a_card_session_ends_when_its_account_is_made_a_superuser(smart_card, officer):
    client = card()
    sign_in_with_card(client)
    assert client.get(reverse("admin:index")).status_code == 200
    officer.is_superuser = True
    officer.save()
    assert client.get(reverse("admin:index")).status_code == 302
