"""Sign-in hashes passwords with Argon2id (issue 24: a memory-hard hasher Django recommends, one
sign-in under 100 ms, measured by ``manage.py bench`` as ``sign_in_hash_ms``); a password stored
by the earlier hasher still signs in and is re-hashed with Argon2id on that sign-in."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import identify_hasher, make_password
from django.test import Client
from django.urls import reverse

from organizations.models import Role
from tests.factories import staff_member

PASSWORD = "Tr@ining-only-Passw0rd"


@pytest.fixture(autouse=True)
def _the_installation_s_hashers(settings):
    """The suite hashes with MD5 for speed (tests/conftest.py); these tests use the real list."""
    from config.settings.base import PASSWORD_HASHERS

    settings.PASSWORD_HASHERS = PASSWORD_HASHERS


def _sign_in(username: str) -> Client:
    client = Client()
    response = client.post(reverse("admin:login"), {"username": username, "password": PASSWORD, "consent": "on"})
    assert response.status_code == 302, response.content[:500]
    return client


@pytest.mark.django_db
def test_a_new_password_is_stored_as_argon2id_with_the_tuned_parameters():
    user = staff_member("j5_reviewer", acronym="J5", role=Role.REVIEWER, password=PASSWORD, is_staff=True)

    encoded = get_user_model().objects.get(pk=user.pk).password
    assert encoded.startswith("argon2$argon2id$"), encoded[:20]
    assert "$m=19456,t=2,p=1$" in encoded
    assert identify_hasher(encoded).algorithm == "argon2"


@pytest.mark.django_db
def test_a_pbkdf2_password_signs_in_and_is_upgraded_to_argon2id():
    user = staff_member("j5_approver", acronym="J5", role=Role.APPROVER, password=PASSWORD, is_staff=True)
    get_user_model().objects.filter(pk=user.pk).update(
        password=make_password(PASSWORD, hasher="pbkdf2_sha256"))
    assert get_user_model().objects.get(pk=user.pk).password.startswith("pbkdf2_sha256$")

    client = _sign_in("j5_approver")

    assert client.get(reverse("admin:index")).status_code == 200
    assert get_user_model().objects.get(pk=user.pk).password.startswith("argon2$argon2id$")


@pytest.mark.django_db
def test_an_argon2_hash_with_django_s_heavier_defaults_is_re_hashed_to_the_tuned_parameters():
    from django.contrib.auth.hashers import Argon2PasswordHasher as DjangoDefaults

    user = staff_member("j5_action_officer", acronym="J5", role=Role.ACTION_OFFICER, password=PASSWORD,
                        is_staff=True)
    heavy = DjangoDefaults().encode(PASSWORD, DjangoDefaults().salt())
    assert "$m=102400,t=2,p=8$" in heavy
    get_user_model().objects.filter(pk=user.pk).update(password=heavy)

    _sign_in("j5_action_officer")

    assert "$m=19456,t=2,p=1$" in get_user_model().objects.get(pk=user.pk).password
