"""Who may open, add and change SCOs, their manning and manpower change requests
(``organizations.authority``).

- SCOs are reference data: everyone who works here reads them; they come from the reference file
  or an approved request to establish one (``services.sco_register``); system administrators
  correct their titles and sources.
- Authorized manning is read by those who may read the SCO's manning (``selectors.scos_visible_to``:
  the SCO, its command, DSCA, the Joint Staff, USD(P&R), DIA) and written by no one by hand: only
  an approved request changes it (``services.manning_apply``).
- A request is added by an action officer of an SCO or a geographic combatant command, changed by
  the action officers and approvers of its owner or supervising command while a draft or returned
  (``services.request_assert_editable``, the services' rule too), deleted by no one (withdrawn).
  Seeing one is need-to-know (``selectors.requests_visible_to``); its billets follow it.
"""

from __future__ import annotations

from rules import Predicate

from organizations.authority import acting_in, declare, is_staff_member, is_system_administrator, never
from organizations.models import Role
from workflow.permissions import registered_document_visible

from .models import ManningAuthorization, ManpowerChangeRequest, SecurityCooperationOrganization

request_addable = acting_in(Role.ACTION_OFFICER, kinds=ManpowerChangeRequest.owner_kinds)


def _request_editable(user, request: ManpowerChangeRequest | None = None) -> bool:
    if request is None:
        return bool(request_addable(user) or acting_in(Role.APPROVER, kinds=ManpowerChangeRequest.owner_kinds)(user))
    from workflow.exceptions import WorkflowError

    from .services import request_assert_editable

    try:
        request_assert_editable(request=request, by=user)
    except WorkflowError:
        return False
    return True


def _manning_readable(user, row: ManningAuthorization | None = None) -> bool:
    from .selectors import scos_visible_to

    if not is_staff_member(user):
        return False
    if row is None:
        return True
    return scos_visible_to(user).filter(pk=row.sco_id).exists()


def register() -> None:
    declare(SecurityCooperationOrganization, view=is_staff_member, add=never, change=is_system_administrator,
            delete=never)
    declare(ManningAuthorization, view=Predicate(_manning_readable, name="manning_readable"), add=never,
            change=never, delete=never)
    declare(ManpowerChangeRequest, view=registered_document_visible, add=request_addable,
            change=Predicate(_request_editable, name="manpower_request_editable"), delete=never)
