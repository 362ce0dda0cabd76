"""Strict query parameters. A parameter the endpoint does not know (a misspelt filter such as
``?stat=draft``, or one another endpoint takes) is a 400 naming it, not silently ignored: a
client that filters wrongly learns it before acting on the whole list. Bad values are 400s too,
from the filters (``api.filters``) and the pagination (``api.pagination``)."""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError
from rest_framework.filters import SearchFilter


def query_parameters_allowed(view) -> set[str]:
    """What the view's filters, search and (on a list) pagination read."""
    allowed: set[str] = set()
    for backend_class in getattr(view, "filter_backends", None) or ():
        backend = backend_class()
        if isinstance(backend, DjangoFilterBackend):
            filterset_class = backend.get_filterset_class(view, view.get_queryset())
            if filterset_class is not None:
                allowed |= set(filterset_class.base_filters)
        elif isinstance(backend, SearchFilter) and getattr(view, "search_fields", None):
            allowed.add(backend.search_param)
    allowed |= set(getattr(view, "query_parameters", ()))  # a view reading its own (``MyWorkView``)
    paginator = getattr(view, "paginator", None) if getattr(view, "action", None) == "list" else None
    if paginator is not None:
        allowed |= {name for name in (getattr(paginator, "cursor_query_param", None),
                                      getattr(paginator, "page_size_query_param", None)) if name}
    return allowed


def query_parameters_check(view, request) -> None:
    allowed = query_parameters_allowed(view)
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        known = ", ".join(sorted(allowed)) or "none"
        raise ValidationError({name: [f"Unknown query parameter. This endpoint takes: {known}."]
                               for name in unknown})


class StrictQueryMixin:
    """Mix into every API view: after authentication (a stranger learns nothing), before the work."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        query_parameters_check(self, request)
