"""Who may act on the assessment cycle's documents, besides the engine's own rules."""

from __future__ import annotations

from dataclasses import dataclass

from organizations.models import Designation
from organizations.selectors import Capacity, designation_holders, designation_name, organization_label
from workflow.rules import ActorRule

RUN_CYCLE_PERMISSION = "assessments.run_cycle"
CYCLE_ADMINISTRATOR_WORDS = ("a system administrator, or an organization administrator of the designated "
                             "Joint Staff office")


# The offices of a cycle and the designation each must hold: the Joint Staff office runs it,
# the policy office is consulted and evaluates, the program analysis office coordinates the
# program assessments (Encl. 2, 1.d, 1.k and 10.c).
CYCLE_OFFICES = (
    ("owner", Designation.JOINT_STAFF, "Joint Staff office"),
    ("policy_office", Designation.POLICY_OFFICE, "policy office"),
    ("program_coordinator", Designation.PROGRAM_ANALYSIS, "program coordinator"),
)


def cycle_office_holders() -> dict[str, tuple[int, ...]]:
    """For each office field of a cycle, the organizations that may fill it today: the holders of
    its designation (one memoized query)."""
    held = designation_holders()
    return {name: held.get(designation, ()) for name, designation, _ in CYCLE_OFFICES}


def cycle_offices_refusals(*, owner, policy_office, program_coordinator=None) -> dict[str, str]:
    """Why these organizations cannot be a cycle's offices, by field (nothing when they can): each
    must hold its designation today, so a command cannot evaluate its own assessments.
    The program coordinator is optional."""
    given = {"owner": owner, "policy_office": policy_office, "program_coordinator": program_coordinator}
    holders = cycle_office_holders()
    refusals = {}
    for name, designation, label in CYCLE_OFFICES:
        organization = given[name]
        if organization is None or organization.pk in holders[name]:
            continue
        if not holders[name]:
            refusals[name] = (f"No organization holds the designation of the {designation_name(designation)}; "
                              f"the cycle's {label} must be the organization holding it.")
        else:
            refusals[name] = (f"{organization_label(organization)} is not the designated {designation_name(designation)}; "
                              f"the cycle's {label} must be the organization holding that designation.")
    return refusals


def may_run_cycle(user) -> bool:
    """The cycle's administrators: system administrators, and the organization administrators of
    the organization designated as the Joint Staff office (who owns the cycle)."""
    from organizations.models import Designation, Role
    from organizations.selectors import active_account, acts_for_designation

    if not active_account(user):
        return False
    return user.is_superuser or acts_for_designation(user, Designation.JOINT_STAFF, role=Role.ORG_ADMIN)


@dataclass(frozen=True)
class CycleAdministrator(ActorRule):
    """An administrator of the cycle (``may_run_cycle``).
    Administrators act for no organization, so the history names no ``acting_for``."""

    roles: tuple[str, ...] = ()
    description: str = "an administrator of the assessment cycle"

    def organizations(self, document) -> list:
        return []

    def capacity(self, document, user) -> Capacity | None:
        return Capacity(user_id=user.pk, organization_id=None, role="administrator") if may_run_cycle(user) else None

    def resolve(self, document, user) -> tuple[Capacity | None, str]:
        capacity = self.capacity(document, user)
        if capacity:
            return capacity, ""
        return None, f"Only an administrator of the assessment cycle may do this ({CYCLE_ADMINISTRATOR_WORDS})."

    def candidates(self, model, user):
        from django.db.models import Q

        return Q() if may_run_cycle(user) else None


@dataclass(frozen=True)
class DocumentOrganizationRole(ActorRule):
    """A member of the organization the document names in ``attribute`` (the Joint Staff office of
    the cycle, USD(P), PA&E...)."""

    attribute: str = "owner"
    description: str = "the responsible organization"

    def organizations(self, document) -> list:
        organization = getattr(document, self.attribute)
        return [organization] if organization is not None else []

    def organization_ids(self, document) -> list[int]:
        # By id where the document answers it so (``reviewing_organization_id``...): no read of
        # the organization for a question about who acts.
        if hasattr(type(document), f"{self.attribute}_id") or f"{self.attribute}_id" in document.__dict__:
            organization_id = getattr(document, f"{self.attribute}_id")
            return [organization_id] if organization_id is not None else []
        return super().organization_ids(document)
