"""``manage.py issue_api_token <username>`` prints a token that authenticates; issuing again
rotates it (the old one stops working); tokens are revocable in the admin."""

from __future__ import annotations

import io

import pytest
from django.contrib import admin
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from .conftest import AO


def issue(username: str) -> str:
    out = io.StringIO()
    call_command("issue_api_token", username, stdout=out)
    return out.getvalue().strip()


def answers(key: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/organizations/").status_code


def test_issue_api_token_prints_a_token_that_authenticates(world):
    key = issue(world.user("EUCOM", AO).username)
    assert len(key) == 40
    assert answers(key) == 200


def test_issuing_again_rotates_the_token(world):
    username = world.user("EUCOM", AO).username
    old = issue(username)
    new = issue(username)
    assert old != new
    assert (answers(old), answers(new)) == (401, 200)
    assert Token.objects.filter(user__username=username).count() == 1


def test_no_token_for_an_unknown_or_inactive_user(world):
    with pytest.raises(CommandError, match="no user"):
        issue("nobody")
    user = world.user("EUCOM", AO)
    user.is_active = False
    user.save()
    with pytest.raises(CommandError, match="inactive"):
        issue(user.username)


def test_tokens_can_be_revoked_in_the_admin():
    from rest_framework.authtoken.models import TokenProxy

    assert admin.site.is_registered(TokenProxy)
