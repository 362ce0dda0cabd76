"""Who may act on the assessment cycle's documents, besides the engine's own rules."""

from __future__ import annotations

from dataclasses import dataclass

from organizations.selectors import Capacity
from workflow.rules import ActorRule

RUN_CYCLE_PERMISSION = "assessments.run_cycle"
CYCLE_ADMINISTRATOR_WORDS = ("a system administrator, or an organization administrator of the designated "
                             "Joint Staff office")


def may_run_cycle(user) -> bool:
    """The cycle's administrators: system administrators, and the organization administrators of
    the organization designated as the Joint Staff office (who owns the cycle)."""
    from organizations.models import Designation, Role
    from organizations.selectors import acts_for_designation

    if user is None or not user.is_authenticated or not user.is_active:
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

    def resolve(self, document, user) -> tuple[Capacity | None, str]:
        if may_run_cycle(user):
            return Capacity(user_id=user.pk, organization_id=None, role="administrator"), ""
        return None, f"Only an administrator of the assessment cycle may do this ({CYCLE_ADMINISTRATOR_WORDS})."


@dataclass(frozen=True)
class DocumentOrganizationRole(ActorRule):
    """A member of the organization the document names in ``attribute`` (the Joint Staff office of
    the cycle, USD(P), PA&E...)."""

    attribute: str = "owner"
    description: str = "the responsible organization"

    def organizations(self, document) -> list:
        organization = getattr(document, self.attribute)
        return [organization] if organization is not None else []
