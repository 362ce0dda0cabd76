"""Writes of the API itself: only its credentials."""

from __future__ import annotations

from django.db import transaction
from rest_framework.authtoken.models import Token


def api_token_issue(*, user) -> Token:
    """A new API token for ``user``. A user has one token: the previous one stops working at once
    (rotation). Revoke without replacing by deleting the token in the admin."""
    with transaction.atomic():
        Token.objects.filter(user=user).delete()
        return Token.objects.create(user=user)
