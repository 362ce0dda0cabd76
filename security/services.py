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
