"""List filters. Each one narrows what the need-to-know selectors already allow; none widens it."""

from __future__ import annotations

import django_filters as filters
from django import forms
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils import timezone
from django_countries import countries

from organizations.models import (
    Country,
    FADAssignment,
    ForceActivityDesignator,
    Organization,
    OrganizationKind,
)
from planning.models import CampaignPlan, CampaignPlanKind, CampaignSupportPlan, GEFGuidance, PlanState
from workflow.models import Comment as WorkflowComment
from workflow.models import CommentCategory, Decision, Step, Tasker, TaskerState
from workflow.selectors import overdue_document_ids, taskers_for_user, taskers_overdue

from .documents import DOCUMENT_KINDS, kind_by_resource

# Ids are 64-bit: anything outside is a 400, never a database error.
ID_MAX = 2**63 - 1


class StrictBooleanField(forms.Field):
    """``true``/``false`` (or ``1``/``0``); anything else is a 400 naming the parameter, where
    django-filter's own boolean quietly ignores it (``overdue=perhaps`` listed everything)."""

    widget = forms.TextInput
    WORDS = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value):
        if value in (None, ""):
            return None
        word = str(value).strip().lower()
        if word not in self.WORDS:
            raise forms.ValidationError("Must be true or false.")
        return self.WORDS[word]


class StrictBooleanFilter(filters.BooleanFilter):
    field_class = StrictBooleanField


class OrganizationFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=OrganizationKind.choices)
    active = StrictBooleanFilter()
    parent = filters.CharFilter(field_name="parent__acronym", help_text="Acronym of the parent organization.")

    class Meta:
        model = Organization
        fields = ["kind", "active", "parent"]


class CountryFilter(filters.FilterSet):
    name = filters.CharFilter(method="filter_name", help_text="Part of the English short name.")
    command = filters.CharFilter(method="filter_command",
                                 help_text="Acronym of the geographic combatant command covering it today.")

    class Meta:
        model = Country
        fields = ["name", "command"]

    def filter_name(self, queryset, name, value):
        codes = [code for code, label in countries if value.lower() in str(label).lower()]
        return queryset.filter(code__in=codes)

    def filter_command(self, queryset, name, value):
        today = timezone.localdate()
        return queryset.filter(aor_periods__command__acronym=value, aor_periods__start__lte=today).filter(
            Q(aor_periods__end__isnull=True) | Q(aor_periods__end__gt=today)).distinct()


class GEFFilter(filters.FilterSet):
    class Meta:
        model = GEFGuidance
        fields = ["year", "classification"]


def _has_overdue_tasker(queryset):
    return Q(pk__in=overdue_document_ids(queryset.model))


class PlanFilter(filters.FilterSet):
    state = filters.ChoiceFilter(choices=PlanState.choices)
    owner = filters.CharFilter(field_name="owner__acronym", help_text="Acronym of the owning organization.")
    overdue = StrictBooleanFilter(method="filter_overdue", help_text="Has (or has no) overdue taskers.")

    def filter_overdue(self, queryset, name, value):
        condition = _has_overdue_tasker(queryset)
        return queryset.filter(condition) if value else queryset.exclude(condition)


class CampaignPlanFilter(PlanFilter):
    kind = filters.ChoiceFilter(choices=CampaignPlanKind.choices)

    class Meta:
        model = CampaignPlan
        fields = ["state", "owner", "kind", "gef", "classification", "series", "overdue"]


class CampaignSupportPlanFilter(PlanFilter):
    class Meta:
        model = CampaignSupportPlan
        fields = ["state", "owner", "gef", "classification", "series", "overdue"]


class _DocumentFilter(filters.FilterSet):
    document_type = filters.ChoiceFilter(choices=[(k.resource, k.resource) for k in DOCUMENT_KINDS],
                                         method="filter_document_type")
    document_id = filters.NumberFilter(field_name="object_id", min_value=1, max_value=ID_MAX)
    organization = filters.CharFilter(field_name="organization__acronym",
                                      help_text="Acronym of the tasked (or commenting) organization.")

    def filter_document_type(self, queryset, name, value):
        kind = kind_by_resource(value)
        return queryset.filter(content_type=ContentType.objects.get_for_model(kind.model))


class TaskerFilter(_DocumentFilter):
    assigned_to_me = StrictBooleanFilter(method="filter_assigned_to_me",
                                           help_text="My taskers: open, for me or an organization I act for.")
    state = filters.ChoiceFilter(choices=TaskerState.choices)
    step = filters.ChoiceFilter(choices=Step.choices)
    overdue = StrictBooleanFilter(method="filter_overdue", help_text="Open and past its suspense.")
    due_before = filters.DateFilter(field_name="suspense", lookup_expr="lt",
                                    help_text="Suspense before this date (YYYY-MM-DD).")

    class Meta:
        model = Tasker
        fields = ["assigned_to_me", "organization", "state", "step", "overdue", "due_before", "document_type",
                  "document_id"]

    def filter_assigned_to_me(self, queryset, name, value):
        mine = Q(pk__in=taskers_for_user(self.request.user).values("pk"))
        return queryset.filter(mine) if value else queryset.exclude(mine)

    def filter_overdue(self, queryset, name, value):
        overdue = Q(pk__in=taskers_overdue().values("pk"))
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


class CommentFilter(_DocumentFilter):
    category = filters.ChoiceFilter(choices=CommentCategory.choices)
    decision = filters.ChoiceFilter(choices=Decision.choices)
    adjudicated = StrictBooleanFilter(method="filter_adjudicated")
    tasker = filters.NumberFilter(field_name="tasker_id", min_value=1, max_value=ID_MAX)

    class Meta:
        model = WorkflowComment
        fields = ["organization", "category", "decision", "adjudicated", "tasker", "document_type", "document_id"]

    def filter_adjudicated(self, queryset, name, value):
        return queryset.exclude(decision="") if value else queryset.filter(decision="")


class FADAssignmentFilter(filters.FilterSet):
    country = filters.CharFilter(method="filter_country", help_text="ISO 3166-1 alpha-2 of a partner country.")
    designator = filters.ChoiceFilter(choices=ForceActivityDesignator.choices)
    current = filters.BooleanFilter(method="filter_current", help_text="true: in force today; false: the others.")

    class Meta:
        model = FADAssignment
        fields = ["country", "designator", "current"]

    def filter_country(self, queryset, name, value):
        return queryset.filter(country__code=value.upper())

    def filter_current(self, queryset, name, value):
        from organizations.selectors import fad_assignments_on

        current = fad_assignments_on().values("pk")
        return queryset.filter(pk__in=current) if value else queryset.exclude(pk__in=current)
