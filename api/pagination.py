"""Cursor pagination for every list: stable pages while rows are added, no counting of tables.

Strict, like every query parameter of the API (``api.query``): a ``page_size`` that is not a whole
number from 1 to ``max_page_size``, or a ``cursor`` this API did not hand out, is a 400 naming
the parameter, never silently replaced by the default."""

from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError


class CursorPagination(pagination.CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"

    def get_ordering(self, request, queryset, view):
        # Each view names its order (newest first unless a list reads better another way).
        ordering = getattr(view, "cursor_ordering", self.ordering)
        return (ordering,) if isinstance(ordering, str) else tuple(ordering)

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError({self.page_size_query_param: [
                f"Must be a whole number from 1 to {self.max_page_size}; “{raw[:40]}” is not."]})
        return int(raw)

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound as exc:
            raise ValidationError({self.cursor_query_param: [
                "Not a cursor this API handed out: follow the `next` and `previous` links as they are."]}) from exc
