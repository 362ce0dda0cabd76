"""How a proposal moves, in one table, as planning/workflows.py declares the plans':

    draft → coordination → approval → approved → archived (the system's step)
                 ↘ returned ↙
"""

from __future__ import annotations

from organizations.models import Role
from workflow.models import Step
from workflow.rules import OwnerRole, RouteRole, Transition, Workflow

from . import services
from .models import Proposal, ProposalState

PROPOSAL_WORKFLOW = Workflow(
    models=(Proposal,),
    answering_steps={ProposalState.COORDINATION: Step.COORDINATION, ProposalState.APPROVAL: Step.APPROVAL},
    transitions=(
        Transition("submit", source=ProposalState.DRAFT, target=ProposalState.COORDINATION, label="Submit",
                   actors=[OwnerRole(roles=(Role.ACTION_OFFICER,))], effect=services.proposal_submit),
        Transition("send_for_approval", source=ProposalState.COORDINATION, target=ProposalState.APPROVAL,
                   label="Send for approval", actors=[OwnerRole(roles=(Role.ACTION_OFFICER,))],
                   conditions=[services.coordination_answered], effect=services.proposal_send_for_approval),
        Transition("approve", source=ProposalState.APPROVAL, target=ProposalState.APPROVED, label="Approve",
                   actors=[RouteRole(roles=(Role.APPROVER,), step=Step.APPROVAL)], effect=services.proposal_approve),
        Transition("send_back", source=[ProposalState.COORDINATION, ProposalState.APPROVAL],
                   target=ProposalState.RETURNED, label="Return",
                   actors=[OwnerRole(roles=(Role.ACTION_OFFICER, Role.APPROVER))], effect=services.proposal_return,
                   destructive=True,
                   comment_required=True, comment_label="Reason for return"),
        # Made by the engine (on behalf of the person whose action caused it), never by a person.
        Transition("archive", source=ProposalState.APPROVED, target=ProposalState.ARCHIVED, label="Archive",
                   system_only=True),
    ),
)
