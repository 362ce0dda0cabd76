"""Demo assessment cycles (training data): last fiscal year's cycle closed, with a report to
look at, and this year's in collection. Idempotent: a cycle that exists is left alone. Skipped
when no plan is approved yet (the planning demo provides them) or the demo role users are missing.

Made through the front door: every step is the service a person's click calls, as the demo user
of the role who would take it (``administrator``, ``j5_action_officer``, ``usdp_reviewer``...),
with the engine's permission and condition checks (no system mode, no tasker or state written by
hand), so the history reads like a real year: the Joint Staff drafts the template, USD(P)
non-concurs (the program assessments need their own questions), the Joint Staff adjudicates,
revises and consults again, USD(P) concurs, the template is approved and the cycle launched;
commands answer and submit, one is returned and resubmits, some never answer and are recorded
as missing. This year's template is carried forward from last year's.

Last year's dates are moved into the past before it closes (the close freezes its report), so
its report shows on-time, late and missing assessments: dates only, never a state or a tasker."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from organizations.demo import username_for
from organizations.models import Designation, Role
from organizations.selectors import designated_organization
from planning.models import Plan, PlanState
from workflow.models import Decision, Response, Step
from workflow.selectors import comments_of, open_taskers
from workflow.services import comment_adjudicate, tasker_respond, transition_perform

from . import reference, services
from .models import (
    DEFAULT_SCALE,
    Assessment,
    AssessmentCycle,
    AssessmentState,
    ProgramAssessment,
    QuestionKind,
    QuestionSet,
    Template,
)
from .selectors import answer_sheet

PLAN_SECTIONS = (
    ("Execution of the GEF", QuestionSet.PLANS, [
        (QuestionKind.NARRATIVE, "How did the plan's activities advance the GEF's security cooperation end states?"),
        (QuestionKind.OBJECTIVE_RATING, "Progress toward this objective"),
        (QuestionKind.RATING, "Overall effectiveness of security cooperation in the plan"),
    ]),
    ("Strategic environment", QuestionSet.PLANS, [
        (QuestionKind.NARRATIVE, "Which partner capabilities can the partner sustain without U.S. support (4.b)?"),
    ]),
)
PROGRAM_SECTION = ("Security cooperation program", QuestionSet.PROGRAM, [
    (QuestionKind.NARRATIVE, "What did the program deliver to partners this year, against the purpose of its "
                             "authority?"),
    (QuestionKind.RATING, "Effectiveness of the program in building partner capacity"),
])


class _Missing(Exception):
    """A demo role user the cycle needs does not exist."""


def _user(username: str):
    return get_user_model().objects.filter(username=username, is_active=True).first()


def _role_user(organization, role: str):
    user = _user(username_for(organization.acronym, role))
    if user is None:
        raise _Missing(username_for(organization.acronym, role))
    return user


def _fiscal_year(today: datetime.date) -> int:
    return today.year + 1 if today.month >= 10 else today.year


def _act(document, name: str, by, comment: str = "", **data):
    """The transition as the person's button makes it (the row as it is now)."""
    document = type(document).objects.get(pk=document.pk)
    return transition_perform(document=document, name=name, by=by, comment=comment, data=data)


def _questions(items) -> list[dict]:
    return [{"kind": kind, "text": text, "required": True, "scale": DEFAULT_SCALE if kind != QuestionKind.NARRATIVE
             else []} for kind, text in items]


def _section(template: Template, by, position: int, section) -> None:
    title, question_set, items = section
    services.template_section_save(template=template, by=by, title=title, position=position,
                                   question_set=question_set, questions=_questions(items))


def _approved_template(cycle: AssessmentCycle, people: dict, *, carried_from: Template | None) -> Template:
    """Drafted by J5's action officer, consulted with USD(P) and approved by J5's approver. A
    first template omits the program questions: USD(P) non-concurs, J5 adjudicates the critical
    comment, revises, adds them and consults again. A carried-forward one is concurred with."""
    j5_ao, j5_approver, usdp_reviewer = people["j5_ao"], people["j5_approver"], people["usdp_reviewer"]
    template = services.template_create(
        cycle=cycle, by=j5_ao, copy_from=carried_from,
        instructions="Qualitative answers are welcome (glossary: campaign plan assessments). Training data.")
    if carried_from is None:
        for position, section in enumerate(PLAN_SECTIONS, start=1):
            _section(template, j5_ao, position, section)
    template = _act(template, "consult", j5_ao)
    tasker = open_taskers(template, step=Step.CONSULTATION).get()
    if carried_from is not None:
        tasker_respond(tasker=tasker, by=usdp_reviewer, response=Response.CONCUR_WITH_COMMENT,
                       rationale="Carried forward from last year's, as agreed.",
                       comments=[{"category": "administrative", "section": "1",
                                  "text": "Cite the current GEF in the instructions (training data)."}])
    else:
        tasker_respond(tasker=tasker, by=usdp_reviewer, response=Response.NONCONCUR,
                       rationale="The program assessments would answer the plans' questions (training data).",
                       comments=[{"category": "critical", "section": "2",
                                  "text": "Security cooperation program assessments need their own questions.",
                                  "proposed_change": "Add a section answered by the program assessments only."}])
        for comment in comments_of(template):
            comment_adjudicate(comment=comment, by=j5_ao, decision=Decision.ACCEPTED,
                               rationale="Program section added (training data).")
        template = _act(template, "revise", j5_ao, comment="Adds the program assessments' own questions "
                                                           "(USD(P)'s critical comment).")
        _section(template, j5_ao, len(PLAN_SECTIONS) + 1, PROGRAM_SECTION)
        template = _act(template, "consult", j5_ao)
        tasker_respond(tasker=open_taskers(template, step=Step.CONSULTATION).get(), by=usdp_reviewer,
                       response=Response.CONCUR)
    return _act(template, "approve", j5_approver)


# What each narrative says, by the overall rating the same assessment gives (DEFAULT_SCALE's order):
# (how the activities went, what the partners can sustain). Filled with the assessment's subject.
NARRATIVES = (
    ("Activities with {partners} fell short: {objective} was not achieved; courses and deliveries slipped "
     "and partner units did not take the lead (training data).",
     "{partners} cannot yet sustain what was delivered without U.S. funding and maintenance (training data)."),
    ("Mixed results with {partners}: {objective} partly achieved; training was delivered but partner-led "
     "operations remain the exception (training data).",
     "{partners} sustain training but not equipment: spares and maintenance still come from U.S. programs "
     "(training data)."),
    ("Good progress with {partners}: {objective} largely achieved; partner units planned and led most "
     "exercises and operations (training data).",
     "{partners} sustain most delivered capabilities from their own budgets; sustainment of aircraft remains "
     "partly funded (training data)."),
    ("{objective}: achieved. {partners} now lead the activities the plan set out, and U.S. support shifts to "
     "advice (training data).",
     "{partners} sustain the capabilities on their own budgets and train their own instructors (training data)."),
)


def _subject(document) -> tuple[str, str]:
    """The partners and the first objective an assessment speaks of (a program assessment: its program)."""
    plan = getattr(document, "plan", None)
    if plan is None:
        program = str(getattr(document, "program", "the program"))
        return f"the partners of {program}", f"the purpose of {program}"
    partners = [p.country.name for p in plan.partner_considerations.select_related("country")]
    objective = plan.objectives.order_by("code").first()
    names = " and ".join([", ".join(partners[:-1]), partners[-1]] if len(partners) > 1 else partners) or "partners"
    return names, (objective.title if objective else "the plan's objective")


def _answers(document, index: int) -> list[dict]:
    """Ratings that vary by assessment, and narratives that say what the ratings say, about the
    plan's own partners and objectives: no two plans read alike."""
    ratings = DEFAULT_SCALE
    rows = list(answer_sheet(document))
    given = {n: ratings[(index + n + 1) % len(ratings)] for n, row in enumerate(rows)
             if row["question"].kind != QuestionKind.NARRATIVE}
    overall = round(sum(ratings.index(r) for r in given.values()) / len(given)) if given else 1
    partners, objective = _subject(document)
    narratives = iter(NARRATIVES[overall])
    answers = []
    for n, row in enumerate(rows):
        question = row["question"]
        if question.kind == QuestionKind.NARRATIVE:
            text = next(narratives, NARRATIVES[overall][-1])
            answers.append({"question": question, "text": text.format(partners=partners, objective=objective)})
        else:
            objective_row = row["objective"]
            answers.append({"question": question, "objective": objective_row, "rating": given[n],
                            "justification": (f"{given[n]}: {objective_row.measures_of_effectiveness or objective_row.title}"
                                              f" ({objective_row.code})." if objective_row
                                              else f"{given[n]}, measured against the plan's indicators.")})
    return answers


def _collect(cycle: AssessmentCycle, people: dict) -> list:
    """Each owner's action officer saves the answers and submits (every fifth never does, nor does
    an organization without demo staff); the first submitted is returned by its reviewers and
    resubmitted."""
    documents = [*Assessment.objects.filter(cycle=cycle).select_related("owner").order_by("pk"),
                 *ProgramAssessment.objects.filter(cycle=cycle).select_related("owner").order_by("pk")]
    submitted = []
    for index, document in enumerate(documents):
        author = _user(username_for(document.owner.acronym, Role.ACTION_OFFICER))
        if index % 5 == 4 or author is None:
            continue  # never submitted: missing in the report
        services.assessment_answers_save(
            document=document, by=author, answers=_answers(document, index),
            strategic_environment_changes="Competitor presence grew in the region (training data).",
            recommended_guidance_changes="Prioritize sustainment over new equipment (training data).")
        submitted.append(_act(document, "submit", author))
    if submitted:
        first = submitted[0]
        reviewer = _reviewer(first, people)
        _act(first, "return_for_rework", reviewer,
             comment="Justify the overall rating against the plan's indicators (training data).")
        author = _user(username_for(first.owner.acronym, Role.ACTION_OFFICER))
        services.assessment_answers_save(document=type(first).objects.get(pk=first.pk), by=author, answers=[],
                                         recommended_guidance_changes="Prioritize sustainment over new equipment; "
                                                                      "fund partner maintenance (training data).")
        _act(first, "submit", author)
    return documents


def _reviewer(document, people: dict):
    # Each kind names its reviewing organization: the program coordinator's reviewer, when it is theirs.
    coordinator = document.cycle.program_coordinator_id
    return people["pae_reviewer"] if coordinator and document.reviewing_organization_id == coordinator \
        else people["j5_reviewer"]


def _run_cycle(*, fiscal_year: int, close: bool, people: dict, organizations: dict) -> AssessmentCycle:
    today = timezone.localdate()
    admin = people["admin"]
    cycle = services.cycle_create(
        by=admin, fiscal_year=fiscal_year, owner=organizations[Designation.JOINT_STAFF],
        policy_office=organizations[Designation.POLICY_OFFICE],
        program_coordinator=organizations.get(Designation.PROGRAM_ANALYSIS) if people["pae_reviewer"] else None,
        template_suspense=today + datetime.timedelta(days=30), collection_suspense=today + datetime.timedelta(days=120),
        joint_review_suspense=today + datetime.timedelta(days=180),
        evaluation_suspense=today + datetime.timedelta(days=240),
    )
    cycle = _act(cycle, "start_template", admin)
    # This year's template starts from last year's approved one (none for the first demo cycle).
    _approved_template(cycle, people, carried_from=services.template_carry_forward_source(cycle))
    cycle = _act(cycle, "launch", admin, synchronous=True)
    services.cycle_launch(cycle=cycle, by=admin)  # what the launch task runs
    if not close:
        return cycle
    documents = _collect(cycle, people)
    outstanding = sum(services.cycle_outstanding(cycle).values())
    _act(cycle, "start_joint_review", admin, **({"outstanding_confirmed": outstanding} if outstanding else {}))
    for document in documents:
        document = type(document).objects.select_related("cycle").get(pk=document.pk)
        if document.state == AssessmentState.SUBMITTED:
            _act(document, "accept", _reviewer(document, people))
    _act(cycle, "forward_to_evaluation", people["j5_approver"],
         comment="Campaign plans advanced partner capability toward most GEF end states; sustainment remains the "
                 "weakest link (training data).")
    for document in documents:
        if type(document).objects.get(pk=document.pk).state == AssessmentState.ACCEPTED:
            _act(document, "evaluate", people["usdp_reviewer"], comment="Consistent with the joint review.")
    # Dated back before the close, which freezes the report (``reports.report_freeze``) as it stands.
    _move_into_the_past(cycle, documents)
    _act(cycle, "close", people["usdp_approver"],
         comment="Security cooperation is effective where partners co-invest; recommend shifting resources "
                 "from new equipment to sustainment (training data).")
    return AssessmentCycle.objects.get(pk=cycle.pk)


def _move_into_the_past(cycle: AssessmentCycle, documents) -> None:
    """Last year's cycle ran last year: its phase suspenses and submissions are dated back then,
    every third submission a few days after the suspense (dates only: no state, no tasker)."""
    start = datetime.date(cycle.fiscal_year - 1, 10, 1)
    collection = datetime.date(cycle.fiscal_year, 3, 15)
    AssessmentCycle.objects.filter(pk=cycle.pk).update(
        template_suspense=start + datetime.timedelta(days=45), collection_suspense=collection,
        joint_review_suspense=datetime.date(cycle.fiscal_year, 5, 1),
        evaluation_suspense=datetime.date(cycle.fiscal_year, 6, 30),
        launch_started_at=datetime.datetime(cycle.fiscal_year - 1, 12, 1, 14, tzinfo=datetime.UTC),
        launch_finished_at=datetime.datetime(cycle.fiscal_year - 1, 12, 1, 14, 1, tzinfo=datetime.UTC),
    )
    # The whole year in order: set up in October, template approved in November, launched in
    # December, answers in March, accepted before the joint review and evaluated before its suspense.
    AssessmentCycle.objects.filter(pk=cycle.pk).update(
        created_at=datetime.datetime.combine(start, datetime.time(14), tzinfo=datetime.UTC))
    Template.objects.filter(cycle=cycle, approved_at__isnull=False).update(
        approved_at=datetime.datetime(cycle.fiscal_year - 1, 11, 20, 15, tzinfo=datetime.UTC))
    for index, document in enumerate(documents):
        model = type(document)
        model.objects.filter(pk=document.pk, accepted_at__isnull=False).update(
            accepted_at=datetime.datetime(cycle.fiscal_year, 4, 10 + index % 15, 15, tzinfo=datetime.UTC))
        model.objects.filter(pk=document.pk, evaluated_at__isnull=False).update(
            evaluated_at=datetime.datetime(cycle.fiscal_year, 6, 1 + index % 25, 15, tzinfo=datetime.UTC))
    for index, document in enumerate(documents):
        offset = (index % 7) + 1 if index % 3 == 2 else -((index % 10) + 1)
        submitted = datetime.datetime.combine(collection + datetime.timedelta(days=offset), datetime.time(15),
                                              tzinfo=datetime.UTC)
        model = type(document)
        model.objects.filter(pk=document.pk).update(suspense=collection)
        model.objects.filter(pk=document.pk, first_submitted_at__isnull=False).update(
            first_submitted_at=submitted, submitted_at=submitted)


def _people(organizations: dict) -> dict:
    """The demo role users who run the cycle (``_Missing`` names the first one absent)."""
    joint_staff, policy = organizations[Designation.JOINT_STAFF], organizations[Designation.POLICY_OFFICE]
    admin = _user("administrator") or get_user_model().objects.filter(is_superuser=True, is_active=True).first()
    if admin is None:
        raise _Missing("administrator")
    program_office = organizations.get(Designation.PROGRAM_ANALYSIS)
    return {
        "admin": admin,
        "j5_ao": _role_user(joint_staff, Role.ACTION_OFFICER),
        "j5_reviewer": _role_user(joint_staff, Role.REVIEWER),
        "j5_approver": _role_user(joint_staff, Role.APPROVER),
        "usdp_reviewer": _role_user(policy, Role.REVIEWER),
        "usdp_approver": _role_user(policy, Role.APPROVER),
        # The program coordinator takes part when it has demo staff; otherwise the Joint Staff
        # office reviews the program assessments (as a cycle without a coordinator does).
        "pae_reviewer": _user(username_for(program_office.acronym, Role.REVIEWER)) if program_office else None,
    }


@transaction.atomic
def load(*, stdout) -> None:
    """Last fiscal year's cycle closed (with its report) and this year's in collection."""
    approved = any(kind.objects.filter(state=PlanState.APPROVED).exists() for kind in Plan.kinds())
    # The cycle's offices are the designated ones, whoever holds them (never looked up by acronym).
    organizations = {designation: designated_organization(designation) for designation in (
        Designation.JOINT_STAFF, Designation.POLICY_OFFICE, Designation.PROGRAM_ANALYSIS)}
    organizations = {designation: org for designation, org in organizations.items() if org is not None}
    if not approved or not {Designation.JOINT_STAFF, Designation.POLICY_OFFICE} <= set(organizations):
        stdout.write("assessment cycles: skipped (needs approved plans and the designated Joint Staff office and "
                     "policy office)")
        return
    try:
        people = _people(organizations)
    except _Missing as missing:
        stdout.write(f"assessment cycles: skipped (the demo user {missing} is missing: load the demo users first)")
        return
    reference.load(stdout=stdout)
    current = _fiscal_year(timezone.localdate())
    outcome = {}
    for fiscal_year, close in ((current - 1, True), (current, False)):
        if AssessmentCycle.objects.filter(fiscal_year=fiscal_year).exists():
            outcome[fiscal_year] = "unchanged"
            continue
        _run_cycle(fiscal_year=fiscal_year, close=close, people=people, organizations=organizations)
        outcome[fiscal_year] = "closed" if close else "in collection"
    stdout.write("assessment cycles: " + ", ".join(f"FY{fy} {what}" for fy, what in outcome.items()))
