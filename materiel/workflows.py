"""How a materiel diversion request moves, in one table: from which state to which, who may move
it, when (conditions: ``materiel.services``, each answering in the users' words) and what
happens then (the effect, ``materiel.services``). Installed at start-up (``materiel.apps``).
Who takes part in each step is the route (data: ``materiel.reference``), each step citing the
directive's paragraph.

    draft → consultation (DSCA, 1.g) → decision (USD(P), 1.g) → approved | disapproved
                       ↘ priorities (the Chairman recommends, when DSCA cannot resolve
                                     competing partner needs, 9.g) → decision
    consultation, priorities, decision → returned → (resubmitted) consultation
    any open state → withdrawn
"""

from __future__ import annotations

from organizations.models import Role
from workflow.models import Step
from workflow.rules import OwnerRole, TaskedRole, Transition, Workflow

from . import services
from .models import DiversionState, MaterielDiversionRequest

S = DiversionState
REQUESTERS = [OwnerRole(roles=(Role.ACTION_OFFICER, Role.APPROVER), description="the requesting office")]
DSCA = TaskedRole(roles=(Role.APPROVER,), step=Step.CONSULTATION, description="the security cooperation agency (DSCA)")
CHAIRMAN = TaskedRole(roles=(Role.APPROVER,), step=Step.REVIEW, description="the Chairman's office (Joint Staff)")
USD_P = TaskedRole(roles=(Role.APPROVER,), step=Step.APPROVAL, description="USD(P)")

MATERIEL_WORKFLOW = Workflow(
    models=(MaterielDiversionRequest,),
    answering_steps={},
    transitions=(
        Transition(
            "submit", source=[S.DRAFT, S.RETURNED], target=S.CONSULTATION, label="Submit to DSCA",
            actors=[OwnerRole(roles=(Role.ACTION_OFFICER,), description="the requesting office")],
            conditions=[services.content_complete], effect=services.request_submit,
        ),
        Transition(
            "advise", source=S.CONSULTATION, target=S.DECISION, label="Send DSCA's advice to USD(P)",
            actors=[DSCA], effect=services.request_advise, comment_required=True, comment_label="DSCA advice",
            confirm="USD(P) is tasked to decide, with DSCA's advice.",
        ),
        Transition(
            "refer_competing_needs", source=S.CONSULTATION, target=S.PRIORITIES,
            label="Refer competing partner needs to the Chairman", actors=[DSCA],
            effect=services.request_refer_competing_needs, comment_required=True,
            comment_label="Competing partner needs DSCA cannot resolve",
            confirm="The Chairman's office is tasked to recommend priorities before USD(P) decides.",
        ),
        Transition(
            "recommend_priorities", source=S.PRIORITIES, target=S.DECISION, label="Recommend priorities",
            actors=[CHAIRMAN], effect=services.request_recommend_priorities, comment_required=True,
            comment_label="Recommended priorities",
        ),
        Transition(
            "approve", source=S.DECISION, target=S.APPROVED, label="Approve the diversion", actors=[USD_P],
            effect=services.request_approve, comment_label="Decision note",
            confirm="Approval authorizes the diversion to the partner.",
        ),
        Transition(
            "disapprove", source=S.DECISION, target=S.DISAPPROVED, label="Disapprove", actors=[USD_P],
            effect=services.request_disapprove, destructive=True, comment_required=True,
            comment_label="Reason for disapproval",
        ),
        Transition(
            "return_for_rework", source=[S.CONSULTATION, S.PRIORITIES, S.DECISION], target=S.RETURNED,
            label="Return for rework",
            actors=[TaskedRole(roles=(Role.REVIEWER, Role.APPROVER), step=Step.CONSULTATION,
                               description="the security cooperation agency (DSCA)"),
                    TaskedRole(roles=(Role.REVIEWER, Role.APPROVER), step=Step.REVIEW,
                               description="the Chairman's office (Joint Staff)"),
                    TaskedRole(roles=(Role.REVIEWER, Role.APPROVER), step=Step.APPROVAL, description="USD(P)")],
            effect=services.request_return, destructive=True, comment_required=True, comment_label="Reason for return",
        ),
        Transition(
            "withdraw", source=[S.DRAFT, S.CONSULTATION, S.PRIORITIES, S.DECISION, S.RETURNED], target=S.WITHDRAWN,
            label="Withdraw", actors=REQUESTERS, effect=services.request_withdraw, destructive=True,
            comment_required=True, comment_label="Reason for withdrawal",
            confirm="Withdrawal ends this request and closes its open taskers.",
        ),
    ),
)
