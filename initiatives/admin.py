"""Initiatives and their evaluations on the engine's admin integration: the workflow panel,
taskers, comment matrix and history (``workflow.admin_views.RoutedDocumentAdminMixin``); the
change forms saved by ``services.initiative_write`` / ``services.evaluation_write``, the API's
writes. An approved initiative's page records monitoring entries (``services.monitoring_record``);
its entries are read-only."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from organizations.widgets import CountryAutocompleteAdminMixin
from security.admin_mixins import InlineFollowsParentMixin
from workflow.admin_lists import BoundedCountAdminMixin, VisibleOwnerFilter
from workflow.admin_views import RoutedDocumentAdminMixin
from workflow.admin_writes import (
    RowsCheckedByServiceForm,
    RowsCheckedByServiceFormSet,
    ServiceWriteAdminMixin,
    row_values,
    submitted_rows,
)
from workflow.exceptions import WorkflowError

from . import services
from .models import Indicator, Initiative, InitiativeEvaluation, MonitoringEntry
from .selectors import initiatives_visible_to

MARKING = ("Marking", {"fields": (("classification", "noforn"), "rel_to")})


class ExportAdminMixin:
    """CSV and XLSX of the selected rows (the changelist's queryset: only what the reader may
    see), with the banner of what they hold, each export an audit event (``workflow.exports``)."""

    export_header: list[str] = []

    def _export(self, request, queryset, fmt):
        from workflow.exports import export_response

        documents = list(queryset.prefetch_related("rel_to"))
        return export_response(request=request, name=str(self.model._meta.verbose_name_plural).capitalize(),
                               header=self.export_header, rows=self.export_rows(documents),
                               markings=[d.marking() for d in documents], fmt=fmt)

    @admin.action(description="Export the selected rows as CSV")
    def export_csv(self, request, queryset):
        return self._export(request, queryset, "csv")

    @admin.action(description="Export the selected rows as XLSX")
    def export_xlsx(self, request, queryset):
        return self._export(request, queryset, "xlsx")


class IndicatorInline(InlineFollowsParentMixin, admin.TabularInline):
    model = Indicator
    form = RowsCheckedByServiceForm
    formset = RowsCheckedByServiceFormSet
    extra = 0
    verbose_name_plural = "monitoring plan: indicators with their baselines and targets"
    fields = ("name", "kind", "unit", "baseline_value", "baseline_on", "target_value", "frequency_months")


class MonitoringEntryForm(forms.Form):
    indicator = forms.ModelChoiceField(queryset=Indicator.objects.none())
    period_end = forms.DateField(label="Period ending", help_text="YYYY-MM-DD: the last day of the period measured.")
    value = forms.CharField(max_length=40)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


@admin.register(Initiative)
class InitiativeAdmin(ExportAdminMixin, ServiceWriteAdminMixin, BoundedCountAdminMixin, RoutedDocumentAdminMixin,
                      CountryAutocompleteAdminMixin, admin.ModelAdmin):
    """An initiative's page: its design and monitoring plan while a draft or returned, then the
    engine's panels, and once approved its monitoring entries."""

    list_display = ("title", "owner", "partner", "program", "start_fiscal_year", "end_fiscal_year", "state",
                    "updated_at")
    list_filter = ("state", "program", ("owner", VisibleOwnerFilter))
    search_fields = ("title", "owner__acronym", "program__code")
    list_select_related = ("owner", "partner", "program")
    inlines = [IndicatorInline]
    autocomplete_fields = ("rel_to",)
    readonly_fields = ("state", "return_reason", "decision_note", "created_by", "submitted_at", "approved_at",
                       "monitoring_entries")
    fieldsets = [
        (None, {"fields": ("title", "objective", "partner", "program", ("start_fiscal_year", "end_fiscal_year"),
                           "estimated_cost", "description")}),
        ("Initial assessment and design", {"fields": ("initial_assessment", "theory_of_change")}),
        MARKING,
        ("Monitoring", {"fields": ("monitoring_entries",)}),
        ("Record", {"fields": ("state", "return_reason", "decision_note", "created_by", "submitted_at",
                               "approved_at")}),
    ]
    change_select_related = ("objective", "partner", "program", "created_by")
    change_prefetch_related = ("rel_to", "indicators")
    actions = ["export_csv", "export_xlsx"]
    export_header = ["Marking", "Title", "Owner", "Partner", "Program", "First FY", "Last FY",
                     "Estimated cost (USD)", "State", "Latest monitoring entry", "Updated"]

    def export_rows(self, initiatives):
        from django.db.models import Max

        latest = dict(MonitoringEntry.objects.filter(indicator__initiative__in=initiatives)
                      .values("indicator__initiative").annotate(last=Max("period_end"))
                      .values_list("indicator__initiative", "last"))
        return [[i.marking().portion, i.title, str(i.owner), i.partner.name, i.program.code, i.start_fiscal_year,
                 i.end_fiscal_year, i.estimated_cost, i.get_state_display(), latest.get(i.pk) or "", i.updated_at]
                for i in initiatives]

    def visible_queryset(self, request):
        return initiatives_visible_to(request.user).select_related("owner", "partner", "program")

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return (*fields, "objective", "partner", "program") if obj is not None else fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "objective":
            # The objectives of the campaign plans of the commands the person writes for.
            from organizations.selectors import organization_ids_acting_for
            from planning.models import CampaignPlan, Objective
            from planning.selectors import plans_visible_to
            from security.access import marking_q

            organizations = organization_ids_acting_for(request.user, role=services.WRITER_ROLES)
            plans = plans_visible_to(request.user, CampaignPlan).filter(owner__in=organizations)
            kwargs["queryset"] = Objective.objects.filter(marking_q(request.user, Objective),
                                                          plan__in=plans.values("plan_ptr_id")).select_related("plan")
        if db_field.name == "program":
            from django.apps import apps

            kwargs["queryset"] = apps.get_model("assessments", "Program").objects.filter(active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="monitoring entries")
    def monitoring_entries(self, initiative):
        from django.utils.html import format_html, format_html_join

        if initiative is None or initiative.pk is None:
            return "—"
        rows = MonitoringEntry.objects.filter(indicator__initiative=initiative).select_related("indicator")
        record = ""
        if initiative.state in services.MONITORED_STATES:
            record = format_html('<p><a id="record-monitoring" href="{}">Record a monitoring entry</a></p>',
                                 reverse("admin:initiatives_initiative_monitoring", args=[initiative.pk]))
        if not rows:
            return format_html("{}<p>None recorded yet.</p>", record)
        return format_html('{}<table id="monitoring-entries"><thead><tr><th>Indicator</th><th>Period ending</th>'
                           "<th>Value</th><th>Note</th></tr></thead><tbody>{}</tbody></table>", record,
                           format_html_join("", "<tr><td>{}</td><td>{}</td><td>{} {}</td><td>{}</td></tr>",
                                            ((e.indicator.name, e.period_end.isoformat(), e.value, e.indicator.unit,
                                              e.note) for e in rows)))

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        wrap = self.admin_site.admin_view
        return [path("<int:pk>/monitoring/", wrap(self.monitoring_view), name=f"{info[0]}_{info[1]}_monitoring"),
                *super().get_urls()]

    def monitoring_view(self, request, pk: int):
        """Record a monitoring entry (``services.monitoring_record``): refusals beside their field."""
        initiative = get_object_or_404(initiatives_visible_to(request.user), pk=pk)
        form = MonitoringEntryForm(request.POST or None)
        form.fields["indicator"].queryset = initiative.indicators.all()
        if request.method == "POST" and form.is_valid():
            try:
                services.monitoring_record(by=request.user, initiative=initiative,
                                           indicator=form.cleaned_data["indicator"],
                                           period_end=form.cleaned_data["period_end"],
                                           value=form.cleaned_data["value"], note=form.cleaned_data["note"])
            except WorkflowError as error:
                for field, errors in getattr(error, "field_errors", {}).items():
                    for message in errors:
                        form.add_error(field if field in form.fields else None, message)
                if not getattr(error, "field_errors", None):
                    if error.__class__.__name__ == "NotPermitted":
                        raise PermissionDenied(str(error)) from error
                    form.add_error(None, "; ".join(getattr(error, "reasons", [str(error)])))
            else:
                messages.success(request, "Monitoring entry recorded.")
                return redirect(reverse("admin:initiatives_initiative_change", args=[initiative.pk]))
        context = {**self.admin_site.each_context(request), "title": f"Record a monitoring entry: {initiative}",
                   "form": form, "initiative": initiative, "opts": self.opts}
        return TemplateResponse(request, "admin/initiatives/monitoring.html", context)

    def service_write(self, request, form, formsets, change):
        cleaned = form.cleaned_data
        lists = {formset.prefix: [row_values(row) for row in submitted_rows(formset)] for formset in formsets}
        return services.initiative_write(
            by=request.user, initiative=form.instance if change else None, objective=cleaned.get("objective"),
            partner=cleaned.get("partner"), program=cleaned.get("program"),
            fields={name: cleaned[name] for name in services.INITIATIVE_FIELDS if name in cleaned},
            indicators=lists.get("indicators"), rel_to=cleaned.get("rel_to"))


@admin.register(InitiativeEvaluation)
class InitiativeEvaluationAdmin(ExportAdminMixin, ServiceWriteAdminMixin, BoundedCountAdminMixin, RoutedDocumentAdminMixin,
                                admin.ModelAdmin):
    list_display = ("title", "initiative", "evaluation_type", "rating", "owner", "state", "updated_at")
    list_filter = ("state", "evaluation_type", "rating")
    search_fields = ("title", "initiative__title")
    list_select_related = ("initiative", "owner")
    autocomplete_fields = ("rel_to",)
    readonly_fields = ("state", "return_reason", "decision_note", "created_by", "approved_at")
    fieldsets = [
        (None, {"fields": ("title", "initiative", "evaluation_type", ("period_start", "period_end"), "evaluator")}),
        ("Findings", {"fields": ("findings", "recommendations", "rating")}),
        MARKING,
        ("Record", {"fields": ("state", "return_reason", "decision_note", "created_by", "approved_at")}),
    ]
    change_select_related = ("initiative", "created_by")
    change_prefetch_related = ("rel_to",)
    actions = ["export_csv", "export_xlsx"]
    export_header = ["Marking", "Title", "Initiative", "Type", "Period start", "Period end", "Rating", "Owner",
                     "State", "Updated"]

    def export_rows(self, evaluations):
        return [[e.marking().portion, e.title, e.initiative.title, e.get_evaluation_type_display(), e.period_start,
                 e.period_end, e.get_rating_display(), str(e.owner), e.get_state_display(), e.updated_at]
                for e in evaluations]

    def visible_queryset(self, request):
        from .selectors import evaluations_visible_to

        return evaluations_visible_to(request.user).select_related("initiative", "owner")

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return (*fields, "initiative") if obj is not None else fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "initiative":
            from organizations.selectors import organization_ids_acting_for

            organizations = organization_ids_acting_for(request.user, role=services.WRITER_ROLES)
            kwargs["queryset"] = initiatives_visible_to(request.user).filter(
                state__in=services.EVALUATED_STATES, program__administered_by__in=organizations)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def service_write(self, request, form, formsets, change):
        cleaned = form.cleaned_data
        return services.evaluation_write(
            by=request.user, evaluation=form.instance if change else None, initiative=cleaned.get("initiative"),
            fields={name: cleaned[name] for name in services.EVALUATION_FIELDS if name in cleaned},
            rel_to=cleaned.get("rel_to"))
