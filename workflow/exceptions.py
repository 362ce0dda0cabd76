"""Domain errors of the workflow engine, raised by services and translated once at the edge
(admin message, API problem+json). Messages are in the users' words."""

from __future__ import annotations


class WorkflowError(Exception):
    """Base of every refusal the engine gives; ``reasons`` are sentences for the user."""

    def __init__(self, reasons: list[str] | str):
        self.reasons = [reasons] if isinstance(reasons, str) else list(reasons)
        super().__init__("; ".join(self.reasons))


class TransitionRefused(WorkflowError):
    """The transition exists but is not allowed now: state, permission or a condition."""


class UnknownTransition(WorkflowError):
    """No transition of that name exists for this kind of document."""


class Conflict(WorkflowError):
    """Someone else changed the document since it was read; nothing was written."""


class ActionRefused(WorkflowError):
    """A tasker answer, adjudication or other workflow action is not allowed (who or when)."""


class InvalidInput(WorkflowError):
    """The request is incomplete or inconsistent; ``field_errors`` maps fields to messages."""

    def __init__(self, reasons: list[str] | str, field_errors: dict[str, list[str]] | None = None):
        super().__init__(reasons)
        self.field_errors = field_errors or {}
