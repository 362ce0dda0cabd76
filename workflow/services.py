"""Writes of the workflow engine: the one path every action takes, whoever calls it (admin,
API, management command, Celery task).

``transition_perform`` = lock the row -> state, actor and conditions (every reason collected)
-> the transition's own effects (taskers...) -> save (refused if the state moved under us)
-> history -> tasks on commit.

A document kind plugs in by signing the contract ``workflow.models.RoutedDocument`` (typed as
``workflow.rules.DocumentKind``) and declaring its workflow in one ``workflow.rules.Workflow``
table (its app's ``workflows.py``): the engine calls each transition's effect from there.
"""

from __future__ import annotations

import copy
import datetime
import functools
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import OperationalError, router, transaction
from django.db.models import JSONField, QuerySet
from django.db.models.query import MAX_GET_RESULTS
from django.db.models.signals import post_save, pre_save
from django.utils import timezone
from django_fsm import ConcurrentTransition, ConcurrentTransitionMixin, FSMFieldMixin

from organizations.models import Organization, Role, with_article
from organizations.selectors import (
    Capacity,
    acting_capacity,
    designation_holders,
    designation_name,
    organization_label,
    with_organization_labels,
)
from runtime.compiled import Statement

from .calendar import add_working_days, working_day_on_or_after
from .exceptions import (
    ActionRefused,
    Conflict,
    InvalidInput,
    NotPermitted,
    TransitionRefused,
    UnknownTransition,
    lock_conflict,
)
from .models import (
    OPEN_TASKER_STATES,
    ROLES_WHO_ANSWER,
    Comment,
    CommentCategory,
    Decision,
    FormDraft,
    HistoryEntry,
    Response,
    Route,
    RouteStep,
    Step,
    Tasker,
    TaskerState,
)
from .registry import REVIEWING_STEPS, document_kinds, owner_approves
from .rules import SYSTEM_ONLY_REASON, TransitionContext, TransitionRules
from .selectors import (
    document_read_once,
    document_taskers,
    document_taskers_forget,
    route_default,
    route_steps_resolved,
    route_steps_successors,
    step_suspense_days,
)
from .signals import history_appended, suspense_moved, taskers_closed, taskers_issued

RESPONSES_BY_STEP = {
    Step.COORDINATION: (Response.CONCUR, Response.CONCUR_WITH_COMMENT, Response.NONCONCUR),
    Step.REVIEW: (Response.CONCUR, Response.CONCUR_WITH_COMMENT),
    Step.CONSULTATION: (Response.CONCUR, Response.CONCUR_WITH_COMMENT, Response.NONCONCUR),
}


@dataclass
class TransitionOption:
    name: str
    label: str
    allowed: bool
    reasons: list[str]
    comment_required: bool
    comment_label: str
    confirm: str
    fields: tuple[str, ...]
    destructive: bool = False
    # Whether it starts from the document's state (else its reason is only "Not possible while …").
    from_here: bool = True


# --- locking -------------------------------------------------------------------------------

LOCK_ATTEMPTS = 3


def retried_on_lock_failure(service):
    """Run ``service`` again (up to ``LOCK_ATTEMPTS`` times in all, after a short random pause)
    when the database ends it with a deadlock, a serialization failure or a lock timeout, then
    answer ``Conflict``: the failed attempt wrote nothing, and another attempt usually succeeds
    once the other writer is done. Inside a caller's transaction nothing can be retried (the
    transaction is lost): the error goes up to the outermost service, or to the edge."""

    @functools.wraps(service)
    def attempt(*args, **kwargs):
        for number in range(1, LOCK_ATTEMPTS + 1):
            try:
                return service(*args, **kwargs)
            except OperationalError as exc:
                conflict = lock_conflict(exc)
                if conflict is None or transaction.get_connection().in_atomic_block:
                    raise
                if number == LOCK_ATTEMPTS:
                    raise conflict from exc
                time.sleep(random.uniform(0.02, 0.08) * number)  # noqa: S311 (jitter, not secrecy)
        raise AssertionError("unreachable")

    return attempt


@dataclass
class Locked:
    """What ``document_lock`` holds: the document, then the taskers and comments asked for."""

    document: object
    taskers: dict[int, Tasker]
    comments: dict[int, Comment]


def document_lock(*, model, pk: int, tasker_ids=(), comment_ids=()) -> Locked:
    """Lock for a write, in the engine's one order: the document first, then its taskers (by
    id), then its comments (by id). Every write that touches a document and its taskers or
    comments takes its locks here, so two writers never wait for each other in a circle.
    The locks name only these rows (``FOR NO KEY UPDATE OF`` the table itself): never an
    organization or content type read alongside, which every other document's writes
    reference; and rows pointing at them (history, comments) can still be added. Inside a
    transaction only (the caller's ``transaction.atomic``)."""
    document = _DOCUMENT_LOCK.get(model, pk)

    def rows_of_document(row_model, ids, related):
        # The document's own rows only (an id of another document's row locks nothing), by id.
        if not ids:
            return {}
        rows = (row_model.objects.select_for_update(of=("self",), no_key=True).select_related(*related)
                .filter(pk__in=ids, content_type=ContentType.objects.get_for_model(model), object_id=pk)
                .order_by("pk"))
        return {row.pk: row for row in rows}

    return Locked(document=document,
                  taskers=rows_of_document(Tasker, tasker_ids, ("organization", "content_type")),
                  comments=rows_of_document(Comment, comment_ids, ("tasker", "organization")))


def _document_locked(model, pk):
    """The statement of ``document_lock``'s first lock, as ``QuerySet.get`` sends it."""
    rows = model.objects.select_for_update(of=("self",), no_key=True)
    workflow = getattr(model, "workflow", None)
    if workflow is not None and workflow.lock_reads is not None:
        rows = rows.annotate(**workflow.lock_reads(model))
    return rows.filter(pk=pk).order_by()[:MAX_GET_RESULTS]


# Compiled once per kind (runtime.compiled): every transition sends it.
_DOCUMENT_LOCK = Statement(_document_locked, name="document_lock")


def _document_model(ref):
    """The model of the document a tasker or comment belongs to (content types are cached)."""
    return ContentType.objects.get_for_id(ref.content_type_id).model_class()


# --- definitions ---------------------------------------------------------------------------

def transition_rules(model, name: str) -> TransitionRules:
    method = getattr(model, name, None)
    rules = getattr(method, "workflow_rules", None)
    if rules is None:
        raise UnknownTransition(f"There is no step called “{name}” for {with_article(str(model._meta.verbose_name))}.")
    return rules


def declared_transitions(model) -> list[tuple[TransitionRules, set[str]]]:
    """Every transition of the model in declaration order, with its source states."""
    state_field = model._meta.get_field("state")
    by_name: dict[str, tuple[TransitionRules, set[str]]] = {}
    for transition in state_field.get_all_transitions(model):
        rules = transition.custom.get("rules")
        if rules is None:
            continue
        by_name.setdefault(rules.name, (rules, set()))[1].add(transition.source)
    return sorted(by_name.values(), key=lambda item: item[0].order)


def state_label(document, state: str | None = None) -> str:
    """The state's label as the model writes it, for the middle of a sentence: only its first
    letter lower-cased ("in consultation with USD(P)", never "in consultation with usd(p)")."""
    state = document.state if state is None else state
    label = str(dict(type(document)._meta.get_field("state").choices).get(state, state))
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


def kind_label(document) -> str:
    return str(type(document)._meta.verbose_name)


# --- routes --------------------------------------------------------------------------------

def route_snapshot_take(*, document) -> None:
    """Freeze the route a document starts with: later edits of the route, and later changes of
    who holds a designation, don't touch it. A step naming a designated office is stored with the
    organization holding it now. Refused when no one holds a designation the route names, or
    when the route would make the document's owner approve its own document (unless the kind's
    owner approves, as a support plan's)."""
    route = document.route if document.route_id else None  # a route option set on the document
    if route is None or route.document_kind != document.workflow_kind:
        route = route_default(document.workflow_kind)
    if route is None:
        raise TransitionRefused(f"No route is configured for {with_article(kind_label(document))}; an administrator "
                                "must set one up under Workflow › Routes.")
    steps = route_steps_successors(route_steps_resolved(route))  # the offices holding the duties today
    reasons = [f"No organization holds the designation of the {designation_name(s['designation'])}; an "
               "administrator must assign it before this route can be used."
               for s in steps if s["designation"] and not s["organization_id"]]
    owner_id = getattr(document, "owner_id", None)
    if owner_id and not owner_approves(document.workflow_kind) and any(
            s["step"] == Step.APPROVAL and s["organization_id"] == owner_id for s in steps):
        reasons.append(f"The route makes {organization_label(document.owner)} the approver of its own {kind_label(document)}; "
                       "an administrator must correct the route.")
    if reasons:
        raise TransitionRefused(reasons)
    document.route = route
    document.route_snapshot = {
        "route_id": route.pk,
        "route_name": route.name,
        "taken_at": timezone.now().isoformat(),
        "steps": steps,
    }


@dataclass(frozen=True)
class RouteStepSpec:
    """One step of a route as an editor gives it: exactly one of ``organization``,
    ``designation`` and ``relation``."""

    step: str
    organization: Organization | None = None
    designation: str = ""
    relation: str = ""
    suspense_working_days: int = 10
    authority: str = ""  # the paragraph of the directive (or the practice) the step implements


def _step_who(spec) -> str:
    if spec.organization is not None:
        return str(spec.organization.acronym)
    if spec.designation:
        return f"the {designation_name(spec.designation)}"
    return f"“{spec.relation.replace('_', ' ')}”"


def route_steps_refusals(*, document_kind: str, steps) -> list[str]:
    """Why these steps cannot be the route of ``document_kind`` (nothing when they can), in the
    editors' words. Review and approval are reviewing authority, which is a designated office
    (``organizations.Designation``), never an organization named at will: the step follows the
    designation when it moves. A kind whose owner signs its documents (a support plan) may name
    "owner" as its approval; no other route makes the owner approve its own document."""
    from .registry import reviewing_designations

    model = document_kinds().get(document_kind)
    kind = str(model._meta.verbose_name) if model is not None else document_kind.replace("_", " ")
    offices = " or ".join(f"the {designation_name(d)}" for d in reviewing_designations(document_kind))
    example = f" (for {with_article(kind)}: {offices})" if offices else ""
    reasons = []
    for number, spec in enumerate(steps, start=1):
        if spec.step not in REVIEWING_STEPS or spec.designation:
            continue
        label = f"Step {number} ({Step(spec.step).label.lower()})"
        if spec.step == Step.APPROVAL and spec.relation == "owner":
            if not owner_approves(document_kind):
                reasons.append(f"{label}: {with_article(kind)}'s owner may not approve its own document; name a designated "
                               f"office{example}.")
            continue
        article = "an" if spec.step == Step.APPROVAL else "a"
        reasons.append(f"{label} names {_step_who(spec)}: {article} {Step(spec.step).label.lower()} step must name a "
                       f"designated office{example}, so that it follows the designation"
                       + (", or “owner” for the owner's signature." if spec.step == Step.APPROVAL
                          and owner_approves(document_kind) else "."))
    return reasons


def route_describe(route: Route) -> dict:
    """What a route says, in words, for the audit trail (before and after a change)."""
    return {"name": route.name, "document_kind": route.document_kind, "is_default": route.is_default,
            "steps": [f"{s.get_step_display()}: {_step_who(s)} ({s.suspense_working_days} working days)"
                      + (f" [{s.authority}]" if s.authority else "")
                      for s in route.steps.select_related("organization").order_by("position", "pk")]}


def route_change_record(*, route: Route, by, before: dict | None, request=None) -> None:
    """Record in the audit trail who changed ``route`` and how (nothing when nothing changed).
    The change applies to documents that start their route afterwards: those in flight keep
    their snapshot."""
    from security.audit import audit_record
    from security.models import AuditAction

    after = route_describe(route)
    if before == after:
        return
    what = "created" if before is None else "changed"
    audit_record(action=AuditAction.ADMIN_CHANGE, user=by, request=request, obj=route,
                 description=f"Route “{route.name}” ({route.document_kind}) {what}; applies to documents that "
                             "start their route from now on (documents in flight keep their snapshot).",
                 detail={"route": route.pk, "before": before, "after": after})


def route_default_ensure(*, kind: str, name: str, steps, counts: dict[str, int] | None = None) -> Route | None:
    """Create the default route of ``kind`` from ``steps`` (step, designation, relation, working
    days, the paragraph of the directive the step implements), unless the kind has a route
    already (an office may have changed it since). Refused, with the reason, when an office the
    steps name is not held yet or the steps break a route rule. Counts "route created" or "route
    unchanged" in ``counts``. Returns the route created, or None."""
    counts = counts if counts is not None else {}
    if Route.objects.filter(document_kind=kind).exists():
        counts["route unchanged"] = counts.get("route unchanged", 0) + 1
        return None
    held = designation_holders()
    missing = sorted(f"the {designation_name(d)}" for _, d, _, _, _ in steps if d and not held.get(d))
    if missing:
        raise RuntimeError(f"Cannot create the default {kind} route: load the organizations first "
                           f"(missing {', '.join(missing)}).")
    specs = [RouteStepSpec(step=step, designation=designation, relation=relation, suspense_working_days=days,
                           authority=f"DoDD 5132.03, {why}" if why and not why.startswith("DoDD") else why)
             for step, designation, relation, days, why in steps]
    reasons = route_steps_refusals(document_kind=kind, steps=specs)
    if reasons:
        raise RuntimeError(f"The default {kind} route is refused: {' '.join(reasons)}")
    route = Route.objects.create(document_kind=kind, name=name, is_default=True)
    RouteStep.objects.bulk_create([
        RouteStep(route=route, step=spec.step, designation=spec.designation, relation=spec.relation,
                  suspense_working_days=spec.suspense_working_days, position=position, authority=spec.authority)
        for position, spec in enumerate(specs)])
    counts["route created"] = counts.get("route created", 0) + 1
    return route


def route_update(*, route: Route, by, steps: list[RouteStepSpec], name: str | None = None,
                 is_default: bool | None = None, request=None) -> Route:
    """Replace the steps of ``route`` (and its name or default flag), validated by
    ``route_steps_refusals`` and recorded in the audit trail. Documents already routed keep their
    snapshot; the route applies to those that start after it. Only the office that owns the
    kind's procedure changes it (``workflow/permissions.py``); ``by=None`` is the reference data loader."""
    if by is not None:
        from organizations.authority import may

        from .registry import procedure_owner

        if not may(by, "change", route):
            owner = procedure_owner(route.document_kind)
            office = f"the {designation_name(owner)}" if owner else "no one"
            raise NotPermitted(f"Only the action officers and approvers of the office that owns this "
                                f"procedure ({office}) may change its route.")
    reasons = route_steps_refusals(document_kind=route.document_kind, steps=steps)
    if reasons:
        raise InvalidInput(reasons, {"steps": reasons})
    with transaction.atomic():
        route = Route.objects.select_for_update().get(pk=route.pk)
        before = route_describe(route)
        if name is not None:
            route.name = name
        if is_default is not None:
            route.is_default = is_default
        route.save()
        route.steps.all().delete()
        for position, spec in enumerate(steps):
            step = route.steps.model(route=route, step=spec.step, organization=spec.organization,
                                     designation=spec.designation, relation=spec.relation,
                                     suspense_working_days=spec.suspense_working_days, position=position,
                                     authority=spec.authority)
            try:
                step.full_clean(exclude=["route"])
            except ValidationError as error:
                raise InvalidInput([f"Step {position + 1}: {m}" for m in error.messages]) from error
            step.save()
        route_change_record(route=route, by=by, before=before, request=request)
    return route


# --- history -------------------------------------------------------------------------------

def history_record(*, document, action: str, description: str, actor=None, capacity: Capacity | None = None,
                   from_state: str = "", to_state: str = "", comment: str = "", data: dict | None = None,
                   caused_by=None) -> HistoryEntry:
    """Append one entry to the document's history (who, for which organization, on whose
    delegation), with its audit event (``history_append``). An event of the system itself (no
    ``actor``) names ``caused_by``, the person whose action caused it."""
    return history_append([history_entry(
        document=document, action=action, description=description, actor=actor, capacity=capacity,
        from_state=from_state, to_state=to_state, comment=comment, data=data, caused_by=caused_by)])[0]


def history_entry(*, document, action: str, description: str, actor=None, capacity: Capacity | None = None,
                  from_state: str = "", to_state: str = "", comment: str = "", data: dict | None = None,
                  caused_by=None, at: datetime.datetime | None = None) -> HistoryEntry:
    """The unsaved entry ``history_record`` appends (``history_append`` appends many)."""
    return HistoryEntry(
        content_type=ContentType.objects.get_for_model(type(document)), object_id=document.pk,
        action=action, description=description[:300], from_state=from_state, to_state=to_state,
        actor=actor, acting_for_id=capacity.organization_id if capacity else None,
        on_behalf_of_id=capacity.on_behalf_of_id if capacity else None, comment=comment, data=data or {},
        caused_by=caused_by if actor is None else None, **({"at": at} if at is not None else {}),
    )


def history_append(entries: list[HistoryEntry]) -> list[HistoryEntry]:
    """Append ``entries`` to the documents' history, and exactly one audit event per entry (the
    audit trail's copy of the event, chained, naming the entry): the one writer of both trails.
    Statements: one INSERT of the entries and one of the events, which on PostgreSQL reads the
    audit chain's head under its lock in the same statement (elsewhere one read more), whatever
    the number of entries (SQLite splits long INSERTs into batches). All or nothing (inside the
    caller's transaction, or one of its own)."""
    from security.audit import audit_event, audit_records_append
    from security.models import AuditAction

    if not entries:
        return []
    with transaction.atomic(savepoint=False):
        created = HistoryEntry.objects.bulk_create(entries)
        audit_records_append([
            audit_event(action=AuditAction.WORKFLOW, description=entry.description, user=entry.actor,
                        detail={"document_type": entry.content_type_id, "document_id": entry.object_id,
                                "history": entry.pk, "action": entry.action, "from": entry.from_state,
                                "to": entry.to_state, "acting_for": entry.acting_for_id,
                                "on_behalf_of": entry.on_behalf_of_id, "caused_by": entry.caused_by_id})
            for entry in created])
        history_appended.send(sender=HistoryEntry, entries=created)
    return created


# --- transitions ---------------------------------------------------------------------------

def _evaluate(document, rules: TransitionRules, sources: set[str] | None, user) -> tuple[Capacity | None, list[str]]:
    if sources is None:
        sources = next((s for r, s in declared_transitions(type(document)) if r.name == rules.name), set())
    if document.state not in sources and "*" not in sources:
        return None, [f"Not possible while the {kind_label(document)} is {state_label(document)}."]
    if rules.system_only:
        return None, [SYSTEM_ONLY_REASON, *rules.unmet(document)]
    reasons: list[str] = []
    capacity = None
    actor_reasons = []
    for actor in rules.actors:
        capacity, why = actor.resolve(document, user)
        if capacity:
            break
        actor_reasons.append((actor, why))
    if capacity is None and actor_reasons:
        # The refusal of the first rule naming someone now (a step's open tasker), else the first.
        named = [why for actor, why in actor_reasons if not actor.refusal_names_nobody(why)]
        reasons.append(named[0] if named else actor_reasons[0][1])
    reasons.extend(rules.unmet(document))
    return capacity, reasons


def transitions_available(*, document, user) -> list[TransitionOption]:
    """Every transition of the document with whether ``user`` may make it now and, if not, why."""
    options = []
    with document_read_once(document):
        for rules, sources in declared_transitions(type(document)):
            if rules.system_only:
                continue
            _capacity, reasons = _evaluate(document, rules, sources, user)
            options.append(TransitionOption(
                name=rules.name, label=rules.label, allowed=not reasons, reasons=reasons,
                comment_required=rules.comment_required, comment_label=rules.comment_label,
                confirm=rules.confirm, fields=rules.fields, destructive=rules.destructive,
                from_here=document.state in sources or "*" in sources,
            ))
    return options


@retried_on_lock_failure
def transition_perform(*, document, name: str, by, comment: str = "", expected_state: str | None = None,
                       data: dict | None = None, system: bool = False):
    """Make transition ``name`` on ``document`` as ``by``. Guarantees: all or nothing; the row is
    locked (``document_lock``) and a change made by someone else since ``expected_state`` was
    read is a ``Conflict``; an ``expected_state`` that is no state of the kind is ``InvalidInput``;
    permission and conditions are checked here whoever calls; a refusal lists every reason;
    exactly one history entry per transition. ``system`` transitions are made by the engine,
    on behalf of ``by`` (recorded as the system, caused by ``by``)."""
    model = type(document)
    rules = transition_rules(model, name)
    if expected_state is not None:
        states = [value for value, _label in model._meta.get_field("state").choices]
        if expected_state not in states:
            words = ", ".join(states)
            raise InvalidInput(f"“{expected_state}” is not a state of {with_article(kind_label(document))}; the states are "
                               f"{words}.", {"expected_state": [f"Choose one of {words}."]})
    try:
        with transaction.atomic():
            locked = document_lock(model=model, pk=document.pk).document
            with document_read_once(locked):
                _perform_locked(locked, document, rules, name=name, by=by, comment=comment,
                                expected_state=expected_state, data=data, system=system)
    except ConcurrentTransition as exc:
        raise Conflict(f"Someone else changed this {kind_label(document)} at the same moment. Nothing was "
                       "saved; reload the page and try again.") from exc
    return locked


def _perform_locked(locked, document, rules: TransitionRules, *, name: str, by, comment: str,
                    expected_state: str | None, data: dict | None, system: bool) -> None:
    """``transition_perform`` on the row it has locked."""
    model = type(locked)
    if expected_state is not None and locked.state != expected_state:
        raise Conflict(
            f"Someone else changed this {kind_label(locked)} while you were working on it: it is now "
            f"{state_label(locked)}. Nothing was saved; reload the page and try again."
        )
    sources = next(s for r, s in declared_transitions(model) if r.name == name)
    in_state = locked.state in sources or "*" in sources
    if system:
        capacity, reasons = None, []
        if not in_state:
            reasons = [f"Not possible while the {kind_label(locked)} is {state_label(locked)}."]
    else:
        capacity, reasons = _evaluate(locked, rules, sources, by)
    if rules.comment_required and not (comment or "").strip():
        reasons.append(f"{rules.comment_label} is required.")
    if reasons:
        if expected_state is None and document.state != locked.state:
            raise Conflict([f"Someone else changed this {kind_label(locked)}: it is now "
                            f"{state_label(locked)}."] + reasons)
        # "You may not" when the step is possible now but the user is not one who may make it;
        # otherwise "not now" (state, a condition, a missing comment).
        raise TransitionRefused(reasons, forbidden=not system and in_state and capacity is None)
    source = locked.state
    context = TransitionContext(by=by, capacity=capacity, comment=comment or "", data=data or {})
    before = _field_values(locked)
    locked._workflow_conditions_checked = name
    try:
        getattr(locked, name)(by=by, context=context)
    finally:
        locked._workflow_conditions_checked = None
    _document_save(locked, _changed_fields(locked, before), before)
    history_record(document=locked, action=name, description=f"{rules.label}", actor=None if system else by,
                   capacity=capacity, from_state=source, to_state=locked.state, comment=comment or "",
                   data={k: str(v) for k, v in (data or {}).items()}, caused_by=by if system else None)


def _document_save(document, fields: list[str], before: dict[str, object]) -> None:
    """``document.save(update_fields=fields)``, its UPDATE compiled once per kind and columns
    (``runtime.compiled``): the same signals, the same columns stamped (``pre_save``), the same
    statement, refused as django-fsm refuses it (``ConcurrentTransition``) when the state it
    was read in is gone. A kind that saves in a way of its own (its own ``save``) or a column of
    a parent table takes ``save`` itself."""
    model = type(document)
    local = {f.attname: f for f in model._meta.local_concrete_fields}
    if model.save is not ConcurrentTransitionMixin.save or not fields or any(name not in local for name in fields):
        document.save(update_fields=fields)
        return
    using = router.db_for_write(model, instance=document)
    update_fields = frozenset(fields)
    document._prepare_related_fields_for_save(operation_name="save")
    pre_save.send(sender=model, instance=document, raw=False, using=using, update_fields=update_fields)
    states = tuple(before[f.attname] for f in document.state_fields if f.model is model)
    values = tuple(local[name].pre_save(document, False) for name in fields)
    with transaction.mark_for_rollback_on_error(using=using):
        updated = _document_update(model, tuple(fields)).update(document.pk, states, values, using=using)
    if not updated:
        raise ConcurrentTransition("Cannot save object! The state has been changed since fetched from the database!")
    document._state.db, document._state.adding = using, False
    document._update_initial_state()
    post_save.send(sender=model, instance=document, created=False, update_fields=update_fields, raw=False,
                   using=using)


@functools.cache
def _document_update(model, fields: tuple[str, ...]) -> Statement:
    """The UPDATE ``Model.save(update_fields=fields)`` sends for a kind under django-fsm's
    concurrency guard: the columns, where the row is still in the state it was read in."""
    states = tuple(f.attname for f in model._meta.local_concrete_fields if isinstance(f, FSMFieldMixin))
    return Statement(lambda pk, state_values, values: (
        model._base_manager.filter(**dict(zip(states, state_values, strict=True))).filter(pk=pk),
        dict(zip(fields, values, strict=True))), name=f"{model.__name__} save")


def _field_values(document) -> dict[str, object]:
    """The document's own columns as they are now (JSON values copied: a transition may change
    them in place)."""
    return {f.attname: copy.deepcopy(getattr(document, f.attname)) if isinstance(f, JSONField)
            else getattr(document, f.attname) for f in document._meta.concrete_fields if not f.primary_key}


def _changed_fields(document, before: dict[str, object]) -> list[str]:
    """What the transition changed, plus the columns stamped on every save (``auto_now``): the
    UPDATE writes those and leaves the rest of the row as it was read under the lock."""
    return [f.attname for f in document._meta.concrete_fields if not f.primary_key
            and (getattr(f, "auto_now", False) or getattr(document, f.attname) != before[f.attname])]


# --- taskers -------------------------------------------------------------------------------

def suspense_for(*, working_days: int, start: datetime.date | None = None) -> datetime.date:
    return add_working_days(start or timezone.localdate(), working_days)


def taskers_issue(*, document, step: str, participants: list[tuple[Organization, str]], by=None,
                  working_days: int | None = None, suspense: datetime.date | None = None,
                  suspense_reason: str = "", seam_ids: set[int] | frozenset = frozenset(),
                  capacity: Capacity | None = None, caused_by=None) -> list[Tasker]:
    """Issue one tasker per organization for ``step`` (in bulk), with a suspense in working days
    (U.S. federal holidays excluded). A suspense shorter than the standard needs a reason.
    Issued by the system (``by`` None), the history names ``caused_by``."""
    standard = suspense_for(working_days=working_days if working_days is not None else step_suspense_days(document, step))
    suspense = standard if suspense is None else suspense
    effective = working_day_on_or_after(suspense)[0]  # the standard is a working day already
    if effective < standard and not suspense_reason.strip():
        raise InvalidInput(
            f"A suspense of {effective:%d %b %Y} is shorter than the standard {standard:%d %b %Y}; give the reason.",
            {"suspense_reason": ["Required when the suspense is shorter than the standard."]},
        )
    return taskers_issue_bulk(issues=[(document, participants)], step=step, suspense=suspense,
                              suspense_reason=suspense_reason if effective < standard else "", by=by,
                              capacity=capacity, caused_by=caused_by, seam_ids=seam_ids)


ISSUED = "{step} taskers issued to {organizations}, suspense {suspense}"


def taskers_issue_bulk(*, issues: Sequence[tuple[object, Sequence[tuple[Organization, str]]]], step: str,
                       suspense: datetime.date, suspense_reason: str = "", by=None,
                       capacity: Capacity | None = None, caused_by=None,
                       seam_ids: set[int] | frozenset = frozenset(), action: str = "", description: str = ISSUED,
                       to_state: str = "") -> list[Tasker]:
    """Issue taskers for ``step`` on many documents at once: ``issues`` pairs each document with
    its participants (organization, why it takes part). Guarantees: every tasker has the one
    ``suspense``, moved to the next working day when it is none (the reason and the history say
    so), never in the past (``InvalidInput``, nothing written); each document whose participants
    are not empty gets exactly one history entry (``action``, by default ``<step>_taskers_issued``;
    ``description`` with ``{step}``, ``{organizations}`` and ``{suspense}`` filled in; ``to_state``
    when the issue is the document's first state) and each entry exactly one audit event. The
    statements do not depend on the number of documents or taskers: one INSERT of the taskers,
    then ``history_append``'s two; all or nothing. Call inside the transaction that holds the
    documents (a transition's lock, or a launch's lock on its cycle). Issued by the system (``by`` None), the
    history names ``caused_by``. Reminders are planned by the sweep (``bulk_create`` sends no
    signal)."""
    suspense, moved = working_day_on_or_after(suspense)
    if suspense < timezone.localdate():
        raise InvalidInput("The suspense cannot be in the past.", {"suspense": ["Must be today or later."]})
    with transaction.atomic(savepoint=False):
        return _taskers_issue(issues, step=step, suspense=suspense, moved=moved, suspense_reason=suspense_reason,
                              by=by, capacity=capacity, caused_by=caused_by, seam_ids=seam_ids, action=action,
                              description=description, to_state=to_state)


def _taskers_issue(issues, *, step: str, suspense: datetime.date, moved: str, suspense_reason: str, by,
                   capacity: Capacity | None, caused_by, seam_ids, action: str, description: str,
                   to_state: str) -> list[Tasker]:
    content_types = {}
    taskers: list[Tasker] = []
    for document, participants in issues:
        content_type = content_types.setdefault(type(document), ContentType.objects.get_for_model(type(document)))
        taskers.extend(
            Tasker(content_type=content_type, object_id=document.pk, step=step, organization=organization,
                   suspense=suspense, suspense_reason=_with_note(suspense_reason, moved),
                   is_seam=organization.pk in seam_ids, added_reason=reason, document_title=str(document.title)[:300])
            for organization, reason in participants)
    created = Tasker.objects.bulk_create(taskers)
    taskers_issued.send(sender=Tasker, taskers=created)
    by_document: dict[tuple[int, int], list[Tasker]] = {}
    for tasker in created:
        by_document.setdefault((tasker.content_type_id, tasker.object_id), []).append(tasker)
    entries = []
    for document, _participants in issues:
        document_taskers_forget(document)
        mine = by_document.get((content_types[type(document)].pk, document.pk))
        if not mine:
            continue
        acronyms = [t.organization.acronym for t in mine]
        text = (description.replace("{step}", str(Step(step).label)).replace("{organizations}", ", ".join(acronyms))
                .replace("{suspense}", f"{suspense:%d %b %Y}" + (f" ({moved})" if moved else "")))
        entries.append(history_entry(
            document=document, action=action or f"{step}_taskers_issued", description=text, actor=by,
            capacity=capacity, to_state=to_state, caused_by=caused_by,
            data={"suspense": suspense.isoformat(), "suspense_note": moved, "organizations": acronyms}))
    history_append(entries)
    return created


def _with_note(reason: str, note: str) -> str:
    """The suspense reason with the note that the date was moved to a working day."""
    return "; ".join(part for part in (reason.strip(), note) if part)[:300]


@functools.cache
def _taskers_update(columns: tuple[str, ...]) -> Statement:
    """``UPDATE`` of ``columns`` of the taskers whose ids are given, compiled once per shape."""
    return Statement(lambda ids, values: (Tasker.objects.filter(pk__in=ids), dict(zip(columns, values, strict=True))),
                     name=f"taskers_close({', '.join(columns)})")


def _taskers_close(taskers: list[Tasker], *, close, fields: Sequence[str]) -> list[Tasker]:
    """Move ``taskers`` through their state machine (``close(tasker)`` makes the transition and
    sets the other ``fields``), write them in one UPDATE, and tell what depends on them
    (``workflow.signals.taskers_closed``: their reminders are cancelled). How the engine closes
    taskers as a transition's effect or in bulk (one at a time, a service saves the tasker)."""
    if not taskers:
        return []
    for tasker in taskers:
        close(tasker)
    columns = tuple(Tasker._meta.get_field(name).attname for name in ("state", *fields))
    values = [tuple(getattr(tasker, column) for column in columns) for tasker in taskers]
    if all(value == values[0] for value in values):
        # The usual case (one approval tasker, or every tasker closed alike): one plain UPDATE,
        # without the per-row CASE that bulk_update builds (compiled once per shape).
        _taskers_update(columns).update(tuple(tasker.pk for tasker in taskers), values[0])
    else:
        Tasker.objects.bulk_update(taskers, ["state", *fields])
    taskers_closed.send(sender=Tasker, taskers=taskers)
    return taskers


def _answered(tasker: Tasker, *, by, response: str, capacity: Capacity | None, at: datetime.datetime) -> None:
    tasker.mark_answered()
    tasker.response, tasker.answered_by, tasker.answered_at = response, by, at
    tasker.answered_on_behalf_of_id = capacity.on_behalf_of_id if capacity else None


ANSWERED_FIELDS = ("response", "answered_by", "answered_at", "answered_on_behalf_of")


def taskers_close_answered(*, document, by, response: str, capacity: Capacity | None = None,
                           step: str | None = None) -> list[Tasker]:
    """Close the document's open taskers (of ``step``) as answered with ``response`` by ``by``
    (in ``capacity``): the approval tasker when a plan is approved, the completion tasker when
    an assessment is submitted, a phase's tasker when the cycle moves on. An effect of a
    transition: call it from the transition's body, under the lock ``transition_perform``
    holds; the transition's history entry records the event. Returns the taskers closed."""
    now = timezone.now()
    return _taskers_close(document_taskers(document, step=step, open_only=True), fields=ANSWERED_FIELDS,
                          close=lambda t: _answered(t, by=by, response=response, capacity=capacity, at=now))


def _cancelled(reason: str):
    def close(tasker: Tasker) -> None:
        tasker.mark_cancelled()
        tasker.closed_reason = reason[:300]
    return close


def taskers_cancel_open(*, document, reason: str, step: str | None = None) -> int:
    """Close every open tasker of the document (or of one step), e.g. on withdrawal or return.
    An effect of a transition (as ``taskers_close_answered``): the transition's history entry
    records the event. Returns how many were cancelled."""
    return len(_taskers_close(document_taskers(document, step=step, open_only=True), fields=("closed_reason",),
                              close=_cancelled(reason)))


def taskers_cancel_bulk(*, taskers: QuerySet[Tasker], reason: str, by=None, capacity: Capacity | None = None,
                        caused_by=None) -> list[Tasker]:
    """Cancel, with ``reason``, the taskers ``taskers`` selects that are still open, on however
    many documents (e.g. the completion taskers of every assessment a closing cycle never
    received). Guarantees: the documents, then the taskers, are locked in the engine's order
    (``document_lock``'s), so a tasker answered meanwhile is not cancelled; each tasker goes
    through its state machine; their reminders are cancelled; each document gets exactly one
    history entry naming the organizations and the reason, and each entry exactly one audit
    event. The statements depend on the number of kinds of document, not of taskers. Done by
    the system (``by`` None), the history names ``caused_by``. Returns the taskers cancelled."""
    with transaction.atomic():
        kinds: dict[int, set[int]] = {}
        for content_type_id, object_id in taskers.filter(state__in=OPEN_TASKER_STATES).values_list(
                "content_type_id", "object_id").distinct().order_by():
            kinds.setdefault(content_type_id, set()).add(object_id)
        locked: list[Tasker] = []
        documents: dict[tuple[int, int], object] = {}
        for content_type_id in sorted(kinds):
            model = ContentType.objects.get_for_id(content_type_id).model_class()
            for document in model.objects.select_for_update(of=("self",), no_key=True).filter(
                    pk__in=kinds[content_type_id]).order_by("pk"):
                documents[(content_type_id, document.pk)] = document
            locked.extend(Tasker.objects.select_for_update(of=("self",), no_key=True).select_related("organization")
                          .filter(pk__in=taskers.filter(content_type_id=content_type_id).values("pk"),
                                  state__in=OPEN_TASKER_STATES).order_by("pk"))
        _taskers_close(locked, fields=("closed_reason",), close=_cancelled(reason))
        by_document: dict[tuple[int, int], list[Tasker]] = {}
        for tasker in locked:
            by_document.setdefault((tasker.content_type_id, tasker.object_id), []).append(tasker)
        entries = []
        for key, cancelled in by_document.items():
            document = documents[key]
            document_taskers_forget(document)
            steps = " and ".join(dict.fromkeys(t.get_step_display().lower() for t in cancelled))
            names = ", ".join(t.organization.acronym for t in cancelled)
            entries.append(history_entry(
                document=document, action="taskers_cancelled", actor=by, capacity=capacity, caused_by=caused_by,
                description=f"{steps.capitalize()} tasker{'s' if len(cancelled) != 1 else ''} of {names} "
                            f"cancelled: {reason}", comment=reason,
                data={"taskers": [t.pk for t in cancelled], "organizations": [t.organization.acronym for t in cancelled]}))
        history_append(entries)
    return locked


def _lock_tasker(tasker: Tasker) -> tuple[object, Tasker]:
    """The tasker's document and the tasker, locked in ``document_lock``'s order."""
    locked = document_lock(model=_document_model(tasker), pk=tasker.object_id, tasker_ids=[tasker.pk])
    return locked.document, locked.taskers[tasker.pk]


def _require_member(tasker: Tasker, by, roles, *, coordinator: bool = False) -> Capacity:
    capacity = acting_capacity(user=by, organization=tasker.organization, roles=roles, coordinator=coordinator)
    if capacity is None:
        role_words = " or ".join(Role(r).label.lower() for r in roles)
        extra = " designated as a coordinator" if coordinator else ""
        office = with_organization_labels([tasker]).get(tasker.organization_id)  # today's name, the directive's beside it
        raise NotPermitted(f"Only {with_article(role_words)}{extra} of {office} may do this.")
    return capacity


def _require_step_in_progress(tasker: Tasker, document) -> None:
    if document.current_step() != tasker.step:
        raise ActionRefused(f"The {kind_label(document)} is {state_label(document)}; "
                            f"{tasker.get_step_display().lower()} answers are closed.")


@retried_on_lock_failure
def tasker_acknowledge(*, tasker: Tasker, by) -> Tasker:
    """Record that the organization has received the tasker (any member may)."""
    with transaction.atomic():
        document, tasker = _lock_tasker(tasker)
        capacity = _require_member(tasker, by, list(Role))
        if tasker.state != TaskerState.OPEN:
            raise ActionRefused(f"This tasker is already {state_label(tasker)}.")
        tasker.mark_acknowledged()
        tasker.acknowledged_by, tasker.acknowledged_at = by, timezone.now()
        tasker.save(update_fields=["state", "acknowledged_by", "acknowledged_at"])
        history_record(document=document, action="tasker_acknowledged",
                       description=f"{tasker.organization} acknowledged the {tasker.get_step_display().lower()} tasker",
                       actor=by, capacity=capacity)
    return tasker


COMMENT_CONTENT = ("category", "section", "page", "paragraph", "line", "text", "rationale", "proposed_change")
# The longest each part of a comment's reference may be (the columns' widths), and how many
# comments one answer carries at most (an imported matrix included).
COMMENT_REFERENCE_LENGTHS = {"section": 100, "page": 20, "paragraph": 40, "line": 20}
COMMENTS_PER_ANSWER = 500


def comments_clean(comments: Sequence[dict]) -> tuple[list[dict], dict[int, dict[str, list[str]]]]:
    """The comments of an answer as the engine records them (each part stripped, every part of
    ``COMMENT_CONTENT`` present), and what is wrong with each, by its index and field: the one
    rule for the answer form, the API and an imported comment matrix."""
    cleaned, faults = [], {}
    for index, item in enumerate(comments):
        row = {name: str(item.get(name) or "").strip() for name in COMMENT_CONTENT}
        wrong: dict[str, list[str]] = {}
        if row["category"] not in CommentCategory.values:
            wrong["category"] = ["Choose critical, substantive or administrative."]
        if not row["text"]:
            wrong["text"] = ["The comment needs text."]
        for name, longest in COMMENT_REFERENCE_LENGTHS.items():
            if len(row[name]) > longest:
                wrong[name] = [f"At most {longest} characters (this has {len(row[name])})."]
        if wrong:
            faults[index] = wrong
        cleaned.append(row)
    return cleaned, faults


def tasker_answerer(*, tasker: Tasker, by) -> Capacity:
    """Who may answer a tasker: a reviewer or approver of the tasked organization (designated as
    a coordinator for a coordination tasker), or their delegate. Raises ``NotPermitted`` saying
    who may."""
    return _require_member(tasker, by, ROLES_WHO_ANSWER, coordinator=tasker.step == Step.COORDINATION)


def tasker_answer_refusal(*, tasker: Tasker, document, by) -> ActionRefused | None:
    """Why ``by`` may not answer ``tasker`` now (None when they may): the rule ``tasker_respond``
    enforces, asked by the pages before they offer the answer form. No query once the request
    has read the user's roles."""
    try:
        tasker_answerer(tasker=tasker, by=by)
        if tasker.state not in (*OPEN_TASKER_STATES, TaskerState.ANSWERED):
            raise ActionRefused(f"This tasker is {state_label(tasker)}; it takes no answer.")
        _require_step_in_progress(tasker, document)
        if not RESPONSES_BY_STEP.get(tasker.step):
            raise ActionRefused(f"{tasker.get_step_display()} taskers take no answer: the {kind_label(document)} "
                                "moves on by its transitions.")
    except ActionRefused as refusal:
        return refusal
    return None


@retried_on_lock_failure
def tasker_respond(*, tasker: Tasker, by, response: str, rationale: str = "",
                   comments: list[dict] | None = None) -> Tasker:
    """Record the organization's answer. Only a designated coordinator (reviewer or approver, or
    their delegate) of the tasked organization may answer, while the step is in progress.
    A non-concur needs a rationale and at least one critical comment; a concur with comment
    needs a comment. An answer carries any number of comments (up to ``COMMENTS_PER_ANSWER``),
    each checked by ``comments_clean``: a faulty one is named by its index
    (``comments[2].text``) and nothing is written. An answer can be changed until the step ends;
    comments accumulate, but a comment already recorded from the organization on this tasker is
    not recorded twice. The same answer given again (same response and rationale, no comment not
    yet recorded) is one answer: nothing is written and the tasker is returned as it is."""
    comments = comments or []
    errors: dict[str, list[str]] = {}
    with transaction.atomic():
        document, tasker = _lock_tasker(tasker)
        capacity = tasker_answerer(tasker=tasker, by=by)
        refusal = tasker_answer_refusal(tasker=tasker, document=document, by=by)
        if refusal is not None:
            raise refusal
        allowed = RESPONSES_BY_STEP[tasker.step]
        if response not in allowed:
            words = ", ".join(f"“{Response(r).label.lower()}”" for r in allowed)
            raise InvalidInput(f"A {tasker.get_step_display().lower()} answer is one of {words}.",
                               {"response": [f"Choose one of {words}."]})
        if len(comments) > COMMENTS_PER_ANSWER:
            raise InvalidInput(f"An answer carries at most {COMMENTS_PER_ANSWER} comments; this one has "
                               f"{len(comments)}.", {"comments": [f"At most {COMMENTS_PER_ANSWER} comments."]})
        cleaned, faults = comments_clean(comments)
        for index, fields in faults.items():
            for name, sentences in fields.items():
                errors.setdefault(f"comments[{index}].{name}", []).extend(sentences)
        if response == Response.NONCONCUR:
            if not rationale.strip():
                errors.setdefault("rationale", []).append("A non-concur needs a rationale.")
            if not any(c["category"] == CommentCategory.CRITICAL for c in cleaned):
                errors.setdefault("comments", []).append("A non-concur needs at least one critical comment.")
        if response == Response.CONCUR_WITH_COMMENT and not cleaned:
            errors.setdefault("comments", []).append("A concur with comment needs at least one comment.")
        if errors:
            reasons = []
            for name, sentences in errors.items():
                row = name.partition("]")[0].removeprefix("comments[") if name.startswith("comments[") else ""
                reasons += [f"Comment {int(row) + 1}: {s}" if row else s for s in sentences]
            raise InvalidInput(reasons, errors)
        recorded = set(tasker.comments.filter(organization=tasker.organization).values_list(*COMMENT_CONTENT))
        new = []
        for item in cleaned:
            content = tuple(item[name] for name in COMMENT_CONTENT)
            if content not in recorded:
                recorded.add(content)
                new.append(item)
        if (tasker.state == TaskerState.ANSWERED and tasker.response == response
                and tasker.rationale == rationale.strip() and not new):
            return tasker
        previous = tasker.response
        _answered(tasker, by=by, response=response, capacity=capacity, at=timezone.now())
        tasker.rationale = rationale.strip()
        tasker.save()
        Comment.objects.bulk_create([
            Comment(content_type=tasker.content_type, object_id=tasker.object_id, tasker=tasker,
                    organization=tasker.organization, author=by, **c) for c in new
        ])
        verb = "changed its answer to" if previous else "answered"
        history_record(document=document, action="tasker_answered",
                       description=f"{tasker.organization} {verb} {Response(response).label.lower()}"
                                   + (f" with {len(new)} comment{'s' if len(new) != 1 else ''}" if new else ""),
                       actor=by, capacity=capacity, comment=rationale.strip(),
                       data={"step": tasker.step, "response": response, "previous": previous})
        hook = getattr(document, "after_response", None)
        if hook:
            hook(tasker=tasker, by=by)
    return tasker


# --- managing a tasker: reassign, return as misrouted, remove, move the suspense -------------

TASKER_MANAGEMENT_ACTIONS = ("reassign", "return_misrouted", "remove", "change_suspense")
_OWNER_MANAGES = {"remove": "remove a participant", "change_suspense": "move a suspense"}
_ONLY_OPEN = {
    "reassign": "Only an open tasker can be re-assigned.",
    "return_misrouted": "Only an open tasker can be returned as misrouted.",
    "remove": "Only an open tasker can be removed.",
    "change_suspense": "Only an open tasker's suspense can be moved.",
}


def tasker_manager(action: str, *, tasker: Tasker, document, by) -> Capacity:
    """The one rule of who may manage a tasker, and when; the services below ask it, and so do
    the pages that offer these actions. The tasked organization's members re-assign its tasker
    and its reviewers and approvers return it as misrouted; the owner's action officers and
    approvers remove a participant and move a suspense; only while the tasker is open. Returns
    the capacity the user acts in; raises ``NotPermitted`` ("you may not") or ``ActionRefused``
    ("not now")."""
    if action == "reassign":
        capacity = _require_member(tasker, by, list(Role))
    elif action == "return_misrouted":
        capacity = _require_member(tasker, by, ROLES_WHO_ANSWER)
    elif action in _OWNER_MANAGES:
        capacity = acting_capacity(user=by, organization=document.owner_id, roles=[Role.ACTION_OFFICER, Role.APPROVER])
        if capacity is None:
            raise NotPermitted(f"Only an action officer or approver of {organization_label(document.owner)} may "
                               f"{_OWNER_MANAGES[action]}.")
    else:
        raise ValueError(f"Unknown tasker action {action!r}")
    if not tasker.is_open:
        raise ActionRefused(_ONLY_OPEN[action])
    return capacity


def tasker_management_refusals(*, tasker: Tasker, document, by) -> dict[str, ActionRefused | None]:
    """For each of ``TASKER_MANAGEMENT_ACTIONS``: None if ``by`` may do it now, else the refusal
    (``tasker_manager``'s). No query once the request has read the user's roles."""
    refusals: dict[str, ActionRefused | None] = {}
    for action in TASKER_MANAGEMENT_ACTIONS:
        try:
            tasker_manager(action, tasker=tasker, document=document, by=by)
            refusals[action] = None
        except ActionRefused as refusal:
            refusals[action] = refusal
    return refusals


def tasker_assignees(*, organization_ids, step: str | None = None):
    """The active memberships of people who may answer a tasker of these organizations: reviewers
    and approvers, designated as coordinators for a coordination tasker. A tasker is re-assigned
    only to one of them."""
    from organizations.selectors import memberships_active

    members = memberships_active().filter(organization_id__in=list(organization_ids), role__in=ROLES_WHO_ANSWER,
                                          user__is_active=True)
    if step == Step.COORDINATION:
        members = members.filter(is_coordinator=True)
    return members


@retried_on_lock_failure
def tasker_reassign(*, tasker: Tasker, by, assignee) -> Tasker:
    """Give the tasker to another member of the same organization, one who may answer it
    (``tasker_assignees``)."""
    from organizations.selectors import memberships_active

    with transaction.atomic():
        document, tasker = _lock_tasker(tasker)
        capacity = tasker_manager("reassign", tasker=tasker, document=document, by=by)
        if not memberships_active().filter(user=assignee, organization=tasker.organization).exists():
            office = organization_label(tasker.organization)
            raise InvalidInput(f"{assignee} is not a member of {office}.",
                               {"assignee": [f"Choose a member of {office}."]})
        if not tasker_assignees(organization_ids=[tasker.organization_id], step=tasker.step).filter(
                user=assignee).exists():
            who = "reviewer or approver designated as a coordinator" if tasker.step == Step.COORDINATION \
                else "reviewer or approver"
            office = organization_label(tasker.organization)
            raise InvalidInput(f"{assignee} may not answer this tasker for {office}.",
                               {"assignee": [f"Choose a {who} of {office}."]})
        tasker.assignee = assignee
        tasker.save(update_fields=["assignee"])
        history_record(document=document, action="tasker_reassigned",
                       description=f"{tasker.organization} tasker re-assigned to {assignee}", actor=by,
                       capacity=capacity)
    return tasker


@retried_on_lock_failure
def tasker_return_misrouted(*, tasker: Tasker, by, reason: str) -> Tasker:
    """The tasked organization says it should not have been tasked, with a reason; the owner
    sees it in the history."""
    if not reason.strip():
        raise InvalidInput("Say why the tasker is misrouted.", {"reason": ["Required."]})
    with transaction.atomic():
        document, tasker = _lock_tasker(tasker)
        capacity = tasker_manager("return_misrouted", tasker=tasker, document=document, by=by)
        tasker.mark_misrouted()
        tasker.closed_reason = reason.strip()[:300]
        tasker.save(update_fields=["state", "closed_reason"])
        history_record(document=document, action="tasker_misrouted",
                       description=f"{tasker.organization} returned the tasker as misrouted", actor=by,
                       capacity=capacity, comment=reason.strip())
    return tasker


@retried_on_lock_failure
def tasker_remove(*, tasker: Tasker, by, reason: str) -> Tasker:
    """The owner removes a participant (e.g. a seam command added automatically), with a reason."""
    if not reason.strip():
        raise InvalidInput("Removing an organization from the route needs a recorded reason.", {"reason": ["Required."]})
    with transaction.atomic():
        document, tasker = _lock_tasker(tasker)
        capacity = tasker_manager("remove", tasker=tasker, document=document, by=by)
        tasker.mark_cancelled()
        tasker.closed_reason = reason.strip()[:300]
        tasker.save(update_fields=["state", "closed_reason"])
        history_record(document=document, action="tasker_removed",
                       description=f"{tasker.organization} removed from {tasker.get_step_display().lower()}"
                                   + (" (seam)" if tasker.is_seam else ""),
                       actor=by, capacity=capacity, comment=reason.strip())
    return tasker


@retried_on_lock_failure
def tasker_change_suspense(*, tasker: Tasker, by, suspense: datetime.date, reason: str) -> Tasker:
    """The owner moves a suspense, with a reason; recorded in the history, and the assignee (or
    the tasked organization) told (``workflow.signals.suspense_moved``). A date that is not a
    working day becomes the next working day, and the history and the reason say so."""
    if not reason.strip():
        raise InvalidInput("Moving a suspense needs a reason.", {"reason": ["Required."]})
    if suspense < timezone.localdate():
        raise InvalidInput("The suspense cannot be in the past.", {"suspense": ["Must be today or later."]})
    suspense, moved = working_day_on_or_after(suspense)
    with transaction.atomic():
        document, tasker = _lock_tasker(tasker)
        capacity = tasker_manager("change_suspense", tasker=tasker, document=document, by=by)
        old = tasker.suspense
        tasker.suspense, tasker.suspense_reason = suspense, _with_note(reason, moved)
        tasker.save(update_fields=["suspense", "suspense_reason"])
        history_record(document=document, action="suspense_changed",
                       description=f"Suspense for {tasker.organization} moved from {old:%d %b %Y} to {suspense:%d %b %Y}"
                                   + (f" ({moved})" if moved else ""),
                       actor=by, capacity=capacity, comment=reason.strip(),
                       data={"from": old.isoformat(), "to": suspense.isoformat(), "note": moved})
        suspense_moved.send(sender=Tasker, tasker=tasker, document=document, previous=old, by=by,
                            reason=reason.strip())
    return tasker


# --- comment resolution matrix -------------------------------------------------------------

def _lock_comment(comment: Comment) -> tuple[object, Comment]:
    """The comment's document and the comment, locked in ``document_lock``'s order."""
    locked = document_lock(model=_document_model(comment), pk=comment.object_id, comment_ids=[comment.pk])
    return locked.document, locked.comments[comment.pk]


ADJUDICATING_ROLES = (Role.ACTION_OFFICER, Role.APPROVER)


def comment_adjudicator(*, document, by) -> Capacity | None:
    """The capacity in which ``by`` adjudicates the comments on ``document`` (its owner's action
    officers and approvers), or None: the one rule ``comment_adjudicate`` enforces and the pages
    and "My work" ask before they offer it."""
    return acting_capacity(user=by, organization=document.owner_id, roles=ADJUDICATING_ROLES)


@retried_on_lock_failure
def comment_adjudicate(*, comment: Comment, by, decision: str, rationale: str) -> Comment:
    """The owner's adjudication of one comment: accepted, partially accepted or rejected, with
    a rationale (required for anything but a plain accept). Revisable while the step is open;
    a changed adjudication clears the commenter's agreement with the earlier one."""
    if decision not in Decision.values:
        raise InvalidInput("Choose accepted, partially accepted or rejected.",
                           {"decision": ["Choose accepted, partially accepted or rejected."]})
    if decision != Decision.ACCEPTED and not rationale.strip():
        raise InvalidInput("A partial acceptance or a rejection needs a rationale.", {"rationale": ["Required."]})
    with transaction.atomic():
        document, comment = _lock_comment(comment)
        capacity = comment_adjudicator(document=document, by=by)
        if capacity is None:
            raise NotPermitted(f"Only an action officer or approver of {organization_label(document.owner)} "
                               "adjudicates comments.")
        _require_step_in_progress(comment.tasker, document)
        if (comment.decision, comment.decision_rationale) != (decision, rationale.strip()):
            comment.commenter_agreed_at = comment.commenter_agreed_by = None
        comment.decision, comment.decision_rationale = decision, rationale.strip()
        comment.adjudicated_by, comment.adjudicated_at = by, timezone.now()
        comment.save()
        history_record(document=document, action="comment_adjudicated",
                       description=f"{comment.get_category_display()} comment from {comment.organization} "
                                   f"{Decision(decision).label.lower()}",
                       actor=by, capacity=capacity, comment=rationale.strip(),
                       data={"comment": comment.pk, "decision": decision})
    return comment


def _agreeing_capacity(comment: Comment, by) -> Capacity | None:
    return acting_capacity(user=by, organization=comment.organization, roles=ROLES_WHO_ANSWER,
                           coordinator=comment.tasker.step == Step.COORDINATION)


def comment_agree_refusal(*, comment: Comment, document, by) -> str | None:
    """Why ``by`` may not agree, for the commenting organization, with the adjudication of
    ``comment``; None when they may. The one rule ``comment_agree`` enforces and the pages ask
    before they offer the button."""
    if _agreeing_capacity(comment, by) is None:
        office = with_organization_labels([comment]).get(comment.organization_id)  # as the page names it
        return (f"Only a reviewer or approver designated as a coordinator of {office} "
                "may agree with the adjudication of its comment.")
    if document.current_step() != comment.tasker.step:
        return (f"The {kind_label(document)} is {state_label(document)}; "
                f"{comment.tasker.get_step_display().lower()} answers are closed.")
    if comment.decision == "":
        return "The comment is not adjudicated yet: there is nothing to agree with."
    if comment.decision == Decision.ACCEPTED:
        return "The comment was accepted: it needs no agreement."
    return None


@retried_on_lock_failure
def comment_agree(*, comment: Comment, by) -> Comment:
    """The commenting organization agrees with the owner's partial acceptance or rejection of
    its comment: a critical comment agreed with no longer keeps its organization's
    non-concurrence standing. Only a coordinator of the commenting organization (reviewer or
    approver, or their delegate), while the step is in progress. Agreeing again writes nothing."""
    with transaction.atomic():
        document, comment = _lock_comment(comment)
        refusal = comment_agree_refusal(comment=comment, document=document, by=by)
        if refusal:
            raise (NotPermitted if _agreeing_capacity(comment, by) is None else ActionRefused)(refusal)
        if comment.commenter_agreed_at is not None:
            return comment
        capacity = _agreeing_capacity(comment, by)
        comment.commenter_agreed_at, comment.commenter_agreed_by = timezone.now(), by
        comment.save(update_fields=["commenter_agreed_at", "commenter_agreed_by"])
        history_record(document=document, action="comment_agreed",
                       description=f"{comment.organization} agreed with the adjudication of its "
                                   f"{comment.get_category_display().lower()} comment "
                                   f"({Decision(comment.decision).label.lower()})",
                       actor=by, capacity=capacity, data={"comment": comment.pk, "decision": comment.decision})
    return comment


# --- drafts of long forms ------------------------------------------------------------------

def form_draft_save(*, user, document, form: str, data: dict) -> FormDraft:
    """Keep what ``user`` typed into ``form`` of ``document`` (one draft per person, document and
    form: a later save replaces it). Only on a document they may see; nobody else reads it
    (``workflow.selectors.form_drafts_of``)."""
    from .registry import document_visible

    if not document_visible(user, document):
        raise NotPermitted(f"You may not see this {kind_label(document)}.")
    content_type = ContentType.objects.get_for_model(document)
    draft, _ = FormDraft.objects.update_or_create(
        user=user, content_type=content_type, object_id=document.pk, form=form,
        defaults={"data": data, "saved_at": timezone.now()})
    return draft


def form_draft_discard(*, user, document, form: str) -> None:
    """Forget ``user``'s draft of ``form`` (the form was submitted, or they threw the draft away)."""
    FormDraft.objects.filter(user=user, content_type=ContentType.objects.get_for_model(document),
                             object_id=document.pk, form=form).delete()
