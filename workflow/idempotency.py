"""Repeated submissions, one mechanism for both ways in: the API's ``Idempotency-Key`` header
(``api.idempotency``) and the one-time token of every admin form that POSTs an action
(``workflow.admin_views.once_per_form``).

The first submission with a key claims it by inserting its ``IdempotencyKey`` row and then acts,
in one transaction: the row, the action's writes and the recorded outcome commit together or not
at all. A second submission with the same key waits on the row's unique index until the first
ends, then reads the first outcome (and writes nothing); if the first was not recorded (an
exception, or an outcome the caller says may be retried), its claim went with it and the key is
free again. So two submissions with one key never both act, and a crash between acting and
recording cannot happen."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import IdempotencyKey

R = TypeVar("R")


@dataclass(frozen=True)
class Outcome:
    """What a repeat of the submission is answered with."""

    status_code: int
    headers: dict[str, str]
    body: bytes


def key_lifetime() -> datetime.timedelta:
    return datetime.timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)


def request_fingerprint(*, method: str, path: str, body: bytes | Iterable[tuple[str, str]]) -> str:
    """SHA-256 of what makes two submissions the same request. A JSON body counts by its value
    (key order and spacing do not matter); form fields by name and value in any order."""
    if isinstance(body, bytes):
        try:
            content = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
        except (UnicodeDecodeError, ValueError):
            content = body
    else:
        content = json.dumps(sorted(body), separators=(",", ":")).encode()
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), content):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def submission_once(*, user, channel: str, key: str, fingerprint: str, perform: Callable[[], R],
                    outcome: Callable[[R], Outcome | None]) -> R | IdempotencyKey:
    """Run ``perform()`` at most once per (``user``, ``channel``, ``key``) while the key lives.

    Returns ``perform()``'s result the first time. ``outcome(result)`` says what to record for
    repeats; ``None`` records nothing and leaves the key free (for answers that may be retried:
    "not now", server errors); what ``perform`` wrote stays, as without a key. An exception from
    ``perform`` rolls back its writes and the claim. A later submission
    with a recorded key gets the stored ``IdempotencyKey`` instead, and nothing runs; the
    caller compares its ``fingerprint`` with the stored one (same key, another request)."""
    with transaction.atomic():
        claim = _claim(user=user, channel=channel, key=key, fingerprint=fingerprint)
        if claim is None:
            return IdempotencyKey.objects.get(user=user, channel=channel, key=key)
        result = perform()
        recorded = outcome(result)
        if recorded is None:
            claim.delete()
        else:
            claim.status_code, claim.headers, claim.body = recorded.status_code, recorded.headers, recorded.body
            claim.save(update_fields=["status_code", "headers", "body"])
        return result


def _claim(*, user, channel: str, key: str, fingerprint: str) -> IdempotencyKey | None:
    """Insert the key's row (blocking while another transaction holds the same key), or ``None``
    if it is already taken. An expired row no longer counts."""
    now = timezone.now()
    IdempotencyKey.objects.filter(user=user, channel=channel, key=key, expires_at__lte=now).delete()
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(user=user, channel=channel, key=key, fingerprint=fingerprint,
                                                 created_at=now, expires_at=now + key_lifetime())
    except IntegrityError:
        return None


def idempotency_keys_expire() -> int:
    """Forget the keys past their lifetime (beat, hourly). Returns how many."""
    deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
