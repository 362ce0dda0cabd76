"""Who may open and change organizations, people and designations (``organizations.authority``).

Organizations, countries and areas of responsibility are the installation's reference data:
system administrators change them (``load_reference_data`` keeps them in step with the file).
An organization administrator manages the memberships and delegations of the organizations they
administer; auditors and system administrators read all of them. Designations change only
through a request approved by a second person, never by editing a row."""

from __future__ import annotations

from rules import Predicate

from .authority import declare, is_auditor, is_staff_member, is_system_administrator
from .models import (
    AreaOfResponsibility,
    Country,
    Delegation,
    FADAssignment,
    Membership,
    Organization,
    OrganizationDesignation,
    OrganizationNameHistory,
    PowerRequest,
    PowerRequestKind,
    Role,
)


def _administers(user, row=None) -> bool:
    """An organization administrator of the row's organization (of any, without a row)."""
    from .selectors import active_account, organization_ids_acting_for

    if not active_account(user):
        return False
    administered = organization_ids_acting_for(user, role=Role.ORG_ADMIN)
    if row is None:
        return bool(administered)
    return row.organization_id in administered


administers = Predicate(_administers, name="administers_the_organization")


def _sees_power_request(user, request=None) -> bool:
    """System administrators see every request; organization administrators the role requests of
    the organizations they administer and those they asked; a person the one that names them."""
    from .selectors import organization_ids_acting_for

    if not is_staff_member(user):
        return False
    if user.is_superuser:
        return True
    if request is None:  # the menu and the list: those who may ask (the list shows what each may see)
        return bool(organization_ids_acting_for(user, role=Role.ORG_ADMIN))
    return (request.requested_by_id == user.pk or request.user_id == user.pk
            or (request.kind == PowerRequestKind.GRANT_ROLE
                and request.organization_id in organization_ids_acting_for(user, role=Role.ORG_ADMIN)))


def _may_ask_for_power(user, _request=None) -> bool:
    from .services import may_request_power

    return may_request_power(user, kind=PowerRequestKind.GRANT_ROLE)


def _assigns_fads(user) -> bool:
    from .services import fad_assigner_capacity

    return fad_assigner_capacity(user) is not None


def register() -> None:
    for model in (Organization, AreaOfResponsibility):
        declare(model, view=is_staff_member, add=is_system_administrator, change=is_system_administrator,
                delete=is_system_administrator)
    declare(Country, view=is_staff_member)  # ISO 3166, from django-countries: no one edits it
    declare(OrganizationNameHistory, view=is_staff_member)
    declare(OrganizationDesignation, view=is_staff_member)
    # FADs are the Chairman's (Encl. 2, 9.f): everyone who works here reads them beside each
    # partner; an approver of the Joint Staff office assigns one (``services.fad_assign``, which
    # ends the current period); no one edits or deletes a period (the history).
    declare(FADAssignment, view=is_staff_member, add=Predicate(_assigns_fads, name="assigns_fads"))
    for model in (Membership, Delegation):
        manage = is_system_administrator | administers
        declare(model, view=manage | is_auditor, add=manage, change=manage, delete=manage)
    # Requests for powers are asked in a form and decided with the buttons on their page, never
    # edited or deleted.
    declare(PowerRequest, view=Predicate(_sees_power_request, name="sees_the_request"),
            add=Predicate(_may_ask_for_power, name="may_ask_for_a_power"))
