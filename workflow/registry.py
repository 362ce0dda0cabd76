"""The kinds of document the engine serves, each with its own visibility selector, so that the
engine's generic lists (taskers, history, notifications) show only documents the user may
see, without the engine knowing any kind (``planning`` and ``assessments`` register theirs).

Each kind also says who its reviewing authority is, the organizations an overdue tasker on one
of its documents escalates to (the escalation contract): either the document answers
``escalation_organization_ids()`` itself (naming in ``escalation_select_related`` the relations
that answer reads, so a batch of documents is loaded in one query), or its route snapshot names
the review and approval organizations (``route_snapshot``). A kind offering neither is refused
at registration.

Reviewing authority over *every* document of a kind is granted, never implied by a route: a kind
declares here the designations that review all its documents (``reviewing_designations``, e.g.
the Joint Staff office and the policy office for campaign plans); anyone else sees a document
because they own it or are tasked on it. A kind also says whether its owner may approve its own
documents (``owner_approves``: a campaign support plan is signed by its owning component, a
campaign plan by its combatant commander).

A kind may also say who in a tasked organization works a tasker of one of its steps
(``tasker_roles``, by step: a monitoring entry due on an initiative is the owner's action
officers' to write): My work lists the tasker for them (``workflow.inbox.answering_roles``) and
the outbox reminds them before its suspense; by default the engine infers who works it, and
every action officer, reviewer and approver of the organization is reminded. Escalation after the
suspense is the reminder policy's (the organization's approvers, then the reviewing authority),
whatever the kind."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.lookups import IsNull

from security.capacity import per_capacity

_visible: dict[type, Callable[[object], QuerySet]] = {}
_cleared: dict[type, Callable[[object], QuerySet] | None] = {}
_reviewing: dict[type, tuple[str, ...]] = {}
_owner_approves: dict[type, bool] = {}
_procedure_owner: dict[type, str] = {}
_tasker_roles: dict[type, dict[str, tuple[str, ...]]] = {}


def register_document(model, *, visible: Callable[[object], QuerySet],
                      cleared: Callable[[object], QuerySet] | None = None,
                      reviewing_designations: Iterable[str] = (), owner_approves: bool = False,
                      procedure_owner: str | None = None,
                      tasker_roles: Mapping[str, Iterable[str]] | None = None) -> None:
    """``visible(user)``: the documents the user may see (need-to-know and markings).
    ``cleared(user)``: those whose marking the user may see, for rows that already prove
    need-to-know (the user's own taskers); None when the kind carries no marking.
    ``reviewing_designations``: the designated offices that review every document of the kind.
    ``owner_approves``: whether a route may make the document's owner its approver.
    ``procedure_owner``: the designated office that owns the kind's procedure: its action
    officers and approvers change the kind's routes (``workflow.permissions``); None: no one.
    ``tasker_roles``: by step, the roles of a tasked organization who work a tasker of that step
    (My work, and the reminders before its suspense); a step not named: the engine's default."""
    if not callable(getattr(model, "escalation_organization_ids", None)) and not _has_route_snapshot(model):
        raise ImproperlyConfigured(f"{model.__name__} names no reviewing authority: give it an "
                                   "escalation_organization_ids() method or a route_snapshot field.")
    _visible[model] = visible
    _cleared[model] = cleared
    _reviewing[model] = tuple(reviewing_designations)
    _owner_approves[model] = owner_approves
    if procedure_owner:
        _procedure_owner[model] = procedure_owner
    if tasker_roles:
        _tasker_roles[model] = {step: tuple(roles) for step, roles in tasker_roles.items()}


def _model_of(kind) -> type | None:
    if isinstance(kind, type):
        return kind
    return next((model for model in _visible if getattr(model, "workflow_kind", None) == kind), None)


def reviewing_designations(kind) -> tuple[str, ...]:
    """The designations that review every document of ``kind`` (a model or its ``workflow_kind``)."""
    return _reviewing.get(_model_of(kind), ())


def owner_approves(kind) -> bool:
    """Whether the owner of a document of ``kind`` (a model or its ``workflow_kind``) approves it."""
    return _owner_approves.get(_model_of(kind), False)


def procedure_owner(kind) -> str | None:
    """The designation that owns the procedure of ``kind`` (a model or its ``workflow_kind``)."""
    return _procedure_owner.get(_model_of(kind))


def tasker_roles(kind, step: str) -> tuple[str, ...] | None:
    """The roles of a tasked organization who work a tasker of ``step`` on a document of ``kind``
    (a model or a document), as the kind declares them; None when it names none for the step."""
    if kind is None:
        return None
    return _tasker_roles.get(kind if isinstance(kind, type) else type(kind), {}).get(step)


def procedure_owners() -> set[str]:
    """Every designation that owns some kind's procedure."""
    return set(_procedure_owner.values())


def document_kinds() -> dict[str, type]:
    """Every registered kind with a route, by its ``workflow_kind``."""
    return {model.workflow_kind: model for model in _visible if getattr(model, "workflow_kind", None)}


def registered_documents() -> list[type]:
    return list(_visible)


def exists_row_by_row(queryset: QuerySet, *, field: str = "pk", outer: str) -> Exists:
    """``EXISTS (queryset WHERE field = the outer row's outer)``, checked row by row with an index
    probe. Left to itself PostgreSQL may instead hash the whole of ``queryset`` first (from one
    outer row on, whatever the LIMIT): cheap on a small table, but that cost grows with the table,
    while probes cost as many as the rows a page reads. The test on the outer column (never NULL)
    is the fence: a correlated condition that is not an equality cannot be hashed."""
    return Exists(queryset.filter(**{field: OuterRef(outer)}).filter(IsNull(OuterRef(outer), False)).order_by())


def visible_documents_q(user, *, content_type_field: str = "content_type", object_id_field: str = "object_id") -> Q:
    """A filter on rows that point at documents (content type + object id), keeping those the
    user may see. A kind nobody registered is visible to nobody."""
    condition = Q(pk__in=[])
    for model, content_type in _content_types().items():
        condition |= Q(**{content_type_field: content_type}) & exists_row_by_row(
            _visible[model](user), outer=object_id_field)
    return condition


@per_capacity
def rows_visible_to(user, model, content_type_field: str = "content_type",
                    object_id_field: str = "object_id") -> QuerySet:
    """The rows of ``model`` (taskers, comments, reminders...) pointing at documents ``user`` may
    see (``visible_documents_q``), built once per capacity (``security.capacity``)."""
    return model._default_manager.filter(visible_documents_q(user, content_type_field=content_type_field,
                                                             object_id_field=object_id_field))


@per_capacity
def rows_cleared_for(user, model) -> QuerySet:
    """The rows of ``model`` pointing at documents whose marking ``user`` may see
    (``cleared_documents_q``), built once per capacity."""
    return model._default_manager.filter(cleared_documents_q(user))


def document_visible(user, document) -> bool:
    visible = _visible.get(type(document))
    return visible is not None and visible(user).filter(pk=document.pk).exists()


def visible_documents(model, user) -> QuerySet:
    """The documents of ``model`` that ``user`` may see (none for an unregistered kind)."""
    visible = _visible.get(model)
    return visible(user) if visible is not None else model.objects.none()


def cleared_documents_q(user, *, content_type_field: str = "content_type", object_id_field: str = "object_id") -> Q:
    """A filter on rows pointing at documents, keeping those whose marking the user may see."""
    condition = Q(pk__in=[])
    for model, content_type in _content_types().items():
        cleared = _cleared.get(model)
        if cleared is None:
            condition |= Q(**{content_type_field: content_type})
        else:
            condition |= Q(**{content_type_field: content_type}) & exists_row_by_row(cleared(user), outer=object_id_field)
    return condition


def cleared_documents(model, user) -> QuerySet:
    """The documents of ``model`` whose marking ``user`` may see, need-to-know aside (for reads
    that establish it themselves: the user's own taskers, the documents their organizations own)."""
    if model not in _visible:
        return model.objects.none()
    cleared = _cleared.get(model)
    return cleared(user) if cleared is not None else model.objects.all()


def _content_types() -> dict[type, ContentType]:
    # One query for every kind on a cold cache, not one per kind; in the order the kinds were
    # registered (get_for_models answers the cached ones first), so a filter naming every kind
    # is the same SQL each time.
    found = ContentType.objects.get_for_models(*_visible)
    return {model: found[model] for model in _visible}


# --- the escalation contract ---------------------------------------------------------------

REVIEWING_STEPS = ("review", "approval")


def _has_route_snapshot(model) -> bool:
    return any(field.name == "route_snapshot" for field in model._meta.get_fields())


def escalation_organization_ids(document) -> list[int]:
    """The reviewing authority of ``document``: the organizations its overdue taskers escalate
    to, as its kind declares them (see the module's docstring). Without a document, none."""
    if document is None:
        return []
    declared = getattr(document, "escalation_organization_ids", None)
    if callable(declared):
        ids = declared()
    else:
        snapshot = getattr(document, "route_snapshot", None) or {}
        ids = [step["organization_id"] for step in snapshot.get("steps") or []
               if step.get("step") in REVIEWING_STEPS and step.get("organization_id")]
    return list(dict.fromkeys(pk for pk in ids if pk))


def escalation_documents(model) -> QuerySet:
    """Documents of ``model`` loaded with what their escalation contract reads."""
    related = tuple(getattr(model, "escalation_select_related", ()))
    # select_related() with no names would follow every foreign key.
    return model._default_manager.select_related(*related) if related else model._default_manager.all()
