"""Writes about markings and sign-in."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from .markings import RANK, Marking, combine
from .models import SecurityProfile


def banner_to_store(*, own: Marking, portions) -> Marking:
    """The banner ``document_banner_sync`` stores for a document marked ``own`` with ``portions``
    (their markings): forms ask it before saving what the sync would store after."""
    banner = combine([own, *portions])
    return Marking(level=banner.level,
                   noforn=own.noforn or banner.noforn, rel_to=banner.rel_to if own.rel_to else own.rel_to)


def document_banner_sync(*, document) -> bool:
    """Raise the document's stored banner so it is never lower than its portions: the highest
    level, NOFORN if any portion is NOFORN, and REL TO only to the countries every portion shares.
    Returns whether anything changed. The stored banner is what access control filters on."""
    with transaction.atomic():
        own = document.marking()
        banner = banner_to_store(own=own, portions=[portion.marking() for portion in document.portions()])
        changed = False
        if RANK[banner.level] > RANK[own.level]:
            document.classification = banner.level
            changed = True
        if banner.noforn and not own.noforn:
            document.noforn = True
            changed = True
        if changed:
            type(document).objects.filter(pk=document.pk).update(classification=document.classification,
                                                                 noforn=document.noforn)
        if own.rel_to and banner.rel_to != own.rel_to:
            from organizations.models import Country

            document.rel_to.set(Country.objects.filter(code__in=banner.rel_to))
            changed = True
    return changed


def consent_acknowledge(*, user, at: datetime.datetime | None = None) -> datetime.datetime:
    """Record that ``user`` acknowledged the DoD Notice and Consent Banner at ``at`` (now) on
    their security profile, whose ``consent_acknowledged_at`` holds the latest acknowledgment.
    A user without a profile gets none here: creating one would grant a clearance, which is an
    administrator's decision; the sign-in audit event carries the time either way."""
    at = at or timezone.now()
    SecurityProfile.objects.filter(user_id=user.pk).update(consent_acknowledged_at=at)
    return at


class AdministratorError(Exception):
    """The first administrator cannot be created as asked; the message says why and what to change."""


def first_administrator_ensure(*, username: str, email: str, password: str) -> tuple[object, bool]:
    """The installation's first administrator (a superuser and staff member): created with
    ``password`` when no account ``username`` exists; an existing administrator of that name is left
    as it is (its password is never reset here), so running the set-up again changes nothing.
    Returns (user, created). Refuses, changing nothing, a password the validators reject and a name
    that belongs to an account that is not an administrator."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    user_model = get_user_model()
    username = (username or "").strip()
    if not username:
        raise AdministratorError("no user name for the first administrator: set INIT_ADMIN_USERNAME")
    with transaction.atomic():
        existing = user_model.objects.select_for_update().filter(username=username).first()
        if existing is not None:
            if not (existing.is_superuser and existing.is_staff and existing.is_active):
                raise AdministratorError(
                    f"an account {username!r} exists and is not an active administrator; choose another "
                    "INIT_ADMIN_USERNAME, or make that account an administrator in the admin")
            return existing, False
        candidate = user_model(username=username, email=email or "")
        try:
            validate_password(password or "", user=candidate)
        except ValidationError as error:
            raise AdministratorError("INIT_ADMIN_PASSWORD is not accepted: " + " ".join(error.messages)) from error
        user = user_model.objects.create_superuser(username=username, email=email or "", password=password)
    return user, True
