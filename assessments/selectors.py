"""Reads of the assessment cycle that cross relations, with bounded queries."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.utils import timezone

from organizations.selectors import active_account

from .models import (
    Answer,
    Assessment,
    AssessmentCycle,
    AssessmentState,
    Question,
    QuestionKind,
    Template,
    TemplateState,
)
from .rules import may_run_cycle


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
    """The answers of an assessment of either kind."""
    return Answer.objects.filter(assessment=document).select_related("question", "objective")


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


def documents_visible_to(user, model) -> QuerySet:
    """Need-to-know for the cycle's documents, with the marking rules of the plans they assess.
    An assessment is visible to those who may see its plan (clearance and release included) and
    who take part: the owner, the cycle's Joint Staff office, USD(P), PA&E, or an administrator of
    the cycle (``may_run_cycle``; who still needs the clearance for the plan). Cycles and program
    assessments carry no plan content and follow need-to-know only. A template (the questions
    every command will answer, drafted by the Joint Staff, USD(P) consulted) is open to everyone
    who works here, as its admin pages are (``assessments.permissions``)."""
    from django.db.models import Q

    from organizations.selectors import organization_ids_acting_for

    from .models import Assessment, AssessmentCycle, ProgramAssessment
    from .rules import may_run_cycle

    if not active_account(user):
        return model.objects.none()
    if model is Template:
        return model.objects.all()
    # Administering the cycle is its own authority (``assessments.run_cycle``, superusers), never a
    # model's view permission, which every role group holds to open the admin's screens.
    administrator = may_run_cycle(user)
    organizations = organization_ids_acting_for(user)
    if model is AssessmentCycle:
        if administrator:
            return model.objects.all()
        return model.objects.filter(Q(owner__in=organizations) | Q(policy_office__in=organizations)
                                    | Q(program_coordinator__in=organizations)
                                    | Q(pk__in=Assessment.objects.filter(owner__in=organizations).values("cycle"))
                                    | Q(pk__in=ProgramAssessment.objects.filter(owner__in=organizations)
                                        .values("cycle"))).distinct()
    taking_part = Q(owner__in=organizations) | Q(cycle__owner__in=organizations) | Q(
        cycle__policy_office__in=organizations) | Q(cycle__program_coordinator__in=organizations)
    documents = model.objects.all() if administrator else model.objects.filter(taking_part)
    if model is Assessment:
        # The plan's cleared view, without the plan's own need-to-know: taking part in the
        # assessment is need-to-know for the plan it assesses.
        documents = documents.filter(_plan_cleared_q(user))
    return documents


def answer_sheet(document) -> list[dict]:
    """Every question of the cycle's template the document answers, per-objective ratings expanded
    to each objective of the assessed plan, with the current answer (or ``None``), in template
    order: three queries whatever the number of questions."""
    questions = list(template_questions(cycle_template(document.cycle)))
    answers = {(a.question_id, a.objective_id): a for a in answers_of(document).select_related("answered_by")}
    objectives = list(document.objectives().order_by("code")) if any(
        q.kind == QuestionKind.OBJECTIVE_RATING for q in questions) else []
    rows = []
    for question in questions:
        for objective in (objectives if question.kind == QuestionKind.OBJECTIVE_RATING else [None]):
            rows.append({"question": question, "objective": objective,
                         "answer": answers.get((question.pk, getattr(objective, "pk", None)))})
    return rows


def assessments_cleared_for(user) -> QuerySet:
    """Assessments whose plan's marking ``user`` may see (need-to-know aside)."""
    from .models import Assessment

    if not active_account(user):
        return Assessment.objects.none()
    return Assessment.objects.filter(_plan_cleared_q(user))


def _plan_cleared_q(user):
    """Assessments whose plan (of either kind) has a marking ``user`` may see, read on the plan's
    own row (a join), so that checking one assessment costs one plan, not every plan. Each kind
    keeps its marking on its own row: one term per kind, joined by "or"."""
    from django.db.models import Q

    from planning.models import Plan
    from security.access import marking_q

    cleared = Q(pk__in=[])
    for kind, link in Plan.kinds().items():
        cleared |= Q(**{f"plan__{link}__isnull": False}) & marking_q(user, kind, prefix=f"plan__{link}__")
    return cleared


def cycle_progress(user) -> dict | None:
    """The start page's panel for those who run the cycle: the current assessment cycle, its
    assessments counted by state, and the organizations with late ones (None for anyone else)."""
    if not may_run_cycle(user):
        return None
    cycle = AssessmentCycle.objects.exclude(state="closed").order_by("-fiscal_year").first()
    if cycle is None:
        return None
    labels = dict(AssessmentState.choices)
    counts = (Assessment.objects.filter(cycle=cycle).values("state").annotate(n=Count("pk")).order_by())
    late = (Assessment.objects.filter(cycle=cycle, suspense__lt=timezone.localdate(),
                                      state__in=(AssessmentState.ASSIGNED, AssessmentState.IN_PROGRESS,
                                                 AssessmentState.RETURNED))
            .values("owner__acronym").annotate(n=Count("pk")).order_by("owner__acronym"))
    return {"cycle": cycle, "states": [{"label": labels.get(r["state"], r["state"]), "count": r["n"]} for r in counts],
            "late": list(late)}
