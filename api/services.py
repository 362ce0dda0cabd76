"""Writes of the API itself: only its credentials (django-rest-knox tokens)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from knox.models import AuthToken
from knox.settings import knox_settings

from security.audit import audit_record
from security.models import AuditAction


@dataclass(frozen=True)
class IssuedToken:
    """A token as issued: ``key`` is the only copy of the secret (the database keeps its digest)."""

    key: str
    expiry: datetime.datetime | None
    token: AuthToken


def api_token_issue(*, user, days: int | None = None) -> IssuedToken:
    """A new API token for ``user``, valid for ``days`` (default ``API_TOKEN_DAYS``). The key exists
    in clear only in the returned value: the database stores its SHA-512 digest, so it can be shown
    once and never again. A user has one token: the previous ones stop working at once (rotation).
    Recorded in the audit trail."""
    ttl = knox_settings.TOKEN_TTL if days is None else datetime.timedelta(days=days)
    with transaction.atomic():
        AuthToken.objects.filter(user=user).delete()
        token, key = AuthToken.objects.create(user=user, expiry=ttl)
        audit_record(action=AuditAction.PERMISSION, obj=user,
                     description=f"API token issued for {user.get_username()}"
                                 + (f", valid until {token.expiry:%Y-%m-%d %H:%M %Z}" if token.expiry else ""))
    return IssuedToken(key=key, expiry=token.expiry, token=token)


def api_token_may_revoke(token: AuthToken, by) -> bool:
    """A token is its holder's own: they revoke it, and a system administrator may revoke anyone's
    (to shut out a lost or misused key); no one else touches it."""
    return by is None or (by.is_active and (by.is_superuser or token.user_id == by.pk))


def api_token_revoke(*, token: AuthToken, by=None) -> None:
    """Revoke ``token``: the next request with it is refused (401). Recorded in the audit trail.
    Refused (PermissionDenied) for someone ``api_token_may_revoke`` does not allow; a command or
    task (no person) may revoke."""
    if not api_token_may_revoke(token, by):
        raise PermissionDenied("An API token is revoked by its holder or a system administrator.")
    with transaction.atomic():
        username = token.user.get_username()
        AuthToken.objects.filter(pk=token.pk).delete()
        audit_record(action=AuditAction.PERMISSION, user=by, obj=token.user,
                     description=f"API token of {username} revoked")
