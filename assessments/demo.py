"""Demo assessment cycles (training data): last fiscal year's cycle closed, with a report to
look at, and this year's in collection. Idempotent: a cycle that exists is left alone. Skipped
when no plan is approved yet (the planning demo provides them).

Transitions go through ``transition_perform`` as the engine (``system=True``) with the demo
user of the acting organization recorded, so the demo does not depend on who owns each plan;
last year's dates are moved into the past before it closes (the close freezes its report) so
its report shows on-time, late and missing assessments."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from organizations.models import Designation
from organizations.selectors import designated_organization
from planning.models import Plan, PlanState
from workflow.models import Response, Step
from workflow.services import taskers_close_answered, transition_perform

from . import reference, services
from .models import (
    DEFAULT_SCALE,
    Answer,
    Assessment,
    AssessmentCycle,
    AssessmentState,
    ProgramAssessment,
    Question,
    QuestionKind,
    Template,
    TemplateSection,
)

QUESTIONS = (
    ("Execution of the GEF", [
        (QuestionKind.NARRATIVE, "How did the plan's activities advance the GEF's security cooperation end states?"),
        (QuestionKind.OBJECTIVE_RATING, "Progress toward this objective"),
        (QuestionKind.RATING, "Overall effectiveness of security cooperation in the plan"),
    ]),
    ("Strategic environment", [
        (QuestionKind.NARRATIVE, "Which partner capabilities can the partner sustain without U.S. support (4.b)?"),
    ]),
)


def _slug(acronym: str) -> str:
    return "".join(ch for ch in acronym.lower() if ch.isalnum())


def _user(username: str):
    return get_user_model().objects.filter(username=username).first()


def _fiscal_year(today: datetime.date) -> int:
    return today.year + 1 if today.month >= 10 else today.year


def _act(document, name: str, by, comment: str = "", **data):
    document = type(document).objects.get(pk=document.pk)
    return transition_perform(document=document, name=name, by=by, comment=comment, data=data, system=True)


def _approved_template(cycle: AssessmentCycle, j5_user, usdp_user) -> Template:
    template = Template.objects.create(cycle=cycle, owner=cycle.owner, title=f"FY{cycle.fiscal_year} assessment template",
                                       instructions="Qualitative answers are welcome (glossary: campaign plan "
                                                    "assessments).")
    for position, (title, questions) in enumerate(QUESTIONS, start=1):
        section = TemplateSection.objects.create(template=template, title=title, position=position)
        Question.objects.bulk_create([
            Question(section=section, position=n, kind=kind, text=text,
                     scale=DEFAULT_SCALE if kind != QuestionKind.NARRATIVE else [])
            for n, (kind, text) in enumerate(questions, start=1)
        ])
    template = _act(template, "consult", j5_user)
    # Training data: the consultation is closed as concurred by the engine, for whoever holds the
    # policy office's approver account (if any), as the system makes the demo's transitions.
    taskers_close_answered(document=template, step=Step.CONSULTATION, by=usdp_user, response=Response.CONCUR)
    return _act(template, "approve", j5_user)


def _answer(document, questions, index: int) -> None:
    ratings = DEFAULT_SCALE
    answers = []
    for question in questions:
        if question.kind == QuestionKind.NARRATIVE:
            answers.append(Answer(question=question, text="Partners trained, exercised and equipped as planned; "
                                                          "sustainment depends on partner budgets (training data).",
                                  assessment=document))
        elif question.kind == QuestionKind.RATING:
            answers.append(Answer(question=question, rating=ratings[(index + 2) % len(ratings)],
                                  justification="Measured against the plan's indicators.", assessment=document))
        else:
            for n, objective in enumerate(document.objectives()):
                answers.append(Answer(question=question, objective=objective,
                                      rating=ratings[(index + n + 1) % len(ratings)],
                                      justification=f"Measures of effectiveness for {objective.code}.",
                                      assessment=document))
    Answer.objects.bulk_create(answers)
    type(document).objects.filter(pk=document.pk).update(
        strategic_environment_changes="Competitor presence grew in the region (training data).",
        recommended_guidance_changes="Prioritize sustainment over new equipment.")


def _run_cycle(*, fiscal_year: int, close: bool, admin, j5_user, usdp_user, organizations) -> AssessmentCycle:
    today = timezone.localdate()
    cycle = services.cycle_create(
        by=admin, fiscal_year=fiscal_year, owner=organizations[Designation.JOINT_STAFF],
        policy_office=organizations[Designation.POLICY_OFFICE],
        program_coordinator=organizations.get(Designation.PROGRAM_ANALYSIS), template_suspense=today + datetime.timedelta(days=30),
        collection_suspense=today + datetime.timedelta(days=120), joint_review_suspense=today + datetime.timedelta(days=180),
        evaluation_suspense=today + datetime.timedelta(days=240),
    )
    cycle = _act(cycle, "start_template", admin)
    template = _approved_template(cycle, j5_user, usdp_user)
    cycle = _act(cycle, "launch", admin, synchronous=True)
    services.cycle_launch(cycle=cycle, by=admin)
    if not close:
        return cycle
    questions = list(Question.objects.filter(section__template=template).order_by("section__position", "position"))
    documents = [*Assessment.objects.filter(cycle=cycle), *ProgramAssessment.objects.filter(cycle=cycle)]
    for index, document in enumerate(documents):
        if index % 5 == 4:
            continue  # never submitted: missing in the report
        _answer(document, questions, index)
        _act(document, "start", None)
        _act(document, "submit", None)
    _act(cycle, "start_joint_review", admin)
    for document in documents:
        if type(document).objects.get(pk=document.pk).state == AssessmentState.SUBMITTED:
            _act(document, "accept", j5_user)
    _act(cycle, "forward_to_evaluation", j5_user,
         comment="Campaign plans advanced partner capability toward most GEF end states; sustainment remains the "
                 "weakest link (training data).")
    for document in documents:
        if type(document).objects.get(pk=document.pk).state == AssessmentState.ACCEPTED:
            _act(document, "evaluate", usdp_user)
    # Dated back before the close, which freezes the report (``reports.report_freeze``) as it stands.
    _move_into_the_past(cycle, documents)
    return _act(AssessmentCycle.objects.get(pk=cycle.pk), "close", usdp_user,
                comment="Security cooperation is effective where partners co-invest; recommend shifting resources "
                        "from new equipment to sustainment (training data).")


def _move_into_the_past(cycle: AssessmentCycle, documents) -> None:
    """Last year's cycle ran last year: its phases and submissions are dated back then, every
    third submission a few days after the suspense."""
    start = datetime.date(cycle.fiscal_year - 1, 10, 1)
    collection = datetime.date(cycle.fiscal_year, 3, 15)
    AssessmentCycle.objects.filter(pk=cycle.pk).update(
        template_suspense=start + datetime.timedelta(days=45), collection_suspense=collection,
        joint_review_suspense=datetime.date(cycle.fiscal_year, 5, 1),
        evaluation_suspense=datetime.date(cycle.fiscal_year, 6, 30),
        launch_started_at=datetime.datetime(cycle.fiscal_year - 1, 12, 1, 14, tzinfo=datetime.UTC),
        launch_finished_at=datetime.datetime(cycle.fiscal_year - 1, 12, 1, 14, 1, tzinfo=datetime.UTC),
    )
    for index, document in enumerate(documents):
        offset = (index % 7) + 1 if index % 3 == 2 else -((index % 10) + 1)
        submitted = datetime.datetime.combine(collection + datetime.timedelta(days=offset), datetime.time(15),
                                              tzinfo=datetime.UTC)
        model = type(document)
        model.objects.filter(pk=document.pk).update(suspense=collection)
        model.objects.filter(pk=document.pk, first_submitted_at__isnull=False).update(
            first_submitted_at=submitted, submitted_at=submitted)


@transaction.atomic
def load(*, stdout) -> None:
    """Last fiscal year's cycle closed (with its report) and this year's in collection."""
    approved = any(kind.objects.filter(state=PlanState.APPROVED).exists() for kind in Plan.kinds())
    admin = _user("administrator") or get_user_model().objects.filter(is_superuser=True).first()
    # The cycle's offices are the designated ones, whoever holds them (never looked up by acronym).
    organizations = {designation: designated_organization(designation) for designation in (
        Designation.JOINT_STAFF, Designation.POLICY_OFFICE, Designation.PROGRAM_ANALYSIS)}
    organizations = {designation: org for designation, org in organizations.items() if org is not None}
    if not approved or admin is None or not {Designation.JOINT_STAFF, Designation.POLICY_OFFICE} <= set(organizations):
        stdout.write("assessment cycles: skipped (needs approved plans, an administrator, and the designated "
                     "Joint Staff office and policy office)")
        return
    reference.load(stdout=stdout)
    j5_user = _user(f"{_slug(organizations[Designation.JOINT_STAFF].acronym)}_approver")
    usdp_user = _user(f"{_slug(organizations[Designation.POLICY_OFFICE].acronym)}_approver")
    current = _fiscal_year(timezone.localdate())
    outcome = {}
    for fiscal_year, close in ((current - 1, True), (current, False)):
        if AssessmentCycle.objects.filter(fiscal_year=fiscal_year).exists():
            outcome[fiscal_year] = "unchanged"
            continue
        _run_cycle(fiscal_year=fiscal_year, close=close, admin=admin, j5_user=j5_user, usdp_user=usdp_user,
                   organizations=organizations)
        outcome[fiscal_year] = "closed" if close else "in collection"
    stdout.write("assessment cycles: " + ", ".join(f"FY{fy} {what}" for fy, what in outcome.items()))
