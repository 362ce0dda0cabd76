"""Who may open and change the engine's records (``organizations.authority``).

- A kind's route belongs to the office that owns that kind's procedure (declared by the kind when
  it registers with the engine, ``workflow.registry.procedure_owner``): its action officers and
  approvers change it; a document in flight keeps its snapshot.
- Taskers, comments and history are written by the engine's services only: no one adds, changes
  or deletes them in a form. Everyone who works here opens their taskers; the history list is for
  auditors and system administrators (each document shows its own history on its page).
- Closures (an executive-order holiday) are the installation's calendar: system administrators.
"""

from __future__ import annotations

from rules import Predicate

from organizations.authority import (
    WORK_ROLES,
    declare,
    is_auditor,
    is_staff_member,
    is_system_administrator,
    never,
    was_read_as_visible,
)
from organizations.selectors import active_account, acts_for_designation

from .models import Closure, HistoryEntry, Route, Tasker
from .registry import procedure_owner, procedure_owners


def _owns_procedure(user, route: Route | None = None) -> bool:
    if not active_account(user):
        return False
    if route is None:
        return any(acts_for_designation(user, designation, role=WORK_ROLES)
                   for designation in sorted(procedure_owners()))
    designation = procedure_owner(route.document_kind)
    return designation is not None and acts_for_designation(user, designation, role=WORK_ROLES)


owns_procedure = Predicate(_owns_procedure, name="owns_the_procedure")


def _registered_document_visible(user, document=None) -> bool:
    """A document of any registered kind is seen by those its kind's need-to-know selector lets
    see it (``workflow.registry``: plans, cycles, assessments); read once per request."""
    if not is_staff_member(user):
        return False
    if document is None or was_read_as_visible(document, user):
        return True
    from runtime.request_memo import request_memo

    from .registry import document_visible

    return request_memo(("document_visible", user.pk, document._meta.label, document.pk),
                        lambda: document_visible(user, document))


registered_document_visible = Predicate(_registered_document_visible, name="registered_document_visible")


def _tasker_document_visible(user, tasker: Tasker | None = None) -> bool:
    """A tasker is seen by those who may see its document (need-to-know and markings)."""
    return _registered_document_visible(user, tasker.document if tasker is not None else None)


tasker_document_visible = Predicate(_tasker_document_visible, name="tasker_document_visible")


def register() -> None:
    declare(Route, view=is_staff_member, add=owns_procedure, change=owns_procedure, delete=never)
    declare(Tasker, view=tasker_document_visible)
    declare(HistoryEntry, view=is_system_administrator | is_auditor)
    declare(Closure, view=is_staff_member, add=is_system_administrator, change=is_system_administrator,
            delete=is_system_administrator)
