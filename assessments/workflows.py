"""How the assessment cycle's documents move, one table per kind: from which state to which,
who may move them (actors), when (conditions: ``assessments.conditions``, each answering in the
users' words) and what happens then (the effect: ``assessments.services``, called by the engine).
Installed at start-up (``assessments.apps``).

    cycle:      setup → template → launched → collection → joint review → evaluation → closed
    template:   draft ⇄ consultation → approved
    assessment: assigned → in progress → submitted → accepted → evaluated, returned → in progress
"""

from __future__ import annotations

from organizations.models import Role
from runtime.task_queue import enqueue_on_commit
from workflow.models import Step
from workflow.rules import OwnerRole, Transition, TransitionContext, Workflow

from . import conditions, services, tasks
from .models import (
    ANSWER_ROLES,
    REVIEW_ROLES,
    Assessment,
    AssessmentCycle,
    AssessmentState,
    CycleState,
    ProgramAssessment,
    Template,
    TemplateState,
)
from .rules import CycleAdministrator, DocumentOrganizationRole


def cycle_launch_start(cycle: AssessmentCycle, context: TransitionContext) -> None:
    """Freeze the template and count the assessments (``cycle_enter_launch``), then start the
    launch task once this transaction commits (``synchronous``: the caller runs
    ``cycle_launch`` itself, e.g. the demo loader)."""
    services.cycle_enter_launch(cycle, context)
    if not context.data.get("synchronous"):
        enqueue_on_commit(tasks.cycle_launch, cycle.pk, getattr(context.by, "pk", None))


# --- the cycle -----------------------------------------------------------------------------

JOINT_STAFF_APPROVER = DocumentOrganizationRole(roles=(Role.APPROVER,), attribute="owner", description="the Joint Staff")
USDP_APPROVER = DocumentOrganizationRole(roles=(Role.APPROVER,), attribute="policy_office", description="USD(P)")

CYCLE_WORKFLOW = Workflow(
    models=(AssessmentCycle,),
    transitions=(
        Transition("start_template", source=CycleState.SETUP, target=CycleState.TEMPLATE,
                   label="Start the template", actors=[CycleAdministrator()],
                   conditions=[conditions.suspenses_in_future], notice="template_phase"),
        Transition("launch", source=CycleState.TEMPLATE, target=CycleState.LAUNCHED, label="Launch",
                   actors=[CycleAdministrator()], conditions=[conditions.template_approved],
                   effect=cycle_launch_start, notice="cycle_phase"),  # the admin's confirmation page says what it will do
        Transition("open_collection", source=CycleState.LAUNCHED, target=CycleState.COLLECTION,
                   label="Open collection", actors=[CycleAdministrator()],
                   conditions=[conditions.launch_finished], notice="cycle_phase"),
        Transition("start_joint_review", source=CycleState.COLLECTION, target=CycleState.JOINT_REVIEW,
                   label="Start the joint review", actors=[CycleAdministrator()],
                   effect=services.cycle_enter_joint_review, notice="cycle_phase", fields=("outstanding_confirmed",)),
        Transition("forward_to_evaluation", source=CycleState.JOINT_REVIEW, target=CycleState.EVALUATION,
                   label="Forward the joint review to USD(P)", actors=[JOINT_STAFF_APPROVER],
                   conditions=[conditions.no_assessment_awaiting_review],
                   effect=services.cycle_enter_evaluation, notice="cycle_phase",
                   comment_required=True, comment_label="Consolidated joint review"),
        Transition("close", source=CycleState.EVALUATION, target=CycleState.CLOSED,
                   label="Close with advice to the Secretary", actors=[USDP_APPROVER],
                   conditions=[conditions.accepted_assessments_evaluated],
                   effect=services.cycle_enter_closed, notice="cycle_phase",
                   comment_required=True, comment_label="Evaluation and advice to the Secretary",
                   confirm="Closing ends the cycle and freezes its report as it stands today; unanswered "
                           "assessments are recorded as missing."),
    ),
)

# --- the template --------------------------------------------------------------------------

TEMPLATE_WORKFLOW = Workflow(
    models=(Template,),
    answering_steps={TemplateState.CONSULTATION: Step.CONSULTATION},
    transitions=(
        Transition("consult", source=TemplateState.DRAFT, target=TemplateState.CONSULTATION,
                   label="Consult USD(P)", actors=[OwnerRole(roles=ANSWER_ROLES)],
                   conditions=[conditions.template_has_questions, conditions.template_not_frozen],
                   effect=services.template_enter_consultation, notice="template_phase"),
        Transition("revise", source=TemplateState.CONSULTATION, target=TemplateState.DRAFT,
                   label="Revise", actors=[OwnerRole(roles=ANSWER_ROLES)],
                   effect=services.template_revise, notice="template_phase",
                   comment_required=True, comment_label="What will change"),
        Transition("approve", source=TemplateState.CONSULTATION, target=TemplateState.APPROVED,
                   label="Approve the template",
                   actors=[OwnerRole(roles=(Role.APPROVER,), description="the Joint Staff")],
                   conditions=[conditions.consultation_answered],
                   effect=services.template_approve, notice="template_phase"),
    ),
)

# --- plan and program assessments ----------------------------------------------------------

REVIEWING_ORGANIZATION = DocumentOrganizationRole(roles=REVIEW_ROLES, attribute="reviewing_organization",
                                                  description="the reviewing organization")

ASSESSMENT_WORKFLOW = Workflow(
    models=(Assessment, ProgramAssessment),
    answering_steps={AssessmentState.ASSIGNED: Step.COMPLETION, AssessmentState.IN_PROGRESS: Step.COMPLETION},
    transitions=(
        Transition("start", source=AssessmentState.ASSIGNED, target=AssessmentState.IN_PROGRESS,
                   label="Start", actors=[OwnerRole(roles=ANSWER_ROLES)],
                   conditions=[conditions.cycle_collecting]),
        Transition("submit", source=AssessmentState.IN_PROGRESS, target=AssessmentState.SUBMITTED,
                   label="Submit", actors=[OwnerRole(roles=ANSWER_ROLES)],
                   conditions=[conditions.cycle_collecting, conditions.answers_complete],
                   effect=services.assessment_enter_submitted,
                   # J5 (or PA&E), who accept or return it, hear of it at once.
                   notice="assessment_submitted", notice_to="next"),
        Transition("return_for_rework", source=AssessmentState.SUBMITTED, target=AssessmentState.RETURNED,
                   label="Return for rework", actors=[REVIEWING_ORGANIZATION],
                   conditions=[conditions.cycle_reviewing],
                   effect=services.assessment_enter_returned, notice="assessment_decided", destructive=True,
                   comment_required=True, comment_label="Reason for return"),
        Transition("resume", source=AssessmentState.RETURNED, target=AssessmentState.IN_PROGRESS,
                   label="Resume work", actors=[OwnerRole(roles=ANSWER_ROLES)]),
        Transition("accept", source=AssessmentState.SUBMITTED, target=AssessmentState.ACCEPTED,
                   label="Accept", actors=[REVIEWING_ORGANIZATION],
                   conditions=[conditions.cycle_reviewing],
                   effect=services.assessment_accept, notice="assessment_decided"),
        Transition("evaluate", source=AssessmentState.ACCEPTED, target=AssessmentState.EVALUATED,
                   label="Evaluate",
                   actors=[DocumentOrganizationRole(roles=REVIEW_ROLES, attribute="evaluating_organization",
                                                    description="USD(P)")],
                   conditions=[conditions.cycle_evaluating], comment_label="Evaluation note",
                   effect=services.assessment_evaluate),
    ),
)

WORKFLOWS = (CYCLE_WORKFLOW, TEMPLATE_WORKFLOW, ASSESSMENT_WORKFLOW)
