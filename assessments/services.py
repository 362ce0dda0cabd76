"""Writes of the assessment cycle. Every transition goes through
``workflow.services.transition_perform``; the functions taking ``(document, context)`` are the
effects a transition has, each named beside its transition in ``assessments.workflows`` (the
engine calls it from there). Launch creates assessments and their taskers in bulk."""

from __future__ import annotations

import contextlib
import datetime
import decimal
from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from organizations.models import Organization
from organizations.selectors import Capacity, acting_capacity, organization_label
from planning.models import Plan, PlanDocument, PlanState
from workflow.calendar import working_day_on_or_after
from workflow.exceptions import ActionRefused, Conflict, InvalidInput, NotPermitted
from workflow.models import Response, Step, Tasker
from workflow.rules import TransitionContext
from workflow.services import (
    history_record,
    state_label,
    suspense_for,
    taskers_cancel_bulk,
    taskers_cancel_open,
    taskers_close_answered,
    taskers_issue,
    taskers_issue_bulk,
    transition_perform,
)

from . import conditions
from .models import (
    ANSWER_ROLES,
    QUESTION_SETS_OF,
    YES_NO_ANSWERS,
    Answer,
    AssessmentCycle,
    AssessmentDocument,
    AssessmentRecord,
    AssessmentState,
    CycleState,
    Program,
    ProgramAssessment,
    Question,
    QuestionKind,
    QuestionSet,
    Template,
    TemplateSection,
    TemplateState,
)
from .models import Assessment as PlanAssessment
from .reports import report_freeze
from .rules import CYCLE_ADMINISTRATOR_WORDS, cycle_offices_refusals, may_run_cycle
from .selectors import cycle_template

LAUNCH_BATCH_SIZE = 500
"""Assessments created per transaction during launch: progress is committed after each batch."""
LATE_ADDITION_WORKING_DAYS = 20
COLLECTING_STATES = (CycleState.LAUNCHED, CycleState.COLLECTION, CycleState.JOINT_REVIEW)
# Plans approved since the launch are added once it has finished (until then the launch itself
# assesses every plan approved by the time it reaches them).
ADDING_STATES = (CycleState.COLLECTION, CycleState.JOINT_REVIEW)
OUTSTANDING_STATES = (AssessmentState.ASSIGNED, AssessmentState.IN_PROGRESS, AssessmentState.RETURNED)


def _require_administrator(by) -> None:
    if not may_run_cycle(by):
        raise NotPermitted(f"Only an administrator of the assessment cycle may do this ({CYCLE_ADMINISTRATOR_WORDS}).")


def _validated(instance) -> None:
    try:
        instance.full_clean(exclude=["state"])
    except ValidationError as exc:
        messages = exc.messages if not hasattr(exc, "message_dict") else [m for ms in exc.message_dict.values()
                                                                          for m in ms]
        raise InvalidInput(messages, getattr(exc, "message_dict", {})) from exc


# --- the cycle -----------------------------------------------------------------------------

def cycle_create(*, by, fiscal_year: int, owner: Organization, policy_office: Organization,
                 template_suspense: datetime.date, collection_suspense: datetime.date,
                 joint_review_suspense: datetime.date, evaluation_suspense: datetime.date,
                 program_coordinator: Organization | None = None) -> AssessmentCycle:
    """Set up one fiscal year's cycle with its phase suspenses; administrators only; one per year.
    Its offices hold their designations (``cycle_offices_refusals``)."""
    _require_administrator(by)
    refusals = cycle_offices_refusals(owner=owner, policy_office=policy_office,
                                      program_coordinator=program_coordinator)
    if refusals:
        raise InvalidInput(list(refusals.values()), {name: [message] for name, message in refusals.items()})
    cycle = AssessmentCycle(
        fiscal_year=fiscal_year, owner=owner, policy_office=policy_office, program_coordinator=program_coordinator,
        template_suspense=template_suspense, collection_suspense=collection_suspense,
        joint_review_suspense=joint_review_suspense, evaluation_suspense=evaluation_suspense, created_by=by,
    )
    with transaction.atomic():
        _validated(cycle)
        cycle.save()
        history_record(document=cycle, action="created", description=f"{cycle} set up", actor=by,
                       to_state=cycle.state)
    return cycle


CYCLE_FIELDS = ("fiscal_year", "owner", "policy_office", "program_coordinator", "template_suspense",
                "collection_suspense", "joint_review_suspense", "evaluation_suspense")


def cycle_update(*, cycle: AssessmentCycle, by, **fields) -> AssessmentCycle:
    """Change a cycle's setup (its year, offices and phase suspenses): administrators only, only
    while it is set up, its offices holding their designations (``cycle_offices_refusals``), as
    ``cycle_create`` sets them. Nothing given, nothing changed."""
    unknown = set(fields) - set(CYCLE_FIELDS)
    if unknown:
        raise InvalidInput(f"Unknown fields: {', '.join(sorted(unknown))}.")
    _require_administrator(by)
    with transaction.atomic():
        cycle = AssessmentCycle.objects.select_for_update().get(pk=cycle.pk)
        changed = {name: value for name, value in fields.items() if getattr(cycle, name) != value}
        if not changed:
            return cycle
        if cycle.state != CycleState.SETUP:
            raise ActionRefused(f"The {cycle} is {state_label(cycle)}; its setup is changed only "
                                "while it is set up.")
        offices = {name: changed.get(name, getattr(cycle, name))
                   for name in ("owner", "policy_office", "program_coordinator")}
        refusals = cycle_offices_refusals(**offices)
        if refusals:
            raise InvalidInput(list(refusals.values()), {name: [message] for name, message in refusals.items()})
        for name, value in changed.items():
            setattr(cycle, name, value)
        _validated(cycle)
        cycle.save(update_fields=list(changed))
    return cycle


def cycle_enter_phase(*, cycle: AssessmentCycle, step: str, organization: Organization,
                      suspense: datetime.date, by=None) -> None:
    """Close the previous phase's tasker and task ``organization`` with the phase set at setup."""
    taskers_close_answered(document=cycle, by=by, response=Response.COMPLETED)
    taskers_issue(document=cycle, step=step, participants=[(organization, "phase of the assessment cycle")],
                  by=by, suspense=max(suspense, timezone.localdate()),
                  suspense_reason="Phase suspense set at the cycle's setup.")


def cycle_outstanding(cycle: AssessmentCycle) -> dict[str, int]:
    """The assessments of ``cycle`` not submitted (assigned, in progress or returned), counted by
    owning organization's acronym, in order: two queries."""
    counts: dict[str, int] = {}
    for model in (PlanAssessment, ProgramAssessment):
        rows = (model.objects.filter(cycle=cycle, state__in=OUTSTANDING_STATES).values_list("owner__acronym")
                .annotate(n=Count("pk")).order_by())
        for acronym, n in rows:
            counts[acronym] = counts.get(acronym, 0) + n
    return dict(sorted(counts.items()))


def outstanding_words(outstanding: dict[str, int]) -> str:
    """“3 assessments (EUCOM 2, DA 1)”."""
    total = sum(outstanding.values())
    return (f"{total} assessment{'s' if total != 1 else ''} ("
            + ", ".join(f"{acronym} {n}" for acronym, n in outstanding.items()) + ")")


def cycle_enter_joint_review(cycle: AssessmentCycle, context: TransitionContext) -> None:
    """Task the Joint Staff office with the joint review, by the suspense set at setup. With
    assessments still outstanding it starts only when the person confirms how many
    (``outstanding_confirmed``, the number they were shown); the history records it."""
    outstanding = cycle_outstanding(cycle)
    total = sum(outstanding.values())
    if total:
        if str(context.data.get("outstanding_confirmed", "")).strip() != str(total):
            sentence = (f"{outstanding_words(outstanding)} {'are' if total != 1 else 'is'} still outstanding. "
                        "Confirm that you start the joint review with "
                        f"{total} outstanding; {'they' if total != 1 else 'it'} can still be submitted during the "
                        "joint review, and any never submitted is recorded as missing at close.")
            raise InvalidInput(sentence, {"outstanding_confirmed": [sentence]})
        history_record(document=cycle, action="outstanding_confirmed", actor=context.by, capacity=context.capacity,
                       description=f"Joint review started with {outstanding_words(outstanding)} outstanding, "
                                   "as confirmed", data={"outstanding": outstanding})
    cycle_enter_phase(cycle=cycle, step=Step.REVIEW, organization=cycle.owner, suspense=cycle.joint_review_suspense,
                      by=context.by)


def cycle_enter_evaluation(cycle: AssessmentCycle, context: TransitionContext) -> None:
    """Record the consolidated joint review and task USD(P) with the evaluation."""
    cycle.joint_review = context.comment.strip()
    cycle_enter_phase(cycle=cycle, step=Step.EVALUATION, organization=cycle.policy_office,
                      suspense=cycle.evaluation_suspense, by=context.by)


def cycle_enter_closed(cycle: AssessmentCycle, context: TransitionContext) -> None:
    """Record the advice to the Secretary and close the evaluation tasker; assessments never
    submitted stay in the report as missing and their completion taskers are cancelled (through
    the engine: each such assessment's history says so, on behalf of whoever closed the cycle).
    The report is frozen as it stands today (``reports.report_freeze``): never recomputed."""
    cycle.evaluation = context.comment.strip()
    report_freeze(cycle, closed_on=timezone.localdate())
    by = context.by
    taskers_close_answered(document=cycle, by=by, response=Response.COMPLETED)
    never_submitted = Q()
    for model in (PlanAssessment, ProgramAssessment):
        never_submitted |= Q(content_type=ContentType.objects.get_for_model(model),
                             object_id__in=model.objects.filter(cycle=cycle, first_submitted_at__isnull=True).values("pk"))
    taskers_cancel_bulk(taskers=Tasker.objects.filter(never_submitted),
                        reason=f"{cycle} closed without this assessment.", caused_by=by)


def cycle_enter_launch(cycle: AssessmentCycle, context: TransitionContext) -> None:
    """Freeze the approved template and count the assessments the launch will create (the
    workflow then starts the launch task: ``assessments.workflows``)."""
    template = cycle.templates.filter(state=TemplateState.APPROVED).order_by("-version").first()
    Template.objects.filter(pk=template.pk).update(frozen=True)
    cycle.launch_total, cycle.launch_done = _pending_count(cycle), 0
    cycle.launch_started_at, cycle.launch_finished_at = timezone.now(), None


def _pending_plans(cycle: AssessmentCycle, *, plan_keys: Iterable[int] | None = None,
                   after: tuple[int, int] | None = None, limit: int | None = None) -> list[dict]:
    """Approved plans (and active programs) of no assessment of this cycle yet: one query per
    kind of plan, one for the programs. ``plan_keys`` (``Plan`` keys) narrows to those plans.
    A page: ``limit`` items at most, in the order kinds then keys, from after ``after`` (the
    position, ``(source, key)``, of the last item of the page before: ``_page_end``); a source
    is asked only while the page has room."""
    items = []
    assessed = PlanAssessment.objects.filter(cycle=cycle).values("plan_id")
    kinds = list(Plan.kinds())
    start_source, start_key = after or (0, 0)
    sources = len(kinds) + (1 if plan_keys is None else 0)
    for source in range(start_source, sources):
        room = None if limit is None else limit - len(items)
        if room is not None and room <= 0:
            break
        since = start_key if source == start_source else 0
        if source < len(kinds):
            model = kinds[source]
            plans = model.objects.filter(state=PlanState.APPROVED, plan_ptr__gt=since).exclude(plan_ptr__in=assessed)
            if plan_keys is not None:
                plans = plans.filter(plan_ptr__in=list(plan_keys))
            rows = plans.order_by("plan_ptr").values_list("plan_ptr", "owner_id", "owner__acronym", "title")
            for key, owner_id, acronym, title in (rows if room is None else rows[:room]):
                items.append({"field": "plan", "kind": model.reference_name, "plan_id": key, "owner_id": owner_id,
                              "acronym": acronym, "title": f"FY{cycle.fiscal_year} assessment: {title}"[:300],
                              "source": source})
        else:
            programs = Program.objects.filter(active=True, pk__gt=since).exclude(
                pk__in=ProgramAssessment.objects.filter(cycle=cycle).values("program_id")).order_by("pk")
            rows = programs.values_list("pk", "name")
            for pk, name in (rows if room is None else rows[:room]):
                items.append({"field": "program", "kind": "program", "plan_id": pk, "owner_id": cycle.policy_office_id,
                              "acronym": cycle.policy_office.acronym,
                              "title": f"FY{cycle.fiscal_year} program assessment: {name}"[:300], "source": source})
    return items


def _page_end(items: list[dict]) -> tuple[int, int]:
    return items[-1]["source"], items[-1]["plan_id"]


def _pending_count(cycle: AssessmentCycle) -> int:
    """How many assessments launching ``cycle`` would create: counted in the database (one
    query), not by loading the plans."""
    assessed = PlanAssessment.objects.filter(cycle=cycle).values("plan_id")
    # No ORDER BY in the parts (the models' default ordering): SQLite allows none inside a UNION.
    parts = [model.objects.filter(state=PlanState.APPROVED).exclude(plan_ptr__in=assessed).order_by()
             .values("plan_ptr") for model in Plan.kinds()]
    parts.append(Program.objects.filter(active=True).exclude(
        pk__in=ProgramAssessment.objects.filter(cycle=cycle).values("program_id")).order_by().values("pk"))
    return parts[0].union(*parts[1:], all=True).count()


def _assessments_create(*, cycle: AssessmentCycle, items: list[dict], by, suspense: datetime.date) -> int:
    """Create the assessments of ``items`` with their completion taskers and history, in bulk
    (the taskers, their history and its audit through ``taskers_issue_bulk``): a fixed number
    of queries whatever the number of items. Call inside a transaction that holds the cycle's
    row lock (so two launches cannot both create the same assessment)."""
    # The cycle's collection suspense may fall on a weekend, holiday or closure: each tasker's
    # falls on the next working day, and the assignment says so.
    moved_suspense, _note = working_day_on_or_after(suspense)
    owners = Organization.objects.in_bulk({item["owner_id"] for item in items})
    issues = []
    # Every assessment is an ``AssessmentRecord`` first: the records of both kinds in one statement.
    records = iter(AssessmentRecord.objects.bulk_create([AssessmentRecord() for _item in items]))
    for model, field, why in ((PlanAssessment, "plan", "owner of the assessed plan"),
                              (ProgramAssessment, "program", "conducts it (1.k)")):
        mine = [item for item in items if item["field"] == field]
        if not mine:
            continue
        documents = model.objects.bulk_create([
            model(record_ptr=next(records), cycle=cycle, owner_id=item["owner_id"], title=item["title"],
                  suspense=moved_suspense, **{f"{field}_id": item["plan_id"]})
            for item in mine
        ])
        issues.extend((document, [(owners[document.owner_id], why)]) for document in documents)
    # Both kinds' taskers, history and audit in one call: its statements do not grow with kinds.
    if issues:
        taskers_issue_bulk(issues=issues, step=Step.COMPLETION, suspense=suspense, by=by, action="assigned",
                           description=f"Assigned to {{organizations}} by the {cycle}, suspense {{suspense}}",
                           to_state=AssessmentState.ASSIGNED)
    return len(issues)


def cycle_launch(*, cycle: AssessmentCycle, by=None, task_id: str = "",
                 batch_size: int = LAUNCH_BATCH_SIZE) -> int:
    """Create one assessment per approved campaign plan (to its combatant command), per approved
    campaign support plan (to its owner) and per active security cooperation program (to
    USD(P)), each with a completion tasker whose suspense is the cycle's collection suspense.
    Idempotent: plans already assessed in this cycle are skipped, so a second launch creates
    none. Progress is committed per batch; the number of queries depends on the number of
    batches, not of plans. When the launch finishes the cycle opens collection. Returns the
    number of assessments created."""
    cycle = AssessmentCycle.objects.select_related("policy_office").get(pk=cycle.pk)
    if cycle.state not in COLLECTING_STATES:
        raise ActionRefused(f"The {cycle} is {state_label(cycle)}; only a launched cycle creates "
                            "assessments.")
    existing = PlanAssessment.objects.filter(cycle=cycle).count() + ProgramAssessment.objects.filter(cycle=cycle).count()
    AssessmentCycle.objects.filter(pk=cycle.pk).update(launch_total=existing + _pending_count(cycle),
                                                       launch_done=existing, launch_task_id=task_id[:100],
                                                       launch_finished_at=None)
    # One page of pending plans per batch, read under the cycle's lock (so what another launch
    # created meanwhile is not read again): memory and each batch's work do not grow with the
    # number of plans. Each page reads one item more than it takes, to know whether another
    # page follows without asking again.
    created, after = 0, None
    while True:
        with transaction.atomic():
            AssessmentCycle.objects.select_for_update().filter(pk=cycle.pk).values_list("pk").get()
            page = _pending_plans(cycle, after=after, limit=batch_size + 1)
            batch = page[:batch_size]
            if batch:
                after = _page_end(batch)
                created += _assessments_create(cycle=cycle, items=batch, by=by, suspense=cycle.collection_suspense)
                AssessmentCycle.objects.filter(pk=cycle.pk).update(launch_done=F("launch_done") + len(batch))
        if len(page) <= batch_size:
            break
    with transaction.atomic():
        AssessmentCycle.objects.filter(pk=cycle.pk).update(launch_finished_at=timezone.now())
        history_record(document=cycle, action="launched", actor=by,
                       description=f"Launch finished: {created} assessment{'s' if created != 1 else ''} created",
                       data={"created": created, "task_id": task_id})
    cycle = AssessmentCycle.objects.get(pk=cycle.pk)
    if cycle.state == CycleState.LAUNCHED:
        with contextlib.suppress(Conflict):  # a launch running at the same moment opened collection first
            transition_perform(document=cycle, name="open_collection", by=by, system=True)
    return created


def cycle_add_plan(*, cycle: AssessmentCycle, plan: PlanDocument, by) -> PlanAssessment:
    """Add a plan (of either kind) approved after launch: one assessment and its completion
    tasker, with a suspense no shorter than the standard for late additions. Administrators only."""
    _require_administrator(by)
    with transaction.atomic():
        cycle = AssessmentCycle.objects.select_for_update(of=("self",), no_key=True).select_related(
            "policy_office").get(pk=cycle.pk)
        if cycle.state not in ADDING_STATES:
            raise ActionRefused(f"Plans are added once the launch has finished, while the cycle collects "
                                f"assessments or is in joint review; the {cycle} is {state_label(cycle)}.")
        if plan.state != PlanState.APPROVED:
            raise ActionRefused(f"“{plan}” is {state_label(plan)}; only approved plans are assessed.")
        items = _pending_plans(cycle, plan_keys=[plan.plan_ptr_id])
        if not items:
            raise ActionRefused(f"“{plan}” already has an assessment in the {cycle}.")
        suspense = max(cycle.collection_suspense, suspense_for(working_days=LATE_ADDITION_WORKING_DAYS))
        _assessments_create(cycle=cycle, items=items, by=by, suspense=suspense)
        # The cycle's history is read by everyone in the cycle: it names the plan by reference,
        # never by title (the plan's own page shows the title to whom may see it).
        history_record(document=cycle, action="plan_added", actor=by,
                       description=f"Plan approved after launch added: {plan._meta.verbose_name} of "
                                   f"{plan.owner.acronym}, version {plan.version}",
                       data={"plan": {"type": plan._meta.label, "id": plan.pk}})
    return PlanAssessment.objects.get(cycle=cycle, plan=plan)


def cycle_plans_not_assessed(*, cycle: AssessmentCycle) -> list[dict]:
    """Plans approved since the launch with no assessment yet, of either kind (``plan_id`` is the
    ``Plan`` key): offered once the launch has finished (``ADDING_STATES``), never while it runs."""
    if cycle.state not in ADDING_STATES:
        return []
    return [item for item in _pending_plans(cycle) if item["field"] == "plan"]


def cycle_launch_preview(*, cycle: AssessmentCycle) -> dict:
    """What launching ``cycle`` now would do, for the confirmation the administrator reads: the
    assessments it would create (campaign plans, support plans and programs), the organizations
    tasked (with how many each) and the suspense. Plans are named by kind and owner (the cycle's
    pages are read by everyone in the cycle; a plan's title is for whom may see the plan)."""
    items = _pending_plans(cycle)
    kinds = {"campaign_plan": "campaign plan", "support_plan": "campaign support plan", "program": "program"}
    counts = {kind: sum(1 for item in items if item["kind"] == kind) for kind in kinds}
    tasked: dict[str, int] = {}
    for item in items:
        tasked[item["acronym"]] = tasked.get(item["acronym"], 0) + 1
    plans = sorted(f"{kinds[item['kind']].capitalize()} of {item['acronym']}" for item in items
                   if item["field"] != "program")
    programs = sorted(item["title"].split(": ", 1)[-1] for item in items if item["field"] == "program")
    suspense, note = working_day_on_or_after(cycle.collection_suspense)
    return {"total": len(items), "counts": counts, "plans": plans, "programs": programs,
            "tasked": dict(sorted(tasked.items())), "suspense": suspense, "suspense_note": note,
            "template": cycle.templates.filter(state=TemplateState.APPROVED).order_by("-version").first()}


# --- the template --------------------------------------------------------------------------

def template_create(*, cycle: AssessmentCycle, by, title: str = "", instructions: str = "",
                    copy_from: Template | None = None) -> Template:
    """A new version of the cycle's template, drafted by the Joint Staff, optionally copying the
    sections (with their question sets) and questions of ``copy_from``: an approved template of
    an earlier cycle (last year's, carried forward) or a version of this cycle's. The copy is a
    draft like any other, changed at will."""
    cycle = AssessmentCycle.objects.select_related("owner").get(pk=cycle.pk)
    capacity = template_create_check(cycle=cycle, by=by)
    if copy_from is not None:
        copy_from = Template.objects.select_related("cycle").get(pk=copy_from.pk)
        if copy_from.cycle_id != cycle.pk and (copy_from.state != TemplateState.APPROVED
                                               or copy_from.cycle.fiscal_year >= cycle.fiscal_year):
            message = (f"{copy_from} cannot be carried forward: a template starts from an approved template of an "
                       "earlier cycle, or from a version of its own cycle's.")
            raise InvalidInput(message, {"copy_from": [message]})
    with transaction.atomic():
        last = cycle.templates.order_by("-version").first()
        template = Template.objects.create(cycle=cycle, owner=cycle.owner, version=(last.version + 1) if last else 1,
                                           title=title or f"FY{cycle.fiscal_year} assessment template",
                                           instructions=instructions)
        if copy_from is not None:
            for section in copy_from.sections.prefetch_related("questions"):
                questions = list(section.questions.all())
                section.pk, section.template = None, template
                section.save()
                for question in questions:
                    question.pk, question.section = None, section
                Question.objects.bulk_create(questions)
        origin = ""
        if copy_from is not None:
            origin = (f" from version {copy_from.version}" if copy_from.cycle_id == cycle.pk
                      else f" from the FY{copy_from.cycle.fiscal_year} template (version {copy_from.version})")
        history_record(document=template, action="created", description=f"Template version {template.version} "
                                                                        f"drafted{origin}",
                       actor=by, capacity=capacity, to_state=template.state)
    return template


def template_carry_forward_source(cycle: AssessmentCycle) -> Template | None:
    """What a new template of ``cycle`` starts from: this cycle's latest version if it has one,
    else the approved template of the latest earlier cycle (last year's)."""
    own = cycle.templates.order_by("-version").first()
    if own is not None:
        return own
    return (Template.objects.filter(state=TemplateState.APPROVED, cycle__fiscal_year__lt=cycle.fiscal_year)
            .select_related("cycle").order_by("-cycle__fiscal_year", "-version").first())


class TemplateContentInvalid(InvalidInput):
    """A section's questions refused, with the rows at fault (``rows``: ``{"questions": {row
    index: {field: [sentences]}}}``) so that the admin's inline shows each sentence beside its row."""

    def __init__(self, reasons, field_errors=None, rows=None):
        super().__init__(reasons, field_errors)
        self.rows = rows or {}


QUESTION_FIELDS = ("position", "text", "guidance", "kind", "scale", "required")


def template_section_save(*, template: Template, by, section: TemplateSection | None = None, title: str,
                          position: int = 0, question_set: str = QuestionSet.EVERY,
                          questions: list[dict] | None = None) -> TemplateSection:
    """Add a section to a draft template, or change one, with its questions in order (each
    ``text``, ``guidance``, ``kind``, ``scale`` (a rating's levels, worst first), ``required``;
    one given with its ``id`` keeps that row, one left out is removed). All or nothing: every
    question at fault is named by its row. ``template_edit_check`` says who and when; the
    template's history records the change."""
    with transaction.atomic():
        template = Template.objects.select_for_update().select_related("owner").get(pk=template.pk)
        capacity = template_edit_check(template=template, by=by)
        if section is not None and section.template_id != template.pk:
            raise InvalidInput("This section is not in this template.")
        added = section is None
        section = section or TemplateSection(template=template)
        section.title, section.position, section.question_set = (title or "").strip(), position or 0, question_set
        _validated(section)
        section.save()
        count = section.questions.count()
        if questions is not None:
            kept = {item["id"] for item in questions if item.get("id")}
            existing = {question.pk: question for question in section.questions.filter(pk__in=kept)}
            built, rows = [], {}
            for index, item in enumerate(questions):
                question = existing.get(item.get("id")) or Question(section=section)
                for name in QUESTION_FIELDS:
                    if name in item:
                        setattr(question, name, item[name])
                if not item.get("position"):
                    question.position = index + 1
                if isinstance(question.text, str):
                    question.text = question.text.strip()
                try:
                    question.full_clean(exclude=["section"])
                except ValidationError as exc:
                    rows[index] = exc.message_dict
                built.append(question)
            if rows:
                reasons = [f"Question {index + 1}: {message}" for index, faults in rows.items()
                           for messages in faults.values() for message in messages]
                raise TemplateContentInvalid(reasons, {"questions": reasons}, {"questions": rows})
            section.questions.exclude(pk__in=kept).delete()
            for question in built:
                question.save()
            count = len(built)
        history_record(document=template, action="section_added" if added else "section_changed", actor=by,
                       capacity=capacity,
                       description=f"Section “{section.title}” {'added' if added else 'changed'} "
                                   f"({section.get_question_set_display().lower()}): {count} "
                                   f"question{'s' if count != 1 else ''}")
    return section


def template_create_check(*, cycle: AssessmentCycle, by) -> Capacity:
    """Raise unless ``by`` may draft a template version for ``cycle`` now."""
    capacity = acting_capacity(user=by, organization=cycle.owner, roles=ANSWER_ROLES)
    if capacity is None:
        raise NotPermitted(f"Only an action officer or approver of {organization_label(cycle.owner)} drafts the template.")
    if cycle.state != CycleState.TEMPLATE:
        raise ActionRefused(f"The {cycle} is {state_label(cycle)}; templates are drafted in the "
                            "template phase.")
    return capacity


def template_edit_check(*, template: Template, by) -> Capacity:
    """Raise unless ``by`` may change ``template`` now: a draft not frozen, by an action officer or
    approver of the office that drafts it. The admin's permission to change a template is this rule."""
    capacity = acting_capacity(user=by, organization=template.owner_id, roles=ANSWER_ROLES)
    if capacity is None:
        raise NotPermitted(f"Only an action officer or approver of {organization_label(template.owner)} changes the template.")
    if template.frozen or template.state != TemplateState.DRAFT:
        raise ActionRefused(f"Only a draft template is changed; {template} is "
                            f"{'frozen' if template.frozen else state_label(template)}.")
    return capacity


def template_update(*, template: Template, by, title: str | None = None, instructions: str | None = None,
                    sections: list[dict] | None = None) -> Template:
    """Change a draft template: its title, instructions and sections (``position``, ``title``; a
    section given with its ``id`` keeps that row and its questions; one left out is removed with its
    questions). All or nothing; ``template_edit_check`` says who and when."""
    with transaction.atomic():
        template = Template.objects.select_for_update().select_related("owner").get(pk=template.pk)
        template_edit_check(template=template, by=by)
        for name, value in (("title", title), ("instructions", instructions)):
            if value is not None:
                setattr(template, name, value)
        _validated(template)
        template.save(update_fields=["title", "instructions"])
        if sections is not None:
            kept = {item["id"] for item in sections if item.get("id")}
            template.sections.exclude(pk__in=kept).delete()
            existing = {section.pk: section for section in template.sections.filter(pk__in=kept)}
            for item in sections:
                section = existing.get(item.get("id")) or TemplateSection(template=template)
                section.position, section.title = item.get("position") or 0, item.get("title") or ""
                section.question_set = item.get("question_set") or section.question_set
                _validated(section)
                section.save()
    return template


def template_enter_consultation(template: Template, context: TransitionContext) -> None:
    """Task USD(P) to answer the consultation (concur, concur with comment, non-concur)."""
    by, capacity = context.by, context.capacity
    taskers_issue(document=template, step=Step.CONSULTATION,
                  participants=[(template.cycle.policy_office, "consulted on the template (Encl. 2, 9.c)")],
                  by=by, working_days=10, capacity=capacity)


def template_revise(template: Template, context: TransitionContext) -> None:
    """Close the consultation: the template goes back to the drafters."""
    taskers_cancel_open(document=template, reason=f"Template revised: {context.comment}")


def template_approve(template: Template, context: TransitionContext) -> None:
    template.approved_at = timezone.now()


# --- assessments ---------------------------------------------------------------------------

def _owner_capacity(document: AssessmentDocument, by) -> Capacity:
    capacity = acting_capacity(user=by, organization=document.owner, roles=ANSWER_ROLES)
    if capacity is None:
        raise NotPermitted(f"Only an action officer or approver of {organization_label(document.owner)} may answer this assessment.")
    return capacity


def _lock(document: AssessmentDocument) -> AssessmentDocument:
    # The document's row only: the cycle and the owner read with it are referenced by every
    # other document's writes (FOR UPDATE on them would hold up unrelated work).
    locked = type(document).objects.select_for_update(of=("self",), no_key=True).select_related(
        "cycle", "owner").get(pk=document.pk)
    return locked


# A draft is saved at any time until it is submitted, and again once returned: saving an
# assigned or returned assessment starts (or resumes) the work, through the engine (``_begin_work``).
DRAFT_STATES = {AssessmentState.ASSIGNED: "start", AssessmentState.IN_PROGRESS: "", AssessmentState.RETURNED: "resume"}


def _require_editable(document: AssessmentDocument) -> None:
    if document.state not in DRAFT_STATES:
        raise ActionRefused(f"The assessment is {state_label(document)}; answers can be changed only until it is "
                            "submitted, or once it is returned for rework.")
    if document.state != AssessmentState.IN_PROGRESS:
        reasons = conditions.cycle_collecting(document)
        if reasons:
            raise ActionRefused(reasons)


def _begin_work(document: AssessmentDocument, by) -> AssessmentDocument:
    """An assigned assessment is started, a returned one resumed, by the first save (the engine's
    transition, as the person saving: it is in their history); one in progress is as it is."""
    name = DRAFT_STATES.get(document.state)
    if not name:
        return document
    transition_perform(document=document, name=name, by=by)
    return _lock(document)


def answers_edit_check(*, document: AssessmentDocument, by) -> Capacity:
    """Raise unless ``by`` may change the answers of ``document`` now (its owner's action officers
    and approvers, from its assignment until it is submitted, and once returned, while the cycle
    collects); the admin and the API ask before offering the form."""
    capacity = _owner_capacity(document, by)
    _require_editable(document)
    return capacity


def _is_number(text: str) -> bool:
    try:
        return decimal.Decimal(text.strip().replace(",", "")).is_finite()
    except decimal.InvalidOperation:
        return False


def answer_save(*, document: AssessmentDocument, question: Question, by, objective=None, rating: str = "",
                justification: str = "", text: str = "") -> Answer:
    """Record (or change) one answer. Only the owner's members, only while in progress; a rating
    is a label of the question's scale and needs a justification; a per-objective rating names
    an objective of the assessed plan."""
    with transaction.atomic():
        document = _lock(document)
        capacity = _owner_capacity(document, by)
        _require_editable(document)
        template = cycle_template(document.cycle)
        errors: dict[str, list[str]] = {}
        if template is None or question.section.template_id != template.pk:
            errors["question"] = ["This question is not in the cycle's template."]
        elif question.section.question_set not in QUESTION_SETS_OF[document.question_set_key]:
            errors["question"] = [f"This question is for {question.section.get_question_set_display().lower()}, "
                                  f"not this {document._meta.verbose_name}."]
        if question.is_rating:
            if rating not in question.scale:
                errors["rating"] = [f"Choose one of: {', '.join(question.scale)}."]
            if not justification.strip():
                errors["justification"] = ["A rating needs a justification."]
        if question.kind == QuestionKind.OBJECTIVE_RATING:
            if objective is None or not document.objectives().filter(pk=objective.pk).exists():
                errors["objective"] = ["Name an objective of the assessed plan."]
        elif objective is not None:
            errors["objective"] = ["Only a per-objective rating names an objective."]
        if question.kind == QuestionKind.NARRATIVE and not text.strip():
            errors["text"] = ["The answer needs text."]
        elif question.kind == QuestionKind.YES_NO and text.strip() not in YES_NO_ANSWERS:
            errors["text"] = ["Answer yes or no."]
        elif question.kind == QuestionKind.NUMBER and not _is_number(text):
            errors["text"] = ["Enter a number, e.g. 12 or 3.5."]
        if errors:
            raise InvalidInput([m for ms in errors.values() for m in ms], errors)
        document = _begin_work(document, by)
        answer, _created = Answer.objects.update_or_create(
            assessment=document, question=question, objective=objective,
            defaults={"rating": rating if question.is_rating else "", "justification": justification.strip(),
                      "text": text.strip(), "answered_by": by},
        )
        history_record(document=document, action="answered", actor=by, capacity=capacity,
                       description=f"Answered “{question.text[:80]}”"
                                   + (f" for {objective.code}" if objective else "")
                                   + (f": {rating}" if question.is_rating else ""))
    return answer


def assessment_update(*, document: AssessmentDocument, by, **fields) -> AssessmentDocument:
    """Write the changes in the strategic environment and recommended changes to guidance."""
    allowed = {"strategic_environment_changes", "recommended_guidance_changes"}
    unknown = set(fields) - allowed
    if unknown:
        raise InvalidInput(f"Unknown fields: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        document = _lock(document)
        capacity = _owner_capacity(document, by)
        _require_editable(document)
        document = _begin_work(document, by)
        for name, value in fields.items():
            setattr(document, name, value.strip())
        document.save(update_fields=list(fields))
        history_record(document=document, action="updated", actor=by, capacity=capacity,
                       description="Assessment text updated: " + ", ".join(sorted(fields)).replace("_", " "))
    return document


def assessment_answers_save(*, document: AssessmentDocument, by, answers: Iterable[dict],
                            **fields) -> AssessmentDocument:
    """Save the assessment's texts (``assessment_update``, when any are given) and each answer
    (``answer_save``: ``question``, ``objective``, ``rating``, ``justification``, ``text``) in one
    transaction: if any is refused nothing is saved. Invalid answers are reported together, each
    field named ``answers[i].<field>`` and each sentence prefixed with its question."""
    answers = list(answers)
    with transaction.atomic():
        document = _lock(document)
        answers_edit_check(document=document, by=by)
        if fields:
            document = assessment_update(document=document, by=by, **fields)
        reasons: list[str] = []
        field_errors: dict[str, list[str]] = {}
        for index, item in enumerate(answers):
            question, objective = item["question"], item.get("objective")
            try:
                with transaction.atomic():
                    answer_save(document=document, question=question, by=by, objective=objective,
                                rating=item.get("rating") or "", justification=item.get("justification") or "",
                                text=item.get("text") or "")
            except InvalidInput as exc:
                label = f"“{question.text[:60]}”" + (f" ({objective.code})" if objective is not None else "")
                reasons.extend(f"{label}: {reason}" for reason in exc.reasons)
                for name, messages in (exc.field_errors or {"question": exc.reasons}).items():
                    field_errors.setdefault(f"answers[{index}].{name}", []).extend(messages)
        if reasons:
            raise InvalidInput(reasons, field_errors)
        document = _begin_work(_lock(document), by)  # saved with nothing in it: started all the same
    return document


def assessment_enter_submitted(assessment: AssessmentDocument, context: TransitionContext) -> None:
    """Stamp the submission (the first one decides on time or late) and answer the tasker."""
    by, capacity = context.by, context.capacity
    now = timezone.now()
    assessment.submitted_at = now
    assessment.first_submitted_at = assessment.first_submitted_at or now
    taskers_close_answered(document=assessment, step=Step.COMPLETION, by=by, response=Response.COMPLETED,
                           capacity=capacity)


def assessment_enter_returned(assessment: AssessmentDocument, context: TransitionContext) -> None:
    """Record the reason and task the owner again, with a fresh suspense, to rework the assessment."""
    by, capacity = context.by, context.capacity
    assessment.return_reason = context.comment.strip()
    taskers_issue(document=assessment, step=Step.COMPLETION,
                  participants=[(assessment.owner, f"returned for rework by {assessment.reviewing_organization}")],
                  by=by, working_days=10, capacity=capacity)


def assessment_accept(assessment: AssessmentDocument, context: TransitionContext) -> None:
    assessment.accepted_at = timezone.now()


def assessment_evaluate(assessment: AssessmentDocument, context: TransitionContext) -> None:
    assessment.evaluated_at = timezone.now()


def cycle_transition(*, cycle: AssessmentCycle, name: str, by, comment: str = "") -> AssessmentCycle:
    """Convenience for callers that move the cycle (admin, demo): the engine's one path."""
    return transition_perform(document=cycle, name=name, by=by, comment=comment)


