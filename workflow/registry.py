"""The kinds of document the engine serves, each with its own visibility selector, so that the
engine's generic lists (taskers, history, notifications) show only documents the user may
see, without the engine knowing any kind (``planning`` and ``assessments`` register theirs)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

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


def visible_documents_q(user, *, content_type_field: str = "content_type", object_id_field: str = "object_id") -> Q:
    """A filter on rows that point at documents (content type + object id), keeping those the
    user may see. A kind nobody registered is visible to nobody."""
    condition = Q(pk__in=[])
    for model, visible in _visible.items():
        condition |= Q(**{content_type_field: ContentType.objects.get_for_model(model),
                          f"{object_id_field}__in": visible(user).values("pk")})
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
    for model in _visible:
        content_type = ContentType.objects.get_for_model(model)
        cleared = _cleared.get(model)
        if cleared is None:
            condition |= Q(**{content_type_field: content_type})
        else:
            condition |= Q(**{content_type_field: content_type, f"{object_id_field}__in": cleared(user).values("pk")})
    return condition
