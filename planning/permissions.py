"""Who may open, add and change GEF guidance and plans (``organizations.authority``).

- GEF guidance and its end states are the policy office's (USD(P)): its action officers and
  approvers write them; everyone who works here reads them.
- A plan is added by an action officer of an organization that may own that kind (a combatant
  command for a campaign plan, a component for a support plan), and its content is changed by
  the owning organization's action officers and approvers while it is a draft, by no one after
  (``services.plan_assert_editable``, the one rule the services apply too). No one deletes a plan:
  a draft is withdrawn, a version superseded.
- Seeing a plan is need-to-know (``selectors.plans_visible_to``); its sections, objectives and
  partners are part of it (the admin's inlines follow the plan).
"""

from __future__ import annotations

from rules import Predicate

from organizations.authority import (
    acting_for_designation,
    acting_in,
    declare,
    is_staff_member,
    never,
)
from organizations.models import Designation, Role
from workflow.permissions import registered_document_visible

from .models import CampaignPlan, CampaignSupportPlan, GEFEndState, GEFGuidance, PlanDocument

policy_office = acting_for_designation(Designation.POLICY_OFFICE, roles=(Role.ACTION_OFFICER, Role.APPROVER))


def plan_addable(model) -> Predicate:
    return acting_in(Role.ACTION_OFFICER, kinds=model.owner_kinds)


def plan_editable(model) -> Predicate:
    addable = plan_addable(model)

    def check(user, plan: PlanDocument | None = None) -> bool:
        if plan is None:
            return addable(user) or bool(acting_in(Role.APPROVER, kinds=model.owner_kinds)(user))
        from workflow.exceptions import WorkflowError

        from .services import plan_assert_editable

        try:
            plan_assert_editable(plan=plan, by=user)
        except WorkflowError:
            return False
        return True

    return Predicate(check, name=f"plan_editable({model.__name__})")


def register() -> None:
    for model in (GEFGuidance, GEFEndState):
        declare(model, view=is_staff_member, add=policy_office, change=policy_office, delete=policy_office)
    for model in (CampaignPlan, CampaignSupportPlan):
        declare(model, view=registered_document_visible, add=plan_addable(model), change=plan_editable(model),
                delete=never)
