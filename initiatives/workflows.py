"""How an initiative's design and an initiative's evaluation move, in two tables: from which
state to which, who may move them, when (conditions: ``initiatives.services``, each answering in
the users' words) and what happens then (the effect, ``initiatives.services``). Installed at
start-up (``initiatives.apps``). The route (data: ``initiatives.reference``) gives each step's
suspense and the office it names, citing the directive and DoDI 5132.14.

What an AM&E office routes, and why these two:

- The **initiative design** (its initial assessment, theory of change and monitoring plan) is
  what commits a program's money to a campaign objective: the owning command's planners write
  it, the commander (the command's approver) concurs, and the office that administers the
  program (DSCA, Encl. 2, 2) approves it, or returns it. Once approved it is monitored: a
  monitoring entry falls due every period (a completion tasker to the owning command, with the
  outbox's reminders) until the command closes the initiative.

      draft → concurrence (the command's approver) → approval (the program's administering office) → approved → closed
      concurrence → returned (non-concurrence);  approval → returned;  returned → (resubmitted) concurrence
      draft, concurrence, approval, returned → withdrawn

- An **evaluation** is an independent judgement of an approved initiative: DSCA's evaluators
  write it, the command that owns the initiative coordinates (its concurrence or non-concurrence
  with the findings), and USD(P), who conducts program assessments (Encl. 2, 1.k), approves it;
  only then do program assessments read its findings.

      draft → coordination (the initiative's command) → approval (USD(P)) → approved
      coordination, approval → returned → (resubmitted) coordination;  any open state → withdrawn

Monitoring entries and indicators are not routed: they are the owner's records, written through
``services.monitoring_record`` and ``services.initiative_write``.
"""

from __future__ import annotations

from organizations.models import Role
from workflow.models import Step
from workflow.rules import OwnerRole, TaskedRole, Transition, Workflow

from . import services
from .models import EvaluationState, Initiative, InitiativeEvaluation, InitiativeState

ANSWER_ROLES = (Role.REVIEWER, Role.APPROVER)
PLANNERS = OwnerRole(roles=(Role.ACTION_OFFICER,), description="the owning command's planners")
COMMANDER = OwnerRole(roles=(Role.APPROVER,), description="the owning command (its approver)")
OWNERS = OwnerRole(roles=(Role.ACTION_OFFICER, Role.APPROVER), description="the owning command")
ADMINISTERING_OFFICE = TaskedRole(roles=(Role.APPROVER,), step=Step.APPROVAL,
                                  description="the office that administers the program (DSCA)")

INITIATIVE_WORKFLOW = Workflow(
    models=(Initiative,),
    answering_steps={InitiativeState.APPROVED: Step.COMPLETION},
    transitions=(
        Transition(
            "submit", source=[InitiativeState.DRAFT, InitiativeState.RETURNED], target=InitiativeState.CONCURRENCE,
            label="Submit for the command's concurrence", actors=[PLANNERS],
            conditions=[services.design_complete, services.program_administered],
            effect=services.initiative_submit,
        ),
        Transition(
            "concur", source=InitiativeState.CONCURRENCE, target=InitiativeState.APPROVAL,
            label="Concur and send to the administering office", actors=[COMMANDER],
            conditions=[services.program_administered], effect=services.initiative_concur,
            comment_label="Concurrence",
            confirm="The design goes to the office that administers the program for approval.",
        ),
        Transition(
            "nonconcur", source=InitiativeState.CONCURRENCE, target=InitiativeState.RETURNED,
            label="Non-concur and return", actors=[COMMANDER], effect=services.initiative_return,
            destructive=True, comment_required=True, comment_label="Reason for non-concurrence",
        ),
        Transition(
            "approve", source=InitiativeState.APPROVAL, target=InitiativeState.APPROVED, label="Approve the design",
            actors=[ADMINISTERING_OFFICE], conditions=[services.design_complete],
            effect=services.initiative_approve, comment_label="Decision note",
            confirm="Approval starts the monitoring plan: the first monitoring entries fall due.",
        ),
        Transition(
            "return_for_rework", source=InitiativeState.APPROVAL, target=InitiativeState.RETURNED,
            label="Return for rework",
            actors=[TaskedRole(roles=ANSWER_ROLES, step=Step.APPROVAL,
                               description="the office that administers the program")],
            effect=services.initiative_return, destructive=True, comment_required=True,
            comment_label="Reason for return",
        ),
        Transition(
            "withdraw",
            source=[InitiativeState.DRAFT, InitiativeState.CONCURRENCE, InitiativeState.APPROVAL,
                    InitiativeState.RETURNED],
            target=InitiativeState.WITHDRAWN, label="Withdraw", actors=[OWNERS],
            effect=services.initiative_withdraw, destructive=True, comment_required=True,
            comment_label="Reason for withdrawal", confirm="Withdrawal ends this initiative and closes its open taskers.",
        ),
        Transition(
            "close", source=InitiativeState.APPROVED, target=InitiativeState.CLOSED, label="Close the initiative",
            actors=[COMMANDER], effect=services.initiative_close, destructive=True, comment_required=True,
            comment_label="Why it closes", confirm="Closing ends the monitoring: no further entries fall due.",
        ),
    ),
)

EVALUATORS = OwnerRole(roles=(Role.ACTION_OFFICER,), description="the evaluating office (DSCA)")
EVALUATION_OWNERS = OwnerRole(roles=(Role.ACTION_OFFICER, Role.APPROVER), description="the evaluating office (DSCA)")

EVALUATION_WORKFLOW = Workflow(
    models=(InitiativeEvaluation,),
    answering_steps={EvaluationState.COORDINATION: Step.CONSULTATION},
    transitions=(
        Transition(
            "submit", source=[EvaluationState.DRAFT, EvaluationState.RETURNED], target=EvaluationState.COORDINATION,
            label="Send to the command for coordination", actors=[EVALUATORS],
            conditions=[services.evaluation_complete], effect=services.evaluation_submit,
        ),
        Transition(
            "send_for_approval", source=EvaluationState.COORDINATION, target=EvaluationState.APPROVAL,
            label="Send to USD(P) for approval", actors=[EVALUATION_OWNERS],
            conditions=[services.evaluation_coordinated], effect=services.evaluation_send_for_approval,
        ),
        Transition(
            "approve", source=EvaluationState.APPROVAL, target=EvaluationState.APPROVED, label="Approve",
            actors=[TaskedRole(roles=(Role.APPROVER,), step=Step.APPROVAL, description="USD(P)")],
            effect=services.evaluation_approve, comment_label="Decision note",
            confirm="Approved findings are read by the program assessments of the annual cycle.",
        ),
        Transition(
            "return_for_rework", source=[EvaluationState.COORDINATION, EvaluationState.APPROVAL],
            target=EvaluationState.RETURNED, label="Return for rework",
            actors=[TaskedRole(roles=ANSWER_ROLES, step=Step.CONSULTATION, description="the initiative's command"),
                    TaskedRole(roles=ANSWER_ROLES, step=Step.APPROVAL, description="USD(P)")],
            effect=services.evaluation_return, destructive=True, comment_required=True,
            comment_label="Reason for return",
        ),
        Transition(
            "withdraw",
            source=[EvaluationState.DRAFT, EvaluationState.COORDINATION, EvaluationState.APPROVAL,
                    EvaluationState.RETURNED],
            target=EvaluationState.WITHDRAWN, label="Withdraw", actors=[EVALUATION_OWNERS],
            effect=services.evaluation_withdraw, destructive=True, comment_required=True,
            comment_label="Reason for withdrawal",
        ),
    ),
)
