"""Writes of the assessment cycle. Every transition goes through
``workflow.services.transition_perform``; the functions taking ``(document, context)`` are the
effects a transition has, each named beside its transition in ``assessments.workflows`` (the
engine calls it from there). Launch creates assessments and their taskers in bulk."""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from organizations.models import Organization
from organizations.selectors import Capacity, acting_capacity
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

from .models import (
    ANSWER_ROLES,
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


def cycle_enter_joint_review(cycle: AssessmentCycle, context: TransitionContext) -> None:
    """Task the Joint Staff office with the joint review, by the suspense set at setup."""
    cycle_enter_phase(cycle=cycle, step=Step.REVIEW, organization=cycle.owner, suspense=cycle.joint_review_suspense)


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


def _pending_plans(cycle: AssessmentCycle, *, plan_keys: Iterable[int] | None = None) -> list[dict]:
    """Approved plans (and active programs) of no assessment of this cycle yet: one query per
    kind of plan, one for the programs. ``plan_keys`` (``Plan`` keys) narrows to those plans."""
    items = []
    assessed = PlanAssessment.objects.filter(cycle=cycle).values("plan_id")
    for model in Plan.kinds():
        plans = model.objects.filter(state=PlanState.APPROVED).exclude(plan_ptr__in=assessed)
        if plan_keys is not None:
            plans = plans.filter(plan_ptr__in=list(plan_keys))
        for key, owner_id, acronym, title in plans.values_list("plan_ptr", "owner_id", "owner__acronym", "title"):
            items.append({"field": "plan", "plan_id": key, "owner_id": owner_id, "acronym": acronym,
                          "title": f"FY{cycle.fiscal_year} assessment: {title}"[:300]})
    if plan_keys is None:
        programs = Program.objects.filter(active=True).exclude(
            pk__in=ProgramAssessment.objects.filter(cycle=cycle).values("program_id"))
        for pk, name in programs.values_list("pk", "name"):
            items.append({"field": "program", "plan_id": pk, "owner_id": cycle.policy_office_id,
                          "acronym": cycle.policy_office.acronym,
                          "title": f"FY{cycle.fiscal_year} program assessment: {name}"[:300]})
    return items


def _pending_count(cycle: AssessmentCycle) -> int:
    return len(_pending_plans(cycle))


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
    pending = _pending_plans(cycle)
    existing = PlanAssessment.objects.filter(cycle=cycle).count() + ProgramAssessment.objects.filter(cycle=cycle).count()
    AssessmentCycle.objects.filter(pk=cycle.pk).update(launch_total=existing + len(pending), launch_done=existing,
                                                       launch_task_id=task_id[:100], launch_finished_at=None)
    created = 0
    for start in range(0, len(pending), batch_size):
        batch = pending[start:start + batch_size]
        with transaction.atomic():
            AssessmentCycle.objects.select_for_update().filter(pk=cycle.pk).values_list("pk").get()
            batch = _still_pending(cycle, batch)
            created += _assessments_create(cycle=cycle, items=batch, by=by, suspense=cycle.collection_suspense)
            AssessmentCycle.objects.filter(pk=cycle.pk).update(launch_done=F("launch_done") + len(batch))
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


def _still_pending(cycle: AssessmentCycle, batch: list[dict]) -> list[dict]:
    """Drop what another launch created meanwhile (one query per batch and relation)."""
    plan_keys = [i["plan_id"] for i in batch if i["field"] == "plan"]
    program_ids = [i["plan_id"] for i in batch if i["field"] == "program"]
    taken = {"plan": set(PlanAssessment.objects.filter(cycle=cycle, plan_id__in=plan_keys)
                         .values_list("plan_id", flat=True)) if plan_keys else set(),
             "program": set(ProgramAssessment.objects.filter(cycle=cycle, program_id__in=program_ids)
                            .values_list("program_id", flat=True)) if program_ids else set()}
    return [item for item in batch if item["plan_id"] not in taken[item["field"]]]


def cycle_add_plan(*, cycle: AssessmentCycle, plan: PlanDocument, by) -> PlanAssessment:
    """Add a plan (of either kind) approved after launch: one assessment and its completion
    tasker, with a suspense no shorter than the standard for late additions. Administrators only."""
    _require_administrator(by)
    with transaction.atomic():
        cycle = AssessmentCycle.objects.select_for_update(of=("self",), no_key=True).select_related(
            "policy_office").get(pk=cycle.pk)
        if cycle.state not in COLLECTING_STATES:
            raise ActionRefused(f"Plans can be added while the cycle collects assessments; the {cycle} is "
                                f"{state_label(cycle)}.")
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
    """The approved plans, of either kind, that have no assessment in the cycle yet (``plan_id``
    is the ``Plan`` key)."""
    return [item for item in _pending_plans(cycle) if item["field"] == "plan"]


# --- the template --------------------------------------------------------------------------

def template_create(*, cycle: AssessmentCycle, by, title: str = "", instructions: str = "",
                    copy_from: Template | None = None) -> Template:
    """A new version of the cycle's template, drafted by the Joint Staff, optionally copying the
    sections and questions of ``copy_from`` (e.g. last year's)."""
    cycle = AssessmentCycle.objects.select_related("owner").get(pk=cycle.pk)
    capacity = template_create_check(cycle=cycle, by=by)
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
        history_record(document=template, action="created", description=f"Template version {template.version} drafted",
                       actor=by, capacity=capacity, to_state=template.state)
    return template


def template_create_check(*, cycle: AssessmentCycle, by) -> Capacity:
    """Raise unless ``by`` may draft a template version for ``cycle`` now."""
    capacity = acting_capacity(user=by, organization=cycle.owner, roles=ANSWER_ROLES)
    if capacity is None:
        raise NotPermitted(f"Only an action officer or approver of {cycle.owner} drafts the template.")
    if cycle.state != CycleState.TEMPLATE:
        raise ActionRefused(f"The {cycle} is {state_label(cycle)}; templates are drafted in the "
                            "template phase.")
    return capacity


def template_edit_check(*, template: Template, by) -> Capacity:
    """Raise unless ``by`` may change ``template`` now: a draft not frozen, by an action officer or
    approver of the office that drafts it. The admin's permission to change a template is this rule."""
    capacity = acting_capacity(user=by, organization=template.owner_id, roles=ANSWER_ROLES)
    if capacity is None:
        raise NotPermitted(f"Only an action officer or approver of {template.owner} changes the template.")
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
        raise NotPermitted(f"Only an action officer or approver of {document.owner} may answer this assessment.")
    return capacity


def _lock(document: AssessmentDocument) -> AssessmentDocument:
    # The document's row only: the cycle and the owner read with it are referenced by every
    # other document's writes (FOR UPDATE on them would hold up unrelated work).
    locked = type(document).objects.select_for_update(of=("self",), no_key=True).select_related(
        "cycle", "owner").get(pk=document.pk)
    return locked


def _require_editable(document: AssessmentDocument) -> None:
    if not document.is_editable:
        raise ActionRefused(f"The assessment is {state_label(document)}; answers can be changed only "
                            "while it is in progress.")


def answers_edit_check(*, document: AssessmentDocument, by) -> Capacity:
    """Raise unless ``by`` may change the answers of ``document`` now (its owner's action officers
    and approvers, while it is in progress); the admin and the API ask before offering the form."""
    capacity = _owner_capacity(document, by)
    _require_editable(document)
    return capacity


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
        if errors:
            raise InvalidInput([m for ms in errors.values() for m in ms], errors)
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


