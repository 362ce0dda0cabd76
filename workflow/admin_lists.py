"""Admin change lists whose cost follows the page read, not the size of the table: the count
stops a few pages past the page asked for ("more than 500 campaign plans"), and there is no
second, unfiltered count. Every row stays reachable: the pager always offers the next pages,
and counts further as the reader goes deeper."""

from __future__ import annotations

import datetime
from functools import cache

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.views.main import PAGE_VAR, ChangeList
from django.core.paginator import Paginator
from django.db import connections, models
from django.db.models import Exists, Max, Min, OuterRef, Q
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext as _


class BoundedCountPaginator(Paginator):
    """Counts at most ``counted_to`` + 1 rows. Past that, ``count`` is ``counted_to`` + 1 (so the
    pager shows one more page than it has proof of) and ``count_is_bounded`` is true."""

    def __init__(self, object_list, per_page, *, counted_to: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.counted_to = counted_to
        self.count_is_bounded = False

    @cached_property
    def count(self) -> int:
        rows = self.object_list.order_by().values("pk")[: self.counted_to + 1].count()
        self.count_is_bounded = rows > self.counted_to
        return rows


class PeriodProbeQuerySet(models.QuerySet):
    """``dates()`` for the date hierarchy that proves each year, month or day between the first
    and the last date with one row (an index probe each, in one query), rather than reading every
    row to collect the distinct ones: as cheap for ten rows as for a million."""

    MAX_PERIODS = 100

    def dates(self, field_name, kind, order="ASC"):
        field = self.model._meta.get_field(field_name) if "__" not in field_name else None
        if kind not in ("year", "month", "day") or type(field) is not models.DateField:
            return super().dates(field_name, kind, order)
        bounds = self.aggregate(first=Min(field_name), last=Max(field_name))
        if bounds["first"] is None:
            return []
        periods = list(_periods(bounds["first"], bounds["last"], kind))
        if len(periods) > self.MAX_PERIODS or (len(periods) > 1 and not connections[
                self.db].features.supports_slicing_ordering_in_compound):  # SQLite: no LIMIT inside a UNION
            return super().dates(field_name, kind, order)
        probes = [self.order_by().filter(**{f"{field_name}__gte": start, f"{field_name}__lt": end})
                  .values_list(field_name, flat=True)[:1] for start, end in periods]
        found = probes[0].union(*probes[1:], all=True) if len(probes) > 1 else probes[0]
        return sorted({_start_of(day, kind) for day in found}, reverse=order == "DESC")


def _start_of(day: datetime.date, kind: str) -> datetime.date:
    return day.replace(month=1, day=1) if kind == "year" else day.replace(day=1) if kind == "month" else day


def _periods(first: datetime.date, last: datetime.date, kind: str):
    start = _start_of(first, kind)
    while start <= last:
        if kind == "year":
            end = start.replace(year=start.year + 1)
        elif kind == "month":
            end = (start + datetime.timedelta(days=32)).replace(day=1)
        else:
            end = start + datetime.timedelta(days=1)
        yield start, end
        start = end


@cache
def _probing(queryset_class: type) -> type:
    return type(f"PeriodProbe{queryset_class.__name__}", (PeriodProbeQuerySet, queryset_class), {})


class BoundedCountChangeList(ChangeList):
    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        if self.date_hierarchy and not isinstance(queryset, PeriodProbeQuerySet):
            queryset.__class__ = _probing(type(queryset))
        return queryset

    def get_results(self, request):
        super().get_results(request)
        self.result_count_bounded = getattr(self.paginator, "count_is_bounded", False)
        self.result_count_display = (f"more than {self.paginator.counted_to:,}" if self.result_count_bounded
                                     else f"{self.result_count:,}")


class BoundedCountAdminMixin:
    """Mix into a ModelAdmin whose list can hold more rows than anyone reads through."""

    show_full_result_count = False
    pages_counted_ahead = 5

    def get_changelist(self, request, **kwargs):
        return BoundedCountChangeList

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        # The admin's autocomplete (a search box on another form) pages by "page", the list by "p".
        autocomplete = getattr(request.resolver_match, "url_name", None) == "autocomplete"
        try:
            page = max(int(request.GET.get("page" if autocomplete else PAGE_VAR, 1)), 1)
        except ValueError:
            page = 1  # Django's change list answers a bad page number itself
        return BoundedCountPaginator(queryset, per_page, orphans=orphans, allow_empty_first_page=allow_empty_first_page,
                                     counted_to=(page - 1 + self.pages_counted_ahead) * per_page)

    def action_checkbox(self, obj):
        # Django's column, written out: the same input without a form template per row.
        return format_html('<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
                           helpers.ACTION_CHECKBOX_NAME, obj.pk,
                           format_html(_("Select this object for an action - {}"), str(obj)))

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if getattr(changelist, "result_count_bounded", False):
            response.context_data["selection_note_all"] = f"All {changelist.result_count_display} selected"
        return response


class VisibleOwnerFilter(admin.RelatedOnlyFieldListFilter):
    """The owners of the documents in the list, found one organization at a time (is there a
    document of theirs the user may see?) rather than by reading every visible document: the
    cost follows the number of organizations, not of documents."""

    def field_choices(self, field, request, model_admin):
        visible = model_admin.get_queryset(request).order_by()
        owning = Exists(visible.filter(**{self.field_path: OuterRef("pk")}))
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(include_blank=False, limit_choices_to=Q(owning), ordering=ordering)
