"""Who may act on a manpower change request, beside the engine's own actor rules."""

from __future__ import annotations

from dataclasses import dataclass

from workflow.rules import ActorRule


@dataclass(frozen=True)
class SupervisingCommandRole(ActorRule):
    """A member of the geographic combatant command supervising the request's SCO: its action
    officers write and submit requests for the SCOs it supervises (Encl. 2, 10.e)."""

    description: str = "the supervising combatant command"

    def organizations(self, document) -> list:
        return [document.supervising_command]

    def organization_ids(self, document) -> list[int]:
        return [document.supervising_command_id]
