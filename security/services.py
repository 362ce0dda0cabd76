"""Writes about markings and sign-in."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .audit import audit_record
from .markings import RANK, Marking, combine
from .models import AuditAction, OIDCLinkRequest, SecurityProfile


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


def oidc_link_request_record(*, issuer: str, subject: str, name: str = "") -> OIDCLinkRequest:
    """Remember that the provider's ``subject`` at ``issuer`` tried to sign in with no account
    linked, for an administrator to link (``oidc_link_approve``). One request per identity; a
    request linked before whose link has since been removed is pending again."""
    with transaction.atomic():
        link_request, created = OIDCLinkRequest.objects.select_for_update().get_or_create(
            issuer=issuer, subject=subject, defaults={"name": name[:150]})
        if not created:
            link_request.requested_at = timezone.now()
            link_request.name = name[:150] or link_request.name
            link_request.account = link_request.decided_by = link_request.decided_at = None
            link_request.save()
    return link_request


def oidc_link_refusal(*, link_request: OIDCLinkRequest, account, by) -> str | None:
    """Why ``by`` may not link ``link_request``'s identity to ``account``, in the administrator's
    words; None when they may. The approval is another person's: never the account's own."""
    if not by.is_superuser:
        return "Only an administrator may link an OpenID Connect identity to an account."
    if link_request.decided_at is not None:
        return "This identity is already linked; change the link on the security profile."
    if account is None:
        return "Choose the existing account this identity signs in to."
    if account.pk == by.pk:
        return "You may not link an identity to your own account: another administrator must."
    if not account.is_active:
        return f"{account.get_username()} is not active."
    if account.is_superuser:
        return f"{account.get_username()} is a superuser, who never signs in with OpenID Connect."
    profile = SecurityProfile.objects.filter(user=account).first()
    if profile is None:
        return (f"{account.get_username()} has no security profile: create one with their clearance and "
                "citizenship first.")
    if profile.oidc_subject:
        return (f"{account.get_username()} is already linked to {profile.oidc_subject} at {profile.oidc_issuer}; "
                "clear that on the security profile first.")
    other = SecurityProfile.objects.filter(oidc_issuer=link_request.issuer, oidc_subject=link_request.subject).first()
    if other is not None:
        return f"This identity is already linked to {other.user.get_username()}."
    return None


def oidc_link_approve(*, link_request: OIDCLinkRequest, account, by) -> SecurityProfile:
    """Link the identity of ``link_request`` to ``account`` (its security profile's OpenID Connect
    issuer and subject), approved by ``by``, another person; recorded in the audit trail."""
    with transaction.atomic():
        link_request = OIDCLinkRequest.objects.select_for_update().get(pk=link_request.pk)
        SecurityProfile.objects.select_for_update().filter(user=account).first()
        refusal = oidc_link_refusal(link_request=link_request, account=account, by=by)
        if refusal:
            raise ValidationError(refusal)
        profile = SecurityProfile.objects.get(user=account)
        profile.oidc_issuer, profile.oidc_subject = link_request.issuer, link_request.subject
        profile.save(update_fields=["oidc_issuer", "oidc_subject"])
        link_request.account, link_request.decided_by, link_request.decided_at = account, by, timezone.now()
        link_request.save(update_fields=["account", "decided_by", "decided_at"])
        audit_record(action=AuditAction.PERMISSION, obj=profile, user=by,
                     description=f"OpenID Connect identity {link_request.subject} at {link_request.issuer} linked "
                                 f"to {account.get_username()}"[:500],
                     detail={"issuer": link_request.issuer, "subject": link_request.subject, "account": account.pk,
                             "request": link_request.pk})
    return profile
