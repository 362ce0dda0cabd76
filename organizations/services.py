"""Writes about organizations, memberships, delegations and areas of responsibility.

Every write of this app goes through here: the admin, the load commands and the other apps call
these functions, so each rule has one home. Every function validates the whole change
(``full_clean``: field checks, the model's rules, database constraints) before it writes, and
runs in one transaction, so a refusal leaves nothing half-written. Refusals are
``django.core.exceptions.ValidationError`` in the users' words; the edge (admin, API) shows them.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import ProtectedError, Q, RestrictedError
from django.utils import timezone

from .models import (
    POWER_ROLES,
    AreaOfResponsibility,
    Country,
    Delegation,
    Designation,
    Membership,
    Organization,
    OrganizationDesignation,
    OrganizationNameHistory,
    PowerRequest,
    PowerRequestKind,
    PowerRequestState,
    Role,
)
from .selectors import (
    active_account,
    memberships_active,
    organization_references,
    organizations_administered_by,
)

ORGANIZATION_UPDATE_FIELDS = frozenset({
    "name", "acronym", "kind", "parent", "supervised_by", "active_from",
    "current_name", "current_acronym", "notes",
})
MEMBERSHIP_UPDATE_FIELDS = frozenset({"is_coordinator", "start", "end"})
AOR_PERIOD_UPDATE_FIELDS = frozenset({"command", "end"})
UNIQUE_ACRONYM_MESSAGE = "Another active organization already uses this acronym."


def _today(on: datetime.date | None) -> datetime.date:
    return on or timezone.localdate()


def _save_validated(instance: models.Model, *, update_fields: Iterable[str] | None = None) -> None:
    """full_clean, then save; a unique-acronym race lost at the database reads like the check."""
    instance.full_clean()
    try:
        with transaction.atomic():  # a savepoint: PostgreSQL can go on after the IntegrityError
            instance.save(update_fields=update_fields)
    except IntegrityError as error:
        if "organization_unique_active_acronym" in str(error):
            raise ValidationError({"acronym": UNIQUE_ACRONYM_MESSAGE}) from error
        raise


def _apply(instance: models.Model, data: Mapping[str, Any], allowed: frozenset[str]) -> list[str]:
    """Set the fields of ``data`` that differ on ``instance``; return their names."""
    unknown = set(data) - allowed
    if unknown:
        raise TypeError(f"cannot update {', '.join(sorted(unknown))} of a {type(instance).__name__} here")
    changed = []
    for name, value in data.items():
        field = instance._meta.get_field(name)
        current = getattr(instance, field.attname)
        new = value.pk if isinstance(field, models.ForeignKey) and isinstance(value, models.Model) else value
        if current != new:
            setattr(instance, field.attname if not isinstance(value, models.Model) else name, value)
            changed.append(name)
    return changed


# Organizations ------------------------------------------------------------------------------------

@transaction.atomic
def organization_create(
    *, name: str, acronym: str, kind: str, parent: Organization | None = None,
    supervised_by: Organization | None = None, active_from: datetime.date | None = None,
    current_name: str = "", current_acronym: str = "", notes: str = "",
) -> Organization:
    """Create an active organization. Guarantees: its acronym is not used by another active
    organization (checked, and enforced by the database), its parent is active and the tree has no
    cycle, a supervisor is a geographic combatant command."""
    organization = Organization(
        name=name, acronym=acronym, kind=kind, parent=parent, supervised_by=supervised_by,
        active_from=active_from, current_name=current_name or "", current_acronym=current_acronym or "",
        notes=notes or "",
    )
    _save_validated(organization)
    return organization


@transaction.atomic
def organization_update(
    *, organization: Organization, data: Mapping[str, Any], by=None,
) -> tuple[Organization, bool]:
    """Change the fields in ``data`` (name, acronym, kind, parent, supervised_by, active_from,
    current_name, current_acronym, notes) and return (organization, whether anything changed).
    Guarantees: a rename (name or acronym) keeps the earlier name in the name history, recorded
    with ``by``; moving it under one of its own descendants is refused (a cycle); the same checks
    as ``organization_create``. Nothing is written when nothing differs. Activity is changed only
    by ``organization_deactivate``."""
    locked = Organization.objects.select_for_update().get(pk=organization.pk)
    old_name, old_acronym = locked.name, locked.acronym
    changed = _apply(locked, data, ORGANIZATION_UPDATE_FIELDS)
    if not changed:
        return locked, False
    _save_validated(locked, update_fields=changed)
    if "name" in changed or "acronym" in changed:
        OrganizationNameHistory.objects.create(
            organization=locked, name=old_name, acronym=old_acronym, changed_by=by
        )
    return locked, True


@transaction.atomic
def organization_deactivate(*, organization: Organization, on: datetime.date | None = None,
                            by=None) -> Organization:
    """Deactivate ``organization`` from ``on`` (today by default; never a future date). Guarantees:
    the row and everything that refers to it stay (history keeps reading as it did); current
    memberships end on ``on`` and running delegations stop then; its acronym becomes free for
    another active organization. Refused, with the reason, while active sub-organizations,
    supervised organizations or areas of responsibility still depend on it, or while memberships or
    delegations are due to start on or after ``on``."""
    day = _today(on)
    locked = Organization.objects.select_for_update().get(pk=organization.pk)
    if not locked.active:
        raise ValidationError(f"{locked} is already inactive" +
                              (f" (since {locked.active_until})." if locked.active_until else "."))
    if day > timezone.localdate():
        raise ValidationError("A deactivation takes effect today or on a past date, not in the future.")
    if locked.active_from and day <= locked.active_from:
        raise ValidationError(f"{locked} is active only from {locked.active_from}; "
                              "it cannot be deactivated before then.")
    reasons = []
    children = list(locked.children.filter(active=True).values_list("acronym", flat=True))
    if children:
        reasons.append(f"its sub-organizations are still active ({', '.join(children)}); "
                       "deactivate or move them first")
    supervised = list(locked.supervises.filter(active=True).values_list("acronym", flat=True))
    if supervised:
        reasons.append(f"it still supervises {', '.join(supervised)}; assign them to another command first")
    covered = locked.aor_periods.filter(Q(end__isnull=True) | Q(end__gt=day))
    if covered.exists():
        reasons.append(f"it still covers {covered.count()} countries on or after {day}; "
                       "move them to another command first")
    future_memberships = locked.memberships.filter(start__gte=day).count()
    if future_memberships:
        reasons.append(f"{future_memberships} memberships start on or after {day}; remove them first")
    future_delegations = locked.delegations.filter(start__gte=day).count()
    if future_delegations:
        reasons.append(f"{future_delegations} delegations start on or after {day}; remove them first")
    if reasons:
        raise ValidationError(f"{locked} cannot be deactivated: " + "; ".join(reasons) + ".")
    locked.memberships.filter(Q(end__isnull=True) | Q(end__gt=day)).update(end=day)
    locked.delegations.filter(end__gt=day).update(end=day)
    locked.active = False
    locked.active_until = day
    _save_validated(locked, update_fields=["active", "active_until"])
    return locked


def organization_ensure_deletable(*, organization: Organization) -> None:
    """Refuse (ValidationError) to delete an organization that anything refers to."""
    references = organization_references(organization=organization)
    if references:
        listed = ", ".join(f"{count} {name}" for name, count in references.items())
        raise ValidationError(
            f"{organization} cannot be deleted: it is referred to by {listed}. "
            "Nothing is deleted once referenced; deactivate it instead."
        )


@transaction.atomic
def organization_delete(*, organization: Organization) -> None:
    """Delete an organization that nothing refers to (an entry made by mistake). Guarantees: an
    organization that is referenced anywhere is never deleted; the refusal says by what."""
    organization_ensure_deletable(organization=organization)
    try:
        with transaction.atomic():
            organization.delete()
    except (ProtectedError, RestrictedError) as error:  # a reference added since the check
        raise ValidationError(f"{organization} cannot be deleted: it is referenced. "
                              "Deactivate it instead.") from error


# Memberships and delegations ----------------------------------------------------------------------

def _lock_organization(organization: Organization) -> Organization:
    """Serialise writes about one organization's people (overlap checks read, then write)."""
    return Organization.objects.select_for_update().get(pk=organization.pk)


@transaction.atomic
def membership_create(
    *, user, organization: Organization, role: str, start: datetime.date | None = None,
    end: datetime.date | None = None, is_coordinator: bool = False, by=None, approved_by=None,
) -> Membership:
    """Make ``user`` a member of ``organization`` in ``role`` from ``start`` (today by default)
    until ``end`` (exclusive; open when empty). Guarantees: the period lies within the
    organization's active period, does not overlap another membership of the user in the same
    role there, and the account is active. A power (approver, organization administrator)
    granted by a person (``by``) needs a second person's approval (``approved_by``, neither
    ``by`` nor ``user``): ``power_request_approve`` passes it. Only loaders (no person) write
    without one."""
    if role in POWER_ROLES:
        _refuse_power_without_second_person(role=role, by=by, approved_by=approved_by, user=user)
    _lock_organization(organization)
    membership = Membership(user=user, organization=organization, role=role, start=_today(start), end=end,
                            is_coordinator=is_coordinator)
    _save_validated(membership)
    return membership


@transaction.atomic
def membership_update(*, membership: Membership, data: Mapping[str, Any], by=None,
                      approved_by=None) -> tuple[Membership, bool]:
    """Change the coordinator designation or the dates of a membership; return (membership,
    whether anything changed). Who, where and which role never change: end the membership and
    create another. Guarantees the same checks as ``membership_create``; lengthening a power
    (an earlier start, a later or no end) is granting it for longer and, made by a person
    (``by``), needs a second person (``approved_by``) as ``membership_create`` does."""
    _lock_organization(membership.organization)
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    old_start, old_end = locked.start, locked.end
    changed = _apply(locked, data, MEMBERSHIP_UPDATE_FIELDS)
    if membership_lengthens_power(locked, start=old_start, end=old_end):
        _refuse_power_without_second_person(role=locked.role, by=by, approved_by=approved_by, user=locked.user,
                                            lengthening=True)
    if changed:
        _save_validated(locked, update_fields=changed)
    return locked, bool(changed)


def membership_lengthens_power(membership: Membership, *, start: datetime.date, end: datetime.date | None) -> bool:
    """Do ``membership``'s dates hold a power longer than ``start``–``end`` did (an earlier
    start, a later or no end)? Lengthening a power is granting it, and needs a second person."""
    if membership.role not in POWER_ROLES:
        return False
    return membership.start < start or (end is not None and (membership.end is None or membership.end > end))


@transaction.atomic
def membership_end(*, membership: Membership, on: datetime.date | None = None) -> Membership:
    """End a membership on ``on`` (today by default; exclusive, so ``on`` is the first day without
    it). Guarantees: from that day the user no longer acts in that role there, and delegations of
    that role the user gave there, still running, stop on the same day (unless another membership
    in the role continues). Refused for a membership already ended by then, or not yet started
    (delete a membership that was never in force)."""
    day = _today(on)
    _lock_organization(membership.organization)
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    if locked.end and locked.end <= day:
        raise ValidationError(f"This membership already ended on {locked.end}.")
    if day <= locked.start:
        raise ValidationError(f"This membership starts on {locked.start}; it cannot end on or before "
                              "its start. Delete it instead if it was made by mistake.")
    locked.end = day
    _save_validated(locked, update_fields=["end"])
    continues = memberships_active(on=day).filter(
        user_id=locked.user_id, organization_id=locked.organization_id, role=locked.role
    ).exists()
    if not continues:
        Delegation.objects.filter(
            delegator_id=locked.user_id, organization_id=locked.organization_id, role=locked.role,
            start__lt=day, end__gt=day,
        ).update(end=day)
    return locked


@transaction.atomic
def membership_delete(*, membership: Membership) -> None:
    """Delete a membership entered by mistake. Guarantees: a membership that was in force before
    today is never deleted (the record shows who could act when); end it instead."""
    today = timezone.localdate()
    if membership.start < today:
        raise ValidationError(f"This membership has been in force since {membership.start}; end it instead "
                              "of deleting it, so the record shows who could act when.")
    membership.delete()


@transaction.atomic
def delegation_create(
    *, organization: Organization, delegator, delegate, start: datetime.date, end: datetime.date,
    role: str = Role.APPROVER, reason: str = "", by=None,
) -> Delegation:
    """Let ``delegate`` act in ``delegator``'s ``role`` for ``organization`` from ``start`` until
    ``end`` (exclusive). Guarantees: the delegator holds the role there on ``start`` and until
    ``end``, the delegate is a member of the organization on ``start`` (and is someone else), and
    the delegator has no other delegation of that role in the same window. Actions under it
    record both people (``acting_capacity`` returns the delegator as ``on_behalf_of``). A power
    (approver, organization administrator) is lent by its holder: made by a person (``by``), such
    a delegation is the delegator's own act or a system administrator's, never the delegate's."""
    if role in POWER_ROLES and by is not None:
        label = Role(role).label.lower()
        if by.pk == getattr(delegate, "pk", None):
            raise ValidationError({"delegate": f"No one delegates the {label} role to themselves."})
        if by.pk != getattr(delegator, "pk", None) and not by.is_superuser:
            raise ValidationError({"delegator": f"Only the {label} who lends the role (or a system "
                                                "administrator) delegates it; an organization administrator "
                                                "cannot hand another person's power to a third."})
    _lock_organization(organization)
    delegation = Delegation(organization=organization, delegator=delegator, delegate=delegate, role=role,
                            start=start, end=end, reason=reason or "")
    _save_validated(delegation)
    return delegation


@transaction.atomic
def delegation_revoke(*, delegation: Delegation, on: datetime.date | None = None) -> Delegation | None:
    """Stop a delegation from ``on`` (today by default). Guarantees: the delegate no longer acts on
    the delegator's behalf from that day; a delegation that had not started yet is removed (nothing
    was done under it) and None is returned. Refused for a delegation already over by then."""
    day = _today(on)
    locked = Delegation.objects.select_for_update().get(pk=delegation.pk)
    if locked.end <= day:
        raise ValidationError(f"This delegation already ended on {locked.end}.")
    if locked.start >= day:
        locked.delete()
        return None
    locked.end = day
    _save_validated(locked, update_fields=["end"])
    return locked


@transaction.atomic
def delegation_delete(*, delegation: Delegation) -> None:
    """Delete a delegation entered by mistake. Guarantees: a delegation that was in force before
    today is never deleted (actions under it name it); revoke it instead."""
    if delegation.start < timezone.localdate():
        raise ValidationError(f"This delegation has been in force since {delegation.start}; revoke it instead "
                              "of deleting it, so the record shows who acted for whom.")
    delegation.delete()


# Areas of responsibility --------------------------------------------------------------------------

def _lock_country(country: Country) -> Country:
    """Serialise writes of one country's periods (the overlap check reads, then writes)."""
    return Country.objects.select_for_update().get(pk=country.pk)


@transaction.atomic
def aor_period_create(*, country: Country, command: Organization, start: datetime.date,
                      end: datetime.date | None = None) -> AreaOfResponsibility:
    """Record that ``command`` covers ``country`` from ``start`` until ``end`` (exclusive; open when
    empty). Guarantees: the command is a geographic combatant command active throughout, and the
    period overlaps no other period of the country (the refusal names the clashing one)."""
    _lock_country(country)
    period = AreaOfResponsibility(country=country, command=command, start=start, end=end)
    _save_validated(period)
    return period


@transaction.atomic
def aor_period_update(*, period: AreaOfResponsibility,
                      data: Mapping[str, Any]) -> tuple[AreaOfResponsibility, bool]:
    """Change the command or the end of a period; return (period, whether anything changed).
    Guarantees the checks of ``aor_period_create``."""
    _lock_country(period.country)
    locked = AreaOfResponsibility.objects.select_for_update().get(pk=period.pk)
    changed = _apply(locked, data, AOR_PERIOD_UPDATE_FIELDS)
    if changed:
        _save_validated(locked, update_fields=changed)
    return locked, bool(changed)


@dataclass(frozen=True)
class AorPeriodSpec:
    """One wanted period of a country: ``command`` covers it from ``start`` until ``end``."""

    command: Organization
    start: datetime.date
    end: datetime.date | None = None


@dataclass(frozen=True)
class AorSyncResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0


@transaction.atomic
def aor_periods_sync(*, country: Country, periods: Iterable[AorPeriodSpec]) -> AorSyncResult:
    """Make ``country``'s periods exactly ``periods`` (matched by start date: the command or end of
    a matching period is updated, missing ones created, others removed) and count what changed.
    Guarantees: the result is checked as a whole (no overlaps, geographic commands only), so a
    move (end one period, start the next) is applied in either order; on a refusal nothing changes."""
    _lock_country(country)
    wanted = {spec.start: spec for spec in periods}
    existing = {period.start: period for period in country.aor_periods.select_for_update()}
    for spec in wanted.values():
        if spec.end is not None and spec.end <= spec.start:
            raise ValidationError(f"{country.code.name}: a period from {spec.start} must end after it starts, "
                                  f"not on {spec.end}.")
    stale = [period.pk for start, period in existing.items() if start not in wanted]
    removed = AreaOfResponsibility.objects.filter(pk__in=stale).delete()[0] if stale else 0
    created = updated = unchanged = 0
    touched = []
    for start, spec in sorted(wanted.items()):
        period = existing.get(start)
        if period is None:
            period = AreaOfResponsibility(country=country, command=spec.command, start=start, end=spec.end)
            created += 1
        elif _apply(period, {"command": spec.command, "end": spec.end}, AOR_PERIOD_UPDATE_FIELDS):
            updated += 1
        else:
            unchanged += 1
            continue
        period.save()
        touched.append(period)
    for period in touched:  # the rules that look at the neighbours, once every row is in place
        period.full_clean()
    return AorSyncResult(created=created, updated=updated, unchanged=unchanged, removed=removed)


# Designations ------------------------------------------------------------------------------------

def designation_assign(*, organization: Organization, designation: str, start: datetime.date | None = None,
                       requested_by=None, approved_by=None, reason: str = "") -> OrganizationDesignation:
    """Make ``organization`` the holder of ``designation`` from ``start`` (today by default): the
    current holder's period ends that day. A person's change needs a second person:
    ``approved_by`` must be someone other than ``requested_by``. Only the reference data loader
    (no person) writes without one. Returns the new period, or the current one if unchanged."""
    if designation not in Designation.values:
        raise ValidationError({"designation": f"Unknown designation {designation!r}."})
    if requested_by is not None and (approved_by is None or approved_by.pk == requested_by.pk):
        raise ValidationError("A change of designation needs a second person's approval; no one approves "
                              "their own request.")
    start = _today(start)
    with transaction.atomic():
        periods = list(OrganizationDesignation.objects.select_for_update()
                       .filter(designation=designation).order_by("start"))
        current = next((p for p in periods if p.start <= start and (p.end is None or p.end > start)), None)
        if current is not None and current.organization_id == organization.pk:
            return current
        later = [p for p in periods if p.start > start]
        if later:
            raise ValidationError(
                f"{later[0].organization} is already designated from {later[0].start}; "
                "a change must start after the last recorded one.")
        if current is not None:
            if current.start == start:
                raise ValidationError(f"{current.organization} took up this designation on {start}; "
                                      "choose a later start.")
            current.end = start
            _save_validated(current, update_fields=["end"])
        period = OrganizationDesignation(organization=organization, designation=designation, start=start,
                                         reason=reason[:300], requested_by=requested_by,
                                         approved_by=approved_by)
        _save_validated(period)
    return period


# Powers: two people ------------------------------------------------------------------------------

class PowerRequestConflict(ValidationError):
    """The request was decided (or withdrawn) by someone else first: nothing was done."""


def _role_label(role: str) -> str:
    return Role(role).label.lower()


def _refuse_power_without_second_person(*, role: str, by, approved_by, user, lengthening: bool = False) -> None:
    """The one rule for granting a power: a person's grant needs a second person, and no one
    approves a grant to themselves."""
    if by is None:
        return  # a loader (reference or demo data), not a person
    label = _role_label(role)
    if approved_by is None:
        what = f"Lengthening the {label} role" if lengthening else f"Granting the {label} role"
        raise ValidationError(f"{what} needs a second person: ask for it under Organizations › Requests for "
                              "powers, where another administrator of the organization or a system "
                              "administrator approves it.")
    if approved_by.pk == by.pk:
        raise ValidationError("No one approves their own request: a second person must approve it.")
    if user is not None and approved_by.pk == user.pk:
        raise ValidationError(f"No one approves the {label} role for themselves.")


def may_request_power(user, *, kind: str, organization: Organization | None = None) -> bool:
    """Who may ask: for a role, a system administrator or an organization administrator of that
    organization (today); for a designated office, a system administrator."""
    if not active_account(user):
        return False
    if user.is_superuser:
        return True
    if kind != PowerRequestKind.GRANT_ROLE:
        return False
    administered = organizations_administered_by(user)
    return administered.exists() if organization is None else administered.filter(pk=organization.pk).exists()


def power_request_decision_refusal(request: PowerRequest, user) -> str | None:
    """Why ``user`` may not approve or refuse ``request`` (None: they may). The one rule the
    admin's buttons and the services ask: a second person, administrator of that organization
    (for a role) or a system administrator, who is neither the requester nor the one receiving
    the role."""
    if not active_account(user):
        return "Sign in to decide a request."
    if request.requested_by_id == user.pk:
        return "No one decides their own request: a second person must approve or refuse it."
    if request.kind == PowerRequestKind.GRANT_ROLE and request.user_id == user.pk:
        return f"No one decides a request that makes them {_role_label(request.role)}."
    if user.is_superuser:
        return None
    if request.kind == PowerRequestKind.CHANGE_DESIGNATION:
        return "A change of designated office is decided by a system administrator."
    if not organizations_administered_by(user).filter(pk=request.organization_id).exists():
        return (f"Only another organization administrator of {request.organization} or a system administrator "
                "decides this request.")
    return None


def _membership_to_grant(request: PowerRequest) -> Membership:
    return Membership(user=request.user, organization=request.organization, role=request.role, start=request.start,
                      end=request.end, is_coordinator=request.is_coordinator)


@transaction.atomic
def power_request_create(
    *, requested_by, kind: str, organization: Organization, start: datetime.date | None = None,
    reason: str, user=None, role: str = "", end: datetime.date | None = None, is_coordinator: bool = False,
    designation: str = "",
) -> PowerRequest:
    """Ask for a power: ``user`` as ``role`` (approver or organization administrator) of
    ``organization`` from ``start``, or ``organization`` to hold ``designation`` from ``start``.
    Nothing changes until a second person approves. Guarantees: the requester may ask (see
    ``may_request_power``); a reason is given; the grant would be valid today (checked again on
    approval); one open request per person, organization and role (or per designation). Someone
    may ask for a role for themselves; another person still decides."""
    if not may_request_power(requested_by, kind=kind, organization=organization):
        if kind == PowerRequestKind.CHANGE_DESIGNATION:
            raise ValidationError("A change of designated office is requested by a system administrator.")
        raise ValidationError({"organization": f"Only an organization administrator of {organization} or a system "
                                               "administrator asks for a role there."})
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why: the second person decides on this reason."})
    request = PowerRequest(kind=kind, organization=organization, user=user, role=role or "",
                           is_coordinator=is_coordinator, designation=designation or "", start=_today(start), end=end,
                           reason=reason.strip(), requested_by=requested_by)
    open_requests = PowerRequest.objects.filter(state=PowerRequestState.REQUESTED)
    if kind == PowerRequestKind.GRANT_ROLE:
        if role not in POWER_ROLES:
            raise ValidationError({"role": "Ask here for the approver or organization-administrator role; other "
                                           "roles are given directly in the memberships."})
        if user is None:
            raise ValidationError({"user": "Choose the person who is to receive the role."})
        if end is not None and end <= request.start:
            raise ValidationError({"end": "The end must be after the start."})
        _lock_organization(organization)
        _membership_to_grant(request).full_clean()
        if open_requests.filter(kind=kind, user=user, organization=organization, role=role).exists():
            raise ValidationError(f"{user} already has an open request to become {_role_label(role)} of "
                                  f"{organization}; decide or withdraw it first.")
    elif kind == PowerRequestKind.CHANGE_DESIGNATION:
        if designation not in Designation.values:
            raise ValidationError({"designation": "Choose the designated office that changes hands."})
        if user is not None or role or end is not None:
            raise ValidationError("A change of designated office names an organization and a start, not a person, "
                                  "role or end.")
        list(OrganizationDesignation.objects.select_for_update().filter(designation=designation))
        if open_requests.filter(kind=kind, designation=designation).exists():
            raise ValidationError({"designation": "This designated office already has an open request for a change; "
                                                  "decide or withdraw it first."})
        if organization_holds_on(organization, designation, request.start):
            raise ValidationError({"organization": f"{organization} already holds this designated office on "
                                                   f"{request.start}."})
    else:
        raise ValidationError({"kind": "Choose what is asked for."})
    request.full_clean()
    request.save()
    return request


def organization_holds_on(organization: Organization, designation: str, day: datetime.date) -> bool:
    return OrganizationDesignation.objects.filter(
        Q(end__isnull=True) | Q(end__gt=day), organization=organization, designation=designation, start__lte=day,
    ).exists()


def _lock_open(request: PowerRequest, verb: str) -> PowerRequest:
    """Lock the request's row; a request no longer open is a conflict, naming who closed it."""
    locked = PowerRequest.objects.select_for_update().get(pk=request.pk)  # no join: re-read as committed
    if locked.state != PowerRequestState.REQUESTED:
        who = f" by {locked.decided_by}" if locked.decided_by else ""
        when = f" at {timezone.localtime(locked.decided_at):%Y-%m-%d %H:%M}" if locked.decided_at else ""
        raise PowerRequestConflict(f"This request was already {locked.get_state_display().split(' ')[0].lower()}"
                                   f"{who}{when}; it cannot be {verb} now.")
    return locked


def _decided(locked: PowerRequest, *, state: str, by, note: str, fields: list[str]) -> PowerRequest:
    locked.state = state
    locked.decided_by = by
    locked.decided_at = timezone.now()
    locked.decision_note = (note or "").strip()
    locked.full_clean()
    locked.save(update_fields=["state", "decided_by", "decided_at", "decision_note", *fields])
    return locked


@transaction.atomic
def power_request_approve(*, request: PowerRequest, by, note: str = "") -> PowerRequest:
    """A second person approves: the change is applied, in the same transaction, through
    ``membership_create`` or ``designation_assign`` (naming both people), and the request is
    marked approved. Guarantees: the row is locked, so two approvals at one moment give one
    membership and the later one a ``PowerRequestConflict``; the decider passes
    ``power_request_decision_refusal``; a grant no longer valid (an overlapping membership
    since) is refused with the reason and nothing changes."""
    locked = _lock_open(request, "approved")
    refusal = power_request_decision_refusal(locked, by)
    if refusal:
        raise ValidationError(refusal)
    if locked.kind == PowerRequestKind.GRANT_ROLE:
        locked.membership = membership_create(
            user=locked.user, organization=locked.organization, role=locked.role, start=locked.start,
            end=locked.end, is_coordinator=locked.is_coordinator, by=locked.requested_by, approved_by=by,
        )
        field = "membership"
    else:
        locked.organization_designation = designation_assign(
            organization=locked.organization, designation=locked.designation, start=locked.start,
            requested_by=locked.requested_by, approved_by=by, reason=locked.reason,
        )
        field = "organization_designation"
    return _decided(locked, state=PowerRequestState.APPROVED, by=by, note=note, fields=[field])


@transaction.atomic
def power_request_refuse(*, request: PowerRequest, by, note: str) -> PowerRequest:
    """A second person refuses, saying why; nothing changes. Same decider rule and locking as
    ``power_request_approve``."""
    locked = _lock_open(request, "refused")
    refusal = power_request_decision_refusal(locked, by)
    if refusal:
        raise ValidationError(refusal)
    if not (note or "").strip():
        raise ValidationError({"decision_note": "Say why the request is refused: the requester reads it."})
    return _decided(locked, state=PowerRequestState.REFUSED, by=by, note=note, fields=[])


@transaction.atomic
def power_request_withdraw(*, request: PowerRequest, by, note: str = "") -> PowerRequest:
    """The requester withdraws their open request; nothing changes."""
    locked = _lock_open(request, "withdrawn")
    if by is None or locked.requested_by_id != by.pk:
        raise ValidationError("Only the person who asked withdraws a request.")
    return _decided(locked, state=PowerRequestState.WITHDRAWN, by=by, note=note, fields=[])


# Force/activity designators: the Chairman's (Encl. 2, 9.f) ---------------------------------------

FAD_ASSIGNERS = (Role.APPROVER,)


def fad_assigner_capacity(user, *, on: datetime.date | None = None):
    """The capacity in which ``user`` assigns FADs: an approver of the Chairman's office (the
    organization holding the Joint Staff designation), in their own right or by delegation; None
    when they may not."""
    from .selectors import acting_capacity_among, designation_holder_ids

    # Asked by every admin page's menu (may this person add one?): no query beyond what the
    # request has read once (the designations' holders and the person's roles).
    offices = sorted(designation_holder_ids([Designation.JOINT_STAFF], on=on))
    if not offices or not active_account(user):
        return None
    return acting_capacity_among(user=user, organizations=offices, roles=FAD_ASSIGNERS, on=on)


def fad_assign(*, designator: str, effective_from: datetime.date | None, rationale: str, country: Country | None = None,
               partner_organization: str = "", by=None):
    """Assign ``designator`` (FAD I–V) to a partner country or a partner organization from
    ``effective_from``, with the Chairman's rationale: the partner's current period ends that
    day, its rows before stay (the history). ``by`` must be an approver of the Chairman's office
    (``fad_assigner_capacity``); only the reference data loader writes with no person. Refused,
    writing nothing, with each reason beside its field: no partner or two, an unknown designator,
    no date or rationale, a start not after the partner's latest assignment. Returns the new row
    (or the current one when it already says the same)."""
    from django.core.exceptions import PermissionDenied

    from .models import FADAssignment, ForceActivityDesignator

    assigned_for = None
    if by is not None:
        capacity = fad_assigner_capacity(by)
        if capacity is None:
            raise PermissionDenied("Only an approver of the Chairman's office (the Joint Staff) assigns force/activity "
                                   "designators.")
        assigned_for = Organization.objects.get(pk=capacity.organization_id)
    partner_organization = (partner_organization or "").strip()
    rationale = (rationale or "").strip()
    errors: dict[str, list[str]] = {}
    if country is None and not partner_organization:
        errors["country"] = ["Name the partner: a country, or a partner organization."]
    elif country is not None and partner_organization:
        errors["partner_organization"] = ["Name one partner: a country or a partner organization, not both."]
    if designator not in ForceActivityDesignator.values:
        errors["designator"] = ["Choose a designator from FAD I to FAD V."]
    if effective_from is None:
        errors["effective_from"] = ["Give the date the designator takes effect."]
    if not rationale:
        errors["rationale"] = ["Give the Chairman's rationale for the designator."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if country is not None:
            Country.objects.select_for_update().get(pk=country.pk)  # one assignment of a partner at a time
            rows = FADAssignment.objects.filter(country=country)
        else:
            rows = FADAssignment.objects.select_for_update().filter(partner_organization__iexact=partner_organization)
        latest = rows.order_by("-effective_from").first()
        if latest is not None and latest.effective_until is None and latest.designator == designator \
                and latest.effective_from <= effective_from:
            return latest
        if latest is not None and latest.effective_from >= effective_from:
            raise ValidationError({"effective_from": [
                f"{latest.partner_name} already holds {latest.get_designator_display()} from {latest.effective_from}; "
                "a new designator must start after the latest one."]})
        if latest is not None and latest.effective_until is None:
            latest.effective_until = effective_from
            _save_validated(latest, update_fields=["effective_until"])
        row = FADAssignment(country=country, partner_organization=partner_organization, designator=designator,
                            effective_from=effective_from, rationale=rationale, assigned_by=by,
                            assigned_for=assigned_for)
        _save_validated(row)
    return row
