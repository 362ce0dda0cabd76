"""Domain errors of the workflow engine, raised by services and translated once at the edge
(admin message, API problem+json). Messages are in the users' words."""

from __future__ import annotations


class WorkflowError(Exception):
    """Base of every refusal the engine gives; ``reasons`` are sentences for the user."""

    def __init__(self, reasons: list[str] | str):
        self.reasons = [reasons] if isinstance(reasons, str) else list(reasons)
        super().__init__("; ".join(self.reasons))


class TransitionRefused(WorkflowError):
    """The transition exists but is not allowed: ``forbidden`` when the user is not one who may
    make it ("you may not"), otherwise its state or a condition does not allow it now ("not now")."""

    def __init__(self, reasons: list[str] | str, *, forbidden: bool = False):
        super().__init__(reasons)
        self.forbidden = forbidden


class UnknownTransition(WorkflowError):
    """No transition of that name exists for this kind of document."""


class Conflict(WorkflowError):
    """Someone else changed the document since it was read; nothing was written."""


class ActionRefused(WorkflowError):
    """A tasker answer, adjudication or other action is not allowed now (the state of the
    document, tasker or cycle): "not now". ``NotPermitted`` is the "you may not" kind."""


class NotPermitted(ActionRefused):
    """The user is not one who may do this (role, organization, permission): "you may not",
    whatever the state. The edges answer it as such (API: 403); other refusals are "not now" (409)."""


class InvalidInput(WorkflowError):
    """The request is incomplete or inconsistent; ``field_errors`` maps fields to messages."""

    def __init__(self, reasons: list[str] | str, field_errors: dict[str, list[str]] | None = None):
        super().__init__(reasons)
        self.field_errors = field_errors or {}

    @classmethod
    def from_validation(cls, error) -> InvalidInput:
        """The refusal of a model's ``full_clean`` (a Django ``ValidationError``), each message beside
        its field when the error names fields."""
        return cls(error.messages, error.message_dict if hasattr(error, "error_dict") else {})


# SQLSTATEs of the lock failures PostgreSQL reports when two writers meet: both could not be
# applied as they came, nothing of the failed one was written, and trying again may succeed.
LOCK_FAILURES = {
    "40P01": "deadlock",  # deadlock_detected
    "40001": "serialization failure",  # serialization_failure
    "55P03": "lock timeout",  # lock_not_available (lock_timeout, NOWAIT)
}


def lock_failure(exc: BaseException) -> str | None:
    """Which lock failure a database error is ("deadlock", ...), or None if it is none of them.
    Django wraps the driver's error; its SQLSTATE is on the cause."""
    for candidate in (exc, exc.__cause__):
        code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if code in LOCK_FAILURES:
            return LOCK_FAILURES[code]
    return None


def lock_conflict(exc: BaseException) -> Conflict | None:
    """The ``Conflict`` a database lock failure means for the user, or None for any other error:
    the edges (admin, API) answer it as a conflict, never as a server error."""
    if lock_failure(exc) is None:
        return None
    return Conflict("Someone else was changing the same document at the same moment and the two changes could "
                    "not both be applied. Nothing of yours was saved; reload the page and try again.")
