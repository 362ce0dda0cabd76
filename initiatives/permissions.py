"""Who may open, add and change initiatives, their indicators and monitoring entries, and their
evaluations (``organizations.authority``).

- An initiative is added by an action officer of a combatant command (under an objective of its
  own campaign plan: ``services.initiative_write``), changed by its owner's action officers and
  approvers while a draft or returned, deleted by no one (withdrawn or closed). Seeing one is
  need-to-know like its plan (``selectors.initiatives_visible_to``); its indicators follow it.
- Monitoring entries are written only through ``services.monitoring_record`` (the initiative's
  page and the API), never in a form, and never changed or deleted.
- An evaluation is added by an action officer of a Defense Agency that administers a program
  (``services.evaluation_write``), changed by its owner while a draft or returned.
"""

from __future__ import annotations

from rules import Predicate

from organizations.authority import acting_in, declare, never
from organizations.models import Role
from workflow.permissions import registered_document_visible

from .models import Initiative, InitiativeEvaluation, MonitoringEntry

initiative_addable = acting_in(Role.ACTION_OFFICER, kinds=Initiative.owner_kinds)
evaluation_addable = acting_in(Role.ACTION_OFFICER, kinds=InitiativeEvaluation.owner_kinds)


def _editable(assert_editable, addable_kinds):
    def check(user, document=None) -> bool:
        if document is None:
            return bool(acting_in(Role.ACTION_OFFICER, kinds=addable_kinds)(user)
                        or acting_in(Role.APPROVER, kinds=addable_kinds)(user))
        from workflow.exceptions import WorkflowError

        try:
            assert_editable(document, user)
        except WorkflowError:
            return False
        return True
    return check


def _initiative_editable(user, document=None) -> bool:
    from .services import initiative_assert_editable

    return _editable(lambda d, u: initiative_assert_editable(initiative=d, by=u), Initiative.owner_kinds)(user, document)


def _evaluation_editable(user, document=None) -> bool:
    from .services import evaluation_assert_editable

    return _editable(lambda d, u: evaluation_assert_editable(evaluation=d, by=u),
                     InitiativeEvaluation.owner_kinds)(user, document)


def _entry_readable(user, entry: MonitoringEntry | None = None) -> bool:
    from .selectors import initiatives_visible_to

    if entry is None:
        return initiatives_visible_to(user).exists()
    return initiatives_visible_to(user).filter(pk=entry.indicator.initiative_id).exists()


def register() -> None:
    declare(Initiative, view=registered_document_visible, add=initiative_addable,
            change=Predicate(_initiative_editable, name="initiative_editable"), delete=never)
    declare(InitiativeEvaluation, view=registered_document_visible, add=evaluation_addable,
            change=Predicate(_evaluation_editable, name="evaluation_editable"), delete=never)
    declare(MonitoringEntry, view=Predicate(_entry_readable, name="monitoring_entry_readable"), add=never,
            change=never, delete=never)
