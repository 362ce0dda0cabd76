"""How an SCO manpower change request moves, in one table: from which state to which, who may
move it, when (conditions: ``manpower.services``, each answering in the users' words) and what
happens then (the effect, ``manpower.services``). Installed at start-up (``manpower.apps``).
Who takes part in each step is the route (data: ``manpower.reference``), each step citing the
directive's paragraph.

    draft → endorsement (the supervising command, 10.e)
          → coordination (USD(P&R)'s input, 6.a; the Joint Staff, 2.f)
          → approval (DSCA, 2.f) → approved
                     ↘ joint approval (DIA, for the SDO/DATT's grade or affiliation, 2.f) → approved
    endorsement, coordination, approval, joint approval → returned → (resubmitted) endorsement
    approval, joint approval → disapproved;   any open state → withdrawn
"""

from __future__ import annotations

from organizations.models import Role
from workflow.models import Step
from workflow.rules import OwnerRole, RouteRole, TaskedRole, Transition, Workflow

from . import services
from .models import ManpowerChangeRequest, RequestState
from .rules import SupervisingCommandRole

REQUESTER_ROLES = (Role.ACTION_OFFICER, Role.APPROVER)
ANSWER_ROLES = (Role.REVIEWER, Role.APPROVER)
REQUESTERS = [OwnerRole(roles=REQUESTER_ROLES, description="the requesting SCO"),
              SupervisingCommandRole(roles=REQUESTER_ROLES)]
DSCA = TaskedRole(roles=(Role.APPROVER,), step=Step.APPROVAL, description="the security cooperation agency (DSCA)")
DIA = TaskedRole(roles=(Role.APPROVER,), step=Step.APPROVAL, description="the Defense Intelligence Agency")

MANPOWER_WORKFLOW = Workflow(
    models=(ManpowerChangeRequest,),
    answering_steps={RequestState.COORDINATION: Step.CONSULTATION},
    transitions=(
        Transition(
            "submit", source=[RequestState.DRAFT, RequestState.RETURNED], target=RequestState.ENDORSEMENT,
            label="Submit to the supervising command",
            actors=[OwnerRole(roles=(Role.ACTION_OFFICER,), description="the requesting SCO"),
                    SupervisingCommandRole(roles=(Role.ACTION_OFFICER,))],
            conditions=[services.content_complete, services.supervision_current],
            effect=services.request_submit,
        ),
        Transition(
            "endorse", source=RequestState.ENDORSEMENT, target=RequestState.COORDINATION, label="Endorse",
            actors=[RouteRole(roles=(Role.APPROVER,), step=Step.COORDINATION,
                              description="the supervising combatant command")],
            effect=services.request_endorse, comment_label="Endorsement",
            confirm="The request goes to USD(P&R) for input and to the Joint Staff for coordination.",
        ),
        Transition(
            "send_for_approval", source=RequestState.COORDINATION, target=RequestState.APPROVAL,
            label="Send to DSCA for approval", actors=REQUESTERS,
            conditions=[services.consultation_answered], effect=services.request_send_for_approval,
        ),
        Transition(
            "approve", source=RequestState.APPROVAL, target=RequestState.APPROVED, label="Approve",
            actors=[DSCA], conditions=[services.not_joint, services.manning_still_fits], effect=services.request_approve,
            comment_label="Decision note",
            confirm="Approval changes the SCO's authorized manning from the effective date.",
        ),
        Transition(
            "send_to_dia", source=RequestState.APPROVAL, target=RequestState.JOINT_APPROVAL,
            label="Approve and send to DIA", actors=[DSCA], conditions=[services.joint],
            effect=services.request_send_to_dia, comment_label="Decision note",
        ),
        Transition(
            "approve_jointly", source=RequestState.JOINT_APPROVAL, target=RequestState.APPROVED,
            label="Approve jointly with DSCA", actors=[DIA], conditions=[services.manning_still_fits],
            effect=services.request_approve,
            comment_label="Decision note",
            confirm="Approval changes the SCO's authorized manning from the effective date.",
        ),
        Transition(
            "disapprove", source=[RequestState.APPROVAL, RequestState.JOINT_APPROVAL],
            target=RequestState.DISAPPROVED, label="Disapprove", actors=[DSCA, DIA],
            effect=services.request_disapprove, destructive=True, comment_required=True, comment_label="Reason for disapproval",
        ),
        Transition(
            "return_for_rework",
            source=[RequestState.ENDORSEMENT, RequestState.COORDINATION, RequestState.APPROVAL,
                    RequestState.JOINT_APPROVAL],
            target=RequestState.RETURNED, label="Return for rework",
            actors=[TaskedRole(roles=ANSWER_ROLES, step=Step.COORDINATION,
                               description="the supervising combatant command"),
                    TaskedRole(roles=ANSWER_ROLES, step=Step.CONSULTATION,
                               description="an organization giving input or coordinating"),
                    TaskedRole(roles=ANSWER_ROLES, step=Step.APPROVAL, description="the approving office")],
            effect=services.request_return, destructive=True, comment_required=True, comment_label="Reason for return",
        ),
        Transition(
            "withdraw",
            source=[RequestState.DRAFT, RequestState.ENDORSEMENT, RequestState.COORDINATION, RequestState.APPROVAL,
                    RequestState.JOINT_APPROVAL, RequestState.RETURNED],
            target=RequestState.WITHDRAWN, label="Withdraw", actors=REQUESTERS,
            effect=services.request_withdraw, destructive=True, comment_required=True, comment_label="Reason for withdrawal",
            confirm="Withdrawal ends this request and closes its open taskers.",
        ),
    ),
)
