"""Reads of the assessment cycle that cross relations, with bounded queries."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from organizations.selectors import active_account
from security.capacity import per_capacity

from .models import (
    QUESTION_SETS_OF,
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
    # One query: the frozen version first, else the latest approved.
    return (cycle.templates.filter(Q(frozen=True) | Q(state=TemplateState.APPROVED))
            .order_by("-frozen", "-version").first())


def template_questions(template: Template | None, *, question_set: str | None = None) -> QuerySet[Question]:
    """The template's questions in order; with ``question_set`` (a document's
    ``question_set_key``), only those that kind of assessment answers."""
    if template is None:
        return Question.objects.none()
    questions = Question.objects.filter(section__template=template).select_related("section")
    if question_set is not None:
        questions = questions.filter(section__question_set__in=QUESTION_SETS_OF[question_set])
    return questions


def document_questions(document) -> QuerySet[Question]:
    """The questions ``document`` answers: its kind's set of the cycle's template."""
    return template_questions(cycle_template(document.cycle), question_set=document.question_set_key)


def answers_of(document) -> QuerySet[Answer]:
    """The answers of an assessment of either kind."""
    return Answer.objects.filter(assessment=document).select_related("question", "objective")


def _is_answered(question: Question, answer: Answer | None) -> bool:
    if answer is None:
        return False
    if not question.is_rating:  # narrative, yes or no, number: the text holds the answer
        return bool(answer.text.strip())
    return bool(answer.rating) and bool(answer.justification.strip())


def _gap(question: Question, objective) -> str:
    label = f"“{question.text[:60]}”"
    if question.kind == QuestionKind.YES_NO:
        return f"Answer yes or no to {label}."
    if question.kind == QuestionKind.NUMBER:
        return f"Give the number asked in {label}."
    if not question.is_rating:
        return f"Answer {label}."
    if objective is None:
        return f"Rate {label} and justify the rating."
    return f"Rate objective {objective.code} on {label} and justify the rating."


def answers_gaps(document) -> list[tuple[int, int | None, str]]:
    """Each required answer still missing, as (question id, objective id or None, the sentence
    naming it), in the template's order: the page shows each sentence beside its question."""
    return [(row["question"].pk, getattr(row["objective"], "pk", None), _gap(row["question"], row["objective"]))
            for row in answer_sheet(document)
            if row["question"].required and not _is_answered(row["question"], row["answer"])]


def answers_missing(document) -> list[str]:
    """What the owner must still answer before submitting, one sentence per gap."""
    return [sentence for _question, _objective, sentence in answers_gaps(document)]


def answers_progress(rows: list[dict]) -> dict:
    """Of an answer sheet's rows (``answer_sheet``): how many of the required answers are given,
    and how many answers are given at all."""
    required = [row for row in rows if row["question"].required]
    return {"required": len(required),
            "answered_required": sum(_is_answered(row["question"], row["answer"]) for row in required),
            "answered": sum(_is_answered(row["question"], row["answer"]) for row in rows),
            "total": len(rows)}


@per_capacity
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


_SHEET = "_assessment_answer_sheet"


def answer_sheet(document) -> list[dict]:
    """Every question of the cycle's template the document answers, per-objective ratings expanded
    to each objective of the assessed plan, with the current answer (or ``None``), in template
    order: a few queries whatever the number of questions, read once per instance of the
    document (the page's form and the submit condition ask the same; a write reads the row
    again, so a new instance reads the sheet afresh)."""
    if _SHEET not in document.__dict__:
        document.__dict__[_SHEET] = _answer_sheet(document)
    return document.__dict__[_SHEET]


def _answer_sheet(document) -> list[dict]:
    questions = list(document_questions(document))
    answers = {(a.question_id, a.objective_id): a for a in answers_of(document).select_related("answered_by")}
    objectives = sorted(document.objectives(), key=lambda objective: objective.code) if any(
        q.kind == QuestionKind.OBJECTIVE_RATING for q in questions) else []
    rows = []
    for question in questions:
        for objective in (objectives if question.kind == QuestionKind.OBJECTIVE_RATING else [None]):
            rows.append({"question": question, "objective": objective,
                         "answer": answers.get((question.pk, getattr(objective, "pk", None)))})
    return rows


@per_capacity
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


def _fiscal_year(day) -> int:
    return day.year + 1 if day.month >= 10 else day.year


def _a_year_later(day):
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def cycle_setup_proposal(*, today=None) -> dict:
    """What a new cycle starts with on the setup form: the fiscal year after the latest cycle's
    (or the current fiscal year when there is none) and its phase suspenses a year after that
    cycle's, each on a working day; when that would put the template's suspense in the past (or
    there is no earlier cycle), a calendar from today (template in 30 days, collection in 120,
    joint review in 180, evaluation in 240). Two queries."""
    import datetime

    from workflow.calendar import working_day_on_or_after

    today = today or timezone.localdate()
    previous = AssessmentCycle.objects.order_by("-fiscal_year").first()
    names = AssessmentCycle.PHASE_FIELDS
    if previous is not None:
        fiscal_year = previous.fiscal_year + 1
        days = [_a_year_later(getattr(previous, name)) for name in names]
        basis = f"the FY{previous.fiscal_year} cycle's calendar, a year later"
    else:
        fiscal_year = _fiscal_year(today)
        days = []
    if not days or days[0] < today:
        fiscal_year = max(fiscal_year, _fiscal_year(today))
        days = [today + datetime.timedelta(days=n) for n in (30, 120, 180, 240)]
        basis = "a calendar from today"
    proposal = {"fiscal_year": fiscal_year, "basis": basis}
    for name, day in zip(names, days, strict=True):
        proposal[name] = working_day_on_or_after(day)[0]
    return proposal


def cycle_checklist(cycle: AssessmentCycle) -> list[dict]:
    """What must hold before ``cycle`` launches, one line each, in order: ``label``, ``done``,
    ``detail`` (a sentence: what is wrong, or what holds) and ``fix`` (what to open to set it
    right: ``("cycle",)``, ``("template", pk)``, ``("new_template",)``, ``("tasker", template pk)``,
    ``("plans",)`` or ``("designations",)``). A bounded number of queries."""
    from organizations.selectors import designation_name, organization_labels
    from planning.models import Plan, PlanState
    from workflow.models import OPEN_TASKER_STATES, Response, Step
    from workflow.selectors import document_taskers

    from .models import CycleState, Program
    from .rules import CYCLE_OFFICES, cycle_office_holders

    holders = cycle_office_holders()
    # The cycle's offices by today's name, the directive's beside it (one query).
    offices = organization_labels([cycle.owner_id, cycle.policy_office_id, cycle.program_coordinator_id])
    lines = []
    for name, designation, label in CYCLE_OFFICES:
        organization_id = getattr(cycle, f"{name}_id")
        if organization_id is None:
            if name == "program_coordinator":
                lines.append({"label": "Program coordinator", "done": True, "fix": ("cycle",),
                              "detail": "None named: the Joint Staff office reviews the program assessments."})
            continue
        held = organization_id in holders[name]
        lines.append({"label": f"The {label} holds the designation of the {designation_name(designation)}",
                      "done": held, "fix": ("cycle",) if cycle.state == CycleState.SETUP else ("designations",),
                      "detail": f"{offices[organization_id]} holds it." if held else
                      f"{offices[organization_id]} no longer holds it: change the cycle's office or the "
                      "designation."})
    today = timezone.localdate()
    future = cycle.template_suspense >= today
    lines.append({"label": "Phase suspenses set, in order, from today on", "done": future, "fix": ("cycle",),
                  "detail": (f"Template {cycle.template_suspense:%d %b %Y}, collection {cycle.collection_suspense:%d %b %Y}, "
                             f"joint review {cycle.joint_review_suspense:%d %b %Y}, evaluation "
                             f"{cycle.evaluation_suspense:%d %b %Y}.") if future else
                  f"The template suspense ({cycle.template_suspense:%d %b %Y}) is in the past: set the calendar again."})
    started = cycle.state != CycleState.SETUP
    lines.append({"label": "Template phase started", "done": started, "fix": ("cycle",),
                  "detail": "The Joint Staff drafts the template." if started else
                  "Start the template (the workflow panel) so that the Joint Staff can draft it."})
    template = cycle.templates.annotate(question_count=Count("sections__questions")).order_by("-version").first()
    if template is None:
        lines.append({"label": "Template drafted by the Joint Staff", "done": False, "fix": ("new_template",),
                      "detail": f"{offices[cycle.owner_id]} has not drafted a template yet (it can start from last "
                                "year's)."})
    else:
        questions = template.question_count
        lines.append({"label": "Template drafted by the Joint Staff", "done": questions > 0,
                      "fix": ("template", template.pk),
                      "detail": f"Version {template.version}: {questions} question{'s' if questions != 1 else ''}."})
        # The latest consultation counts (``conditions.consultation_answered``).
        taskers = [t for t in document_taskers(template, step=Step.CONSULTATION) if t.state != "cancelled"][-1:]
        open_ones = [t for t in taskers if t.state in OPEN_TASKER_STATES]
        nonconcur = [t for t in taskers if t.response == Response.NONCONCUR]
        policy_office = offices[cycle.policy_office_id]
        if not taskers:
            detail, done = f"{policy_office} has not been consulted on version {template.version}.", False
        elif open_ones:
            detail = (f"Waiting for {policy_office}'s answer, suspense "
                      f"{open_ones[0].suspense:%d %b %Y}.")
            done = False
        elif nonconcur:
            detail, done = (f"{policy_office} non-concurred: the Joint Staff revises the template and "
                            "consults again."), False
        else:
            detail, done = f"{policy_office} answered: {taskers[-1].get_response_display()}.", True
        lines.append({"label": f"{policy_office} consulted on the template", "done": done,
                      "detail": detail, "fix": ("tasker", template.pk) if open_ones else ("template", template.pk)})
        approved = template.state == TemplateState.APPROVED
        lines.append({"label": "Template approved by the Joint Staff", "done": approved,
                      "fix": ("template", template.pk),
                      "detail": f"Version {template.version} approved." if approved else
                      f"Version {template.version} is {template.get_state_display().lower()}."})
    # Unordered: SQLite refuses an ORDER BY inside a UNION (the kinds order newest first).
    first, *others = [kind.objects.filter(state=PlanState.APPROVED).order_by().values("pk") for kind in Plan.kinds()]
    plans = first.union(*others, all=True).count()
    programs = Program.objects.filter(active=True).count()
    lines.append({"label": "Approved plans to assess", "done": plans > 0, "fix": ("plans",),
                  "detail": f"{plans} approved plan{'s' if plans != 1 else ''} and {programs} active "
                            f"program{'s' if programs != 1 else ''} will be assessed." if plans else
                  "No plan is approved yet: there is nothing to assess."})
    return lines
