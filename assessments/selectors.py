"""Reads of the assessment cycle that cross relations, with bounded queries."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Answer, AssessmentCycle, Question, QuestionKind, Template, TemplateState


def cycle_template(cycle: AssessmentCycle) -> Template | None:
    """The template the cycle's assessments answer: the frozen one once launched, else the
    latest approved version."""
    templates = cycle.templates.all()
    return (templates.filter(frozen=True).order_by("-version").first()
            or templates.filter(state=TemplateState.APPROVED).order_by("-version").first())


def template_questions(template: Template | None) -> QuerySet[Question]:
    if template is None:
        return Question.objects.none()
    return Question.objects.filter(section__template=template).select_related("section")


def answers_of(document) -> QuerySet[Answer]:
    field = "assessment" if document._meta.model_name == "assessment" else "program_assessment"
    return Answer.objects.filter(**{field: document}).select_related("question", "objective")


def answers_missing(document) -> list[str]:
    """What the owner must still answer before submitting, one sentence per gap."""
    questions = list(template_questions(cycle_template(document.cycle)).filter(required=True))
    answers = {(a.question_id, a.objective_id): a for a in answers_of(document)}
    objectives = list(document.objectives())
    reasons = []
    for question in questions:
        label = f"“{question.text[:60]}”"
        if question.kind == QuestionKind.NARRATIVE:
            answer = answers.get((question.pk, None))
            if answer is None or not answer.text.strip():
                reasons.append(f"Answer {label}.")
        elif question.kind == QuestionKind.RATING:
            answer = answers.get((question.pk, None))
            if answer is None or not answer.rating or not answer.justification.strip():
                reasons.append(f"Rate {label} and justify the rating.")
        else:
            for objective in objectives:
                answer = answers.get((question.pk, objective.pk))
                if answer is None or not answer.rating or not answer.justification.strip():
                    reasons.append(f"Rate objective {objective.code} on {label} and justify the rating.")
    return reasons
