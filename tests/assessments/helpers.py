"""Steps the tests share: launch a cycle and answer an assessment completely."""

from __future__ import annotations

from assessments.models import AssessmentCycle, QuestionKind
from assessments.selectors import cycle_template, template_questions
from assessments.services import answer_save, assessment_update, cycle_launch
from workflow.services import transition_perform


def launched(world, cycle: AssessmentCycle) -> AssessmentCycle:
    """Approve the template, launch (the task runs the service) and open collection."""
    world.approved_template(cycle)
    cycle = transition_perform(document=cycle, name="launch", by=world.admin)
    cycle_launch(cycle=cycle, by=world.admin)
    return AssessmentCycle.objects.get(pk=cycle.pk)


def answer_everything(document, user, rating="Largely achieved"):
    for question in template_questions(cycle_template(document.cycle)):
        if question.kind == QuestionKind.NARRATIVE:
            answer_save(document=document, question=question, by=user, text="Partners trained and exercised.")
        elif question.kind == QuestionKind.RATING:
            answer_save(document=document, question=question, by=user, rating=rating, justification="Exercises met.")
        else:
            for objective in document.objectives():
                answer_save(document=document, question=question, by=user, objective=objective, rating=rating,
                            justification=f"Measures of {objective.code} met.")
    return assessment_update(document=document, by=user, strategic_environment_changes="None of note.",
                             recommended_guidance_changes="None.")


def act(document, name, user, comment="", **data):
    """Perform a transition on the row as it is now (these tests are about rules, not conflicts)."""
    document = type(document).objects.get(pk=document.pk)
    return transition_perform(document=document, name=name, by=user, comment=comment, data=data)


def joint_review_started(cycle, user, *, outstanding: int):
    """Start the joint review, confirming the number of assessments still outstanding (as the
    refusal tells the administrator)."""
    return act(cycle, "start_joint_review", user, **({"outstanding_confirmed": outstanding} if outstanding else {}))
