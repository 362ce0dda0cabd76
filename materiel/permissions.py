"""Who may open, add and change materiel diversion requests (``organizations.authority``).

A request is added by an action officer of a combatant command or a Military Department,
changed by the action officers and approvers of its requesting office while a draft or returned
(``services.request_assert_editable``, the services' rule too), deleted by no one (withdrawn).
Seeing one is need-to-know (``selectors.requests_visible_to``). The FADs are
``organizations``' (the Chairman's office assigns them)."""

from __future__ import annotations

from rules import Predicate

from organizations.authority import acting_in, declare, never
from organizations.models import Role
from workflow.permissions import registered_document_visible

from .models import MaterielDiversionRequest

request_addable = acting_in(Role.ACTION_OFFICER, kinds=MaterielDiversionRequest.owner_kinds)


def _request_editable(user, request: MaterielDiversionRequest | None = None) -> bool:
    if request is None:
        return bool(request_addable(user) or acting_in(Role.APPROVER, kinds=MaterielDiversionRequest.owner_kinds)(user))
    from workflow.exceptions import WorkflowError

    from .services import request_assert_editable

    try:
        request_assert_editable(request=request, by=user)
    except WorkflowError:
        return False
    return True


def register() -> None:
    declare(MaterielDiversionRequest, view=registered_document_visible, add=request_addable,
            change=Predicate(_request_editable, name="materiel_request_editable"), delete=never)
