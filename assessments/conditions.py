"""Conditions of the assessment cycle's transitions: each returns the reasons (in the users'
words) why the transition cannot happen now; an empty list means it may."""

from __future__ import annotations

from django.utils import timezone

from organizations.selectors import with_organization_labels
from workflow.models import OPEN_TASKER_STATES, Response, Step, TaskerState
from workflow.selectors import document_taskers
from workflow.services import state_label

from .models import AssessmentState, CycleState, Question, TemplateState
from .selectors import answers_missing


def suspenses_in_future(cycle) -> list[str]:
    if cycle.template_suspense and cycle.template_suspense < timezone.localdate():
        return ["The template suspense is in the past; set the phase suspenses again."]
    return []


def template_approved(cycle) -> list[str]:
    if not cycle.templates.filter(state=TemplateState.APPROVED).exists():
        return ["The Joint Staff has not approved a template yet (after consulting USD(P))."]
    return []


def launch_finished(cycle) -> list[str]:
    if cycle.launch_finished_at is None:
        return [f"The launch is still running ({cycle.launch_done} of {cycle.launch_total} assessments created)."]
    return []


def no_assessment_awaiting_review(cycle) -> list[str]:
    waiting = (cycle.assessment_set.filter(state=AssessmentState.SUBMITTED).count()
               + cycle.programassessment_set.filter(state=AssessmentState.SUBMITTED).count())
    if waiting:
        return [f"{waiting} submitted assessment{'s' if waiting != 1 else ''} still await{'' if waiting != 1 else 's'} "
                "acceptance or return."]
    return []


def accepted_assessments_evaluated(cycle) -> list[str]:
    pending = (cycle.assessment_set.filter(state=AssessmentState.ACCEPTED).count()
               + cycle.programassessment_set.filter(state=AssessmentState.ACCEPTED).count())
    if pending:
        return [f"{pending} accepted assessment{'s' if pending != 1 else ''} not evaluated yet."]
    return []


def template_has_questions(template) -> list[str]:
    if not Question.objects.filter(section__template=template).exists():
        return ["The template has no questions yet."]
    return []


def template_not_frozen(template) -> list[str]:
    return ["The template is frozen: its cycle has launched."] if template.frozen else []


def consultation_answered(template) -> list[str]:
    # The latest consultation of each organization counts: a non-concur answered before the
    # template was revised and consulted again is history, not a block.
    latest = {}
    for tasker in document_taskers(template, step=Step.CONSULTATION):
        if tasker.state != TaskerState.CANCELLED:
            latest[tasker.organization_id] = tasker
    taskers = list(latest.values())
    reasons = []
    if not taskers:
        reasons.append("USD(P) has not been consulted.")
    named = [t for t in taskers if t.state in OPEN_TASKER_STATES or t.response == Response.NONCONCUR]
    labels = with_organization_labels(named) if named else {}  # today's names, the directive's beside them
    for tasker in named:
        office = labels.get(tasker.organization_id, str(tasker.organization))
        if tasker.state in OPEN_TASKER_STATES:
            reasons.append(f"{office} has not answered the consultation yet.")
        else:
            reasons.append(f"{office} non-concurred: revise the template and consult again.")
    return reasons


def cycle_collecting(assessment) -> list[str]:
    if assessment.cycle.state not in (CycleState.LAUNCHED, CycleState.COLLECTION, CycleState.JOINT_REVIEW):
        return [f"The {assessment.cycle} is not collecting assessments (it is "
                f"{state_label(assessment.cycle)})."]
    return []


def cycle_reviewing(assessment) -> list[str]:
    if assessment.cycle.state not in (CycleState.COLLECTION, CycleState.JOINT_REVIEW):
        return [f"The {assessment.cycle} is not in collection or joint review."]
    return []


def cycle_evaluating(assessment) -> list[str]:
    if assessment.cycle.state != CycleState.EVALUATION:
        return [f"The {assessment.cycle} is not in evaluation yet."]
    return []


def answers_complete(assessment) -> list[str]:
    reasons = answers_missing(assessment)
    if not assessment.strategic_environment_changes.strip():
        reasons.append("Describe the changes in the strategic environment (or say there were none).")
    if not assessment.recommended_guidance_changes.strip():
        reasons.append("Give the recommended changes to guidance (or say there are none).")
    return reasons
