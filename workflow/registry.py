"""The kinds of document the engine serves, each with its own visibility selector, so that the
engine's generic lists (taskers, history, notifications) show only documents the user may
see, without the engine knowing any kind (``planning`` and ``assessments`` register theirs)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.lookups import IsNull

_visible: dict[type, Callable[[object], QuerySet]] = {}
_cleared: dict[type, Callable[[object], QuerySet] | None] = {}


def register_document(model, *, visible: Callable[[object], QuerySet],
                      cleared: Callable[[object], QuerySet] | None = None) -> None:
    """``visible(user)``: the documents the user may see (need-to-know and markings).
    ``cleared(user)``: those whose marking the user may see, for rows that already prove
    need-to-know (the user's own taskers); None when the kind carries no marking."""
    _visible[model] = visible
    _cleared[model] = cleared


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
    # One query for every kind on a cold cache, not one per kind.
    return ContentType.objects.get_for_models(*_visible)
