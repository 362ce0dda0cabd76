"""Admin of the assessment cycle: thin. The cycle, the template, the assessments and the program
assessments are routed documents served by the engine's one admin integration, as plans are
(``workflow.admin_views.RoutedDocumentAdminMixin``): the workflow panel with every transition and
why it is (un)available, the taskers and their answer forms, the comment resolution matrix with
its adjudication, and the history. The launch shows a progress bar that refreshes itself."""

from __future__ import annotations

import copy

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from organizations.models import Organization
from planning.models import Plan
from security.admin_mixins import InlineFollowsParentMixin, ReadOnlyAdminMixin
from security.audit import AuditAction, audit_record
from workflow.admin_views import RoutedDocumentAdminMixin, once_per_form
from workflow.admin_writes import ServiceWriteAdminMixin, row_values, submitted_rows
from workflow.exceptions import InvalidInput, WorkflowError

from . import services
from .models import (
    Answer,
    Assessment,
    AssessmentCycle,
    CycleState,
    Program,
    ProgramAssessment,
    Question,
    Template,
    TemplateSection,
)
from .report_charts import report_charts
from .reports import cycle_report, may_view_report, report_xlsx
from .rules import cycle_office_holders, cycle_offices_refusals
from .selectors import answer_sheet, documents_visible_to


def progress_bar(cycle: AssessmentCycle) -> str:
    if cycle.launch_started_at is None:
        return "—"
    return format_html('<progress value="{}" max="{}">{}%</progress> {} of {}{}', cycle.launch_done,
                       cycle.launch_total or 1, cycle.launch_percent, cycle.launch_done, cycle.launch_total,
                       " (launching…)" if cycle.launch_in_progress else "")


class AssessmentCycleForm(forms.ModelForm):
    """The cycle's offices are the designated ones: each field offers the organizations holding its
    designation today (and the value already saved), a new cycle starts with them filled in, and
    the form asks ``cycle_offices_refusals`` (the service's rule) before saving."""

    class Meta:
        model = AssessmentCycle
        fields = ("fiscal_year", "owner", "policy_office", "program_coordinator",
                                                "template_suspense", "collection_suspense",
                                                "joint_review_suspense", "evaluation_suspense")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        holders = cycle_office_holders()
        for name, ids in holders.items():
            field = self.fields.get(name)
            if field is None:
                continue
            saved = getattr(self.instance, f"{name}_id", None)
            # The select offers the holders; any other organization sent is answered by the
            # designation rule in ``clean`` (naming the designation), not as an unknown choice.
            offered = Organization.objects.filter(pk__in={*ids, *([saved] if saved else [])})
            field.choices = [("", field.empty_label or "---------")] + [(o.pk, str(o)) for o in offered]
            if self.instance.pk is None and ids:
                self.fields[name].initial = ids[0]

    def clean(self):
        cleaned = super().clean()
        if all(name in self.fields for name in ("owner", "policy_office")):
            refusals = cycle_offices_refusals(owner=cleaned.get("owner"), policy_office=cleaned.get("policy_office"),
                                              program_coordinator=cleaned.get("program_coordinator"))
            for name, message in refusals.items():
                if name in self.fields:
                    self.add_error(name, message)
        return cleaned


@admin.register(AssessmentCycle)
class AssessmentCycleAdmin(ServiceWriteAdminMixin, RoutedDocumentAdminMixin, admin.ModelAdmin):
    """Saved by ``cycle_create`` and ``cycle_update`` (``workflow.admin_writes``)."""

    form = AssessmentCycleForm
    change_form_template = "admin/assessments/assessmentcycle/change_form.html"
    change_list_template = "admin/assessments/assessmentcycle/change_list.html"
    list_display = ("__str__", "state", "launch_progress", "collection_suspense", "report_link")
    change_select_related = ("owner", "policy_office", "program_coordinator")

    def visible_queryset(self, request):
        return documents_visible_to(request.user, AssessmentCycle)

    list_filter = ("state",)
    fields = ("fiscal_year", "owner", "policy_office", "program_coordinator", "template_suspense",
              "collection_suspense", "joint_review_suspense", "evaluation_suspense", "state", "launch_progress",
              "joint_review", "evaluation")
    readonly_fields = ("state", "launch_progress", "joint_review", "evaluation")

    @admin.display(description="launch")
    def launch_progress(self, cycle):
        return progress_bar(cycle)

    @admin.display(description="report")
    def report_link(self, cycle):
        return format_html('<a href="{}">Report</a>', reverse("admin:assessments_assessmentcycle_report",
                                                              args=[cycle.pk]))

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.state != CycleState.SETUP:
            return self.fields
        return self.readonly_fields

    def service_write(self, request, form, formsets, change):
        fields = {name: form.cleaned_data[name] for name in services.CYCLE_FIELDS if name in form.cleaned_data}
        if change:
            return services.cycle_update(cycle=form.instance, by=request.user, **fields)
        return services.cycle_create(by=request.user, **fields)

    def changelist_view(self, request, extra_context=None):
        extra_context = dict(extra_context or {})
        extra_context["launching"] = AssessmentCycle.objects.filter(
            state=CycleState.LAUNCHED, launch_finished_at__isnull=True).exists()
        return super().changelist_view(request, extra_context=extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        cycle = self.get_object(request, object_id)
        extra_context = dict(extra_context or {})
        if cycle is not None:
            extra_context["cycle"] = cycle
            extra_context["progress"] = progress_bar(cycle)
            extra_context["plans_not_assessed"] = (
                services.cycle_plans_not_assessed(cycle=cycle) if cycle.state in services.COLLECTING_STATES else [])
        return super().change_view(request, object_id, form_url, extra_context=extra_context)

    def get_urls(self):
        view = self.admin_site.admin_view
        extra = [
            path("<int:pk>/report/", view(self.report_view), name="assessments_assessmentcycle_report"),
            path("<int:pk>/report/print/", view(self.report_print_view),
                 name="assessments_assessmentcycle_report_print"),
            path("<int:pk>/report.xlsx", view(self.report_xlsx_view), name="assessments_assessmentcycle_report_xlsx"),
            path("<int:pk>/add-plans/", view(self.add_plans_view), name="assessments_assessmentcycle_add_plans"),
        ]
        return extra + super().get_urls()

    def _report(self, request, pk):
        cycle = get_object_or_404(AssessmentCycle.objects.select_related("owner", "policy_office"), pk=pk)
        if not may_view_report(request.user, cycle):
            raise PermissionDenied
        return cycle_report(cycle=cycle)

    def report_view(self, request, pk: int):
        report = self._report(request, pk)
        context = {**self.admin_site.each_context(request), "report": report, "opts": self.model._meta,
                   "title": f"{report.cycle}: report", "charts": report_charts(report)}
        return TemplateResponse(request, "admin/assessments/assessmentcycle/report.html", context)

    def report_print_view(self, request, pk: int):
        report = self._report(request, pk)
        return TemplateResponse(request, "assessments/report_print.html",
                                {"report": report, "charts": report_charts(report)})

    def report_xlsx_view(self, request, pk: int):
        report = self._report(request, pk)
        response = HttpResponse(report_xlsx(report), content_type=(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
        response["Content-Disposition"] = f'attachment; filename="assessment-report-FY{report.cycle.fiscal_year}.xlsx"'
        audit_record(action=AuditAction.EXPORT, request=request, obj=report.cycle,
                     description=f"{report.cycle} report downloaded as XLSX ({report.banner})")
        return response

    @once_per_form
    def add_plans_view(self, request, pk: int):
        """Add every plan approved since the launch (administrators; each through ``cycle_add_plan``)."""
        if request.method != "POST":
            raise Http404
        cycle = get_object_or_404(self.visible_queryset(request), pk=pk)
        added = 0
        try:
            for item in services.cycle_plans_not_assessed(cycle=cycle):
                plan = Plan.objects.select_related(*Plan.kind_paths()).get(pk=item["plan_id"]).document
                services.cycle_add_plan(cycle=cycle, plan=plan, by=request.user)
                added += 1
        except WorkflowError as exc:
            for reason in exc.reasons:
                messages.error(request, reason)
        if added:
            messages.success(request, f"{added} plan{'s' if added != 1 else ''} added to the {cycle}.")
        return redirect(reverse("admin:assessments_assessmentcycle_change", args=[pk]))


class TemplateSectionInline(InlineFollowsParentMixin, admin.TabularInline):
    model = TemplateSection
    fields = ("position", "title")
    show_change_link = True
    extra = 0


@admin.register(Template)
class TemplateAdmin(ServiceWriteAdminMixin, RoutedDocumentAdminMixin, admin.ModelAdmin):
    """Saved by ``template_create`` and ``template_update`` (``workflow.admin_writes``). USD(P)'s
    consultation is a tasker on the template, answered on this page like any other."""

    list_display = ("__str__", "cycle", "state", "frozen")
    list_filter = ("cycle", "state")
    fields = ("cycle", "title", "instructions", "version", "owner", "state", "frozen")
    readonly_fields = ("version", "owner", "state", "frozen")
    inlines = [TemplateSectionInline]

    def visible_queryset(self, request):
        return documents_visible_to(request.user, Template).select_related("owner", "cycle")

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return self.fields if obj.frozen else ("cycle", *self.readonly_fields)
        return self.readonly_fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            return form

        class NewVersionForm(form):
            def clean(self):
                cleaned = super().clean()
                try:
                    if cleaned.get("cycle") is not None:
                        services.template_create_check(cycle=cleaned["cycle"], by=request.user)
                except WorkflowError as exc:
                    raise ValidationError(exc.reasons) from exc
                return cleaned

        return NewVersionForm

    def service_write(self, request, form, formsets, change):
        cleaned = form.cleaned_data
        if not change:
            return services.template_create(cycle=cleaned["cycle"], by=request.user, title=cleaned.get("title", ""),
                                            instructions=cleaned.get("instructions", ""))
        sections = next(([row_values(row) for row in submitted_rows(formset)] for formset in formsets
                         if formset.model is TemplateSection), None)
        return services.template_update(template=form.instance, by=request.user, title=cleaned.get("title"),
                                        instructions=cleaned.get("instructions"), sections=sections)


class QuestionInline(InlineFollowsParentMixin, admin.StackedInline):
    model = Question
    fields = (("position", "kind", "required"), "text", "guidance", "scale")
    extra = 0


@admin.register(TemplateSection)
class TemplateSectionAdmin(admin.ModelAdmin):
    list_display = ("title", "template", "position")
    list_filter = ("template__cycle",)
    inlines = [QuestionInline]

    def get_readonly_fields(self, request, obj=None):
        return ("template", "position", "title") if obj is not None and obj.template.frozen else ()


class AnswerInline(ReadOnlyAdminMixin, InlineFollowsParentMixin, admin.TabularInline):
    model = Answer
    fields = ("question", "objective", "rating", "justification", "text", "answered_by", "updated_at")
    readonly_fields = fields
    extra = 0
    can_delete = False


class AssessmentAdminBase(RoutedDocumentAdminMixin, admin.ModelAdmin):
    """Assessments: the engine's panels, and, while the service lets the user change the answers,
    a form under the change form (never inside it) listing every question of the cycle's template
    that POSTs to ``answers_view``."""

    change_form_template = "admin/assessments/assessment_change_form.html"
    list_display = ("title", "owner", "state", "suspense", "first_submitted_at")
    text_fields = ("strategic_environment_changes", "recommended_guidance_changes")

    def visible_queryset(self, request):
        # Need-to-know and the assessed plan's marking: a document the user may not see is a 404.
        return documents_visible_to(request.user, self.model).select_related("owner", "cycle")

    def _url_name(self, view: str) -> str:
        return f"{self.model._meta.app_label}_{self.model._meta.model_name}_{view}"

    def get_urls(self):
        extra = [path("<int:pk>/answers/", self.admin_site.admin_view(self.answers_view),
                      name=self._url_name("answers"))]
        return extra + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        document = self.get_object(request, object_id)
        extra_context = dict(extra_context or {})
        # Django's change form holds nothing anyone edits here (the answers have their own form
        # and button below it): no Save button that would report a save and drop what was typed.
        extra_context.update(show_save=False, show_save_and_continue=False, show_save_and_add_another=False)
        typed = extra_context.pop("answers_typed", None)
        if document is not None:
            try:
                services.answers_edit_check(document=document, by=request.user)
                extra_context["answers_editable"], extra_context["answers_refusal"] = True, []
            except WorkflowError as exc:
                extra_context["answers_editable"], extra_context["answers_refusal"] = False, exc.reasons
            rows = []
            for row in answer_sheet(document):
                key = f"{row['question'].pk}-{getattr(row['objective'], 'pk', 0)}"
                shown = (typed["answers"].get(key) if typed else None) or {
                    name: getattr(row["answer"], name, "") for name in ("rating", "justification", "text")}
                rows.append({**row, "key": key, "shown": shown, "errors": typed["errors"].get(key, []) if typed else []})
            extra_context["answer_rows"] = rows
            extra_context["answer_texts"] = typed["texts"] if typed else {
                name: getattr(document, name) for name in self.text_fields}
            extra_context["answers_url"] = reverse(f"admin:{self._url_name('answers')}", args=[document.pk])
        return super().change_view(request, object_id, form_url, extra_context=extra_context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and object_id is not None:
            messages.warning(request, "Nothing was saved: the answers and texts are saved with their own button, "
                                      "“Save answers”.")
            return redirect(reverse(f"admin:{self._url_name('change')}", args=[object_id]))
        return super().changeform_view(request, object_id, form_url, extra_context)

    @once_per_form
    def answers_view(self, request, pk: int):
        """Save the answer form: the texts and every answer filled or changed, through
        ``assessment_answers_save`` (one transaction: a refusal saves nothing). Answers refused
        for what they say bring the page back with everything as typed, each reason beside its
        question; other refusals (not the owner, not in progress) come back as messages."""
        if request.method != "POST":
            raise Http404
        document = get_object_or_404(self.visible_queryset(request), pk=pk)
        fields = {name: request.POST[name] for name in self.text_fields
                  if name in request.POST and request.POST[name].strip() != getattr(document, name)}
        answers, keys, typed = [], [], {}
        for row in answer_sheet(document):
            key = f"{row['question'].pk}-{getattr(row['objective'], 'pk', 0)}"
            given = {name: request.POST.get(f"answer-{key}-{name}", "") for name in ("rating", "justification", "text")}
            typed[key] = given
            current = row["answer"]
            if current is None and not any(value.strip() for value in given.values()):
                continue  # not answered yet, and left blank
            if current is not None and all(given[name].strip() == getattr(current, name) for name in given):
                continue  # unchanged
            answers.append({"question": row["question"], "objective": row["objective"], **given})
            keys.append(key)
        try:
            services.assessment_answers_save(document=document, by=request.user, answers=answers, **fields)
            messages.success(request, f"{document}: {len(answers)} answer{'s' if len(answers) != 1 else ''}"
                                      f"{' and the texts' if fields else ''} saved.")
        except WorkflowError as exc:
            messages.error(request, "Nothing was saved.")
            for reason in exc.reasons:
                messages.error(request, reason)
            if isinstance(exc, InvalidInput):
                errors: dict[str, list[str]] = {}
                for name, said in exc.field_errors.items():
                    index = name[len("answers["):name.index("]")] if name.startswith("answers[") else ""
                    if index.isdigit() and int(index) < len(keys):
                        errors.setdefault(keys[int(index)], []).extend(said)
                texts = {name: request.POST.get(name, getattr(document, name)) for name in self.text_fields}
                return self._page_again(request, pk, {"answers": typed, "errors": errors, "texts": texts})
        return redirect(reverse(f"admin:{self._url_name('change')}", args=[pk]))

    def _page_again(self, request, pk: int, typed: dict):
        """The change page drawn for this request, with the answers as typed: a refusal loses
        nothing (Django's change view draws its page for a GET; this request's POST was the
        answers form's, which saved nothing)."""
        page = copy.copy(request)
        page.method = "GET"
        return self.change_view(page, str(pk), extra_context={"answers_typed": typed})

    list_filter = ("cycle", "state", "owner")
    search_fields = ("title", "owner__acronym")
    readonly_fields = ("cycle", "owner", "title", "suspense", "state", "strategic_environment_changes",
                       "recommended_guidance_changes", "return_reason", "first_submitted_at", "submitted_at",
                       "accepted_at", "evaluated_at")
    inlines = [AnswerInline]


@admin.register(Assessment)
class AssessmentAdmin(AssessmentAdminBase):
    readonly_fields = ("assessed_plan", *AssessmentAdminBase.readonly_fields)
    # The plan as its kind, read with the assessment (its banner and the field below show it).
    change_select_related = tuple(Plan.kind_paths("plan"))

    @admin.display(description="plan assessed")
    def assessed_plan(self, obj: Assessment) -> str:
        """The plan, of either kind, linked to its page (which checks who may see it)."""
        plan = obj.assessed_plan
        url = reverse(f"admin:{plan._meta.app_label}_{plan._meta.model_name}_change", args=[plan.pk])
        return format_html('<a href="{}">{}</a>', url, f"{plan._meta.verbose_name.capitalize()}: {plan}")


@admin.register(ProgramAssessment)
class ProgramAssessmentAdmin(AssessmentAdminBase):
    readonly_fields = ("program", *AssessmentAdminBase.readonly_fields)


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "administered_by", "active")
    list_filter = ("active",)
