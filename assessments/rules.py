"""Who may act on the assessment cycle's documents, besides the engine's own rules."""

from __future__ import annotations

from dataclasses import dataclass

from organizations.selectors import Capacity
from workflow.rules import ActorRule

RUN_CYCLE_PERMISSION = "assessments.run_cycle"


def may_run_cycle(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active
                and (user.is_superuser or user.has_perm(RUN_CYCLE_PERMISSION)))


@dataclass(frozen=True)
class CycleAdministrator(ActorRule):
    """An administrator of the cycle: a superuser, or a holder of ``assessments.run_cycle``.
    Administrators act for no organization, so the history names no ``acting_for``."""

    roles: tuple[str, ...] = ()
    description: str = "an administrator of the assessment cycle"

    def organizations(self, document) -> list:
        return []

    def resolve(self, document, user) -> tuple[Capacity | None, str]:
        if may_run_cycle(user):
            return Capacity(user_id=user.pk, organization_id=None, role="administrator"), ""
        return None, ("Only an administrator of the assessment cycle may do this (a superuser, or someone "
                      "with the “Can run the assessment cycle” permission).")


@dataclass(frozen=True)
class DocumentOrganizationRole(ActorRule):
    """A member of the organization the document names in ``attribute`` (the Joint Staff office of
    the cycle, USD(P), PA&E...)."""

    attribute: str = "owner"
    description: str = "the responsible organization"

    def organizations(self, document) -> list:
        organization = getattr(document, self.attribute)
        return [organization] if organization is not None else []
