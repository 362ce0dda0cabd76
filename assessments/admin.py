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
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from organizations.models import Organization
from planning.models import Plan
from security.admin_mixins import InlineFollowsParentMixin
from security.audit import AuditAction, audit_record
from workflow.admin_views import RoutedDocumentAdminMixin, once_per_form, transition_request
from workflow.admin_writes import (
    RowsCheckedByServiceForm,
    RowsCheckedByServiceFormSet,
    ServiceWriteAdminMixin,
    row_values,
    submitted_rows,
)
from workflow.exceptions import InvalidInput, WorkflowError
from workflow.services import kind_label as services_kind
from workflow.services import state_label, transition_perform, transition_rules

from . import services
from .models import (
    QUESTION_SETS_OF,
    YES_NO_ANSWERS,
    Assessment,
    AssessmentCycle,
    CycleState,
    Program,
    ProgramAssessment,
    Question,
    QuestionSet,
    Template,
    TemplateSection,
    TemplateState,
)
from .report_charts import report_charts
from .reports import cycle_report, may_view_report, report_xlsx
from .rules import cycle_office_holders, cycle_offices_refusals
from .selectors import (
    answer_sheet,
    answers_gaps,
    answers_progress,
    cycle_checklist,
    cycle_setup_proposal,
    documents_visible_to,
)


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

    def get_fields(self, request, obj=None):
        # A cycle being set up shows what it is set up with; its state and outcomes come later.
        return self.fields[:8] if obj is None else self.fields

    def get_changeform_initial_data(self, request):
        """A new cycle proposes its fiscal year and phase calendar from last year's cycle
        (``cycle_setup_proposal``); the offices are the designated ones (the form)."""
        proposal = cycle_setup_proposal()
        request._cycle_proposal_basis = proposal.pop("basis")
        return {**proposal, **super().get_changeform_initial_data(request)}

    def add_view(self, request, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        if request.method == "GET":
            self.get_changeform_initial_data(request)
            extra_context["proposal_basis"] = request._cycle_proposal_basis
        return super().add_view(request, form_url, extra_context)

    def response_add(self, request, obj, post_url_continue=None):
        # The cycle's own page, with its checklist, comes next.
        messages.success(request, f"The {obj} is set up. Its checklist shows what must hold before it launches.")
        return redirect(reverse("admin:assessments_assessmentcycle_change", args=[obj.pk]))

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
            extra_context["plans_not_assessed"] = services.cycle_plans_not_assessed(cycle=cycle)
            if cycle.state in (CycleState.SETUP, CycleState.TEMPLATE):
                extra_context["checklist"] = [{**line, "url": self._fix_url(cycle, line["fix"])}
                                              for line in cycle_checklist(cycle)]
            elif cycle.state in services.ADDING_STATES:
                extra_context["outstanding"] = services.cycle_outstanding(cycle)
                extra_context["outstanding_url"] = (reverse("admin:assessments_assessment_changelist")
                                                    + f"?cycle__id__exact={cycle.pk}&state__in=assigned,in_progress,returned")
        return super().change_view(request, object_id, form_url, extra_context=extra_context)

    @staticmethod
    def _fix_url(cycle: AssessmentCycle, fix: tuple) -> str:
        """Where the checklist's line is set right (``cycle_checklist``'s ``fix``)."""
        kind = fix[0]
        if kind == "template":
            return reverse("admin:assessments_template_change", args=[fix[1]])
        if kind == "tasker":
            return reverse("admin:assessments_template_change", args=[fix[1]]) + "#workflow-taskers"
        if kind == "new_template":
            return reverse("admin:assessments_template_add") + f"?cycle={cycle.pk}"
        if kind == "plans":
            return reverse("admin:planning_campaignplan_changelist") + "?state__exact=approved"
        if kind == "designations":
            return reverse("admin:organizations_organization_changelist")
        return reverse("admin:assessments_assessmentcycle_change", args=[cycle.pk]) + "#content-main"

    CONFIRMED_TRANSITIONS = ("launch", "start_joint_review")

    def transition_view(self, request, pk, name):
        """Launching, and starting the joint review, first show what will happen (how many
        assessments for which plans and programs, who is tasked; how many are outstanding) and
        act only once confirmed on that page."""
        if request.method == "POST" and name in self.CONFIRMED_TRANSITIONS and not request.POST.get("confirmed"):
            cycle = self._document(request, pk)
            if name == "launch" or services.cycle_outstanding(cycle):
                return self._confirmation_page(request, cycle, name)
        if request.method == "POST" and name == "start_joint_review":
            return self._start_joint_review(request, pk)
        return super().transition_view(request, pk, name)

    @once_per_form
    def _start_joint_review(self, request, pk):
        cycle = self._document(request, pk)
        confirmed = request.POST.get("outstanding_confirmed", "")
        transition_request(request, cycle, "start_joint_review",
                           data={"outstanding_confirmed": confirmed} if confirmed else {})
        return self._back(cycle)

    def _confirmation_page(self, request, cycle, name: str):
        rules = transition_rules(AssessmentCycle, name)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "cycle": cycle,
                   "transition": rules, "expected_state": request.POST.get("expected_state", cycle.state),
                   "title": f"{rules.label}: {cycle}",
                   "action_url": reverse("admin:assessments_assessmentcycle_transition", args=[cycle.pk, name]),
                   "back_url": reverse("admin:assessments_assessmentcycle_change", args=[cycle.pk])}
        if name == "launch":
            context["preview"] = services.cycle_launch_preview(cycle=cycle)
        else:
            outstanding = services.cycle_outstanding(cycle)
            context["outstanding"] = outstanding
            context["outstanding_total"] = sum(outstanding.values())
        return TemplateResponse(request, "admin/assessments/assessmentcycle/confirm_transition.html", context)

    def get_urls(self):
        view = self.admin_site.admin_view
        extra = [
            path("<int:pk>/report/", view(self.report_view), name="assessments_assessmentcycle_report"),
            path("<int:pk>/report/print/", view(self.report_print_view),
                 name="assessments_assessmentcycle_report_print"),
            path("<int:pk>/report.xlsx", view(self.report_xlsx_view), name="assessments_assessmentcycle_report_xlsx"),
            path("<int:pk>/report.pdf", view(self.report_pdf_view), name="assessments_assessmentcycle_report_pdf"),
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

    def report_pdf_view(self, request, pk: int):
        from .report_pdf import report_pdf

        report = self._report(request, pk)
        response = HttpResponse(report_pdf(report), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="assessment-report-FY{report.cycle.fiscal_year}.pdf"'
        audit_record(action=AuditAction.EXPORT, request=request, obj=report.cycle,
                     description=f"{report.cycle} report downloaded as PDF ({report.banner})")
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
    fields = ("position", "title", "question_set")
    show_change_link = True
    extra = 0
    verbose_name_plural = "sections (their questions are edited on each section's page: “Change”)"


class NewTemplateForm(forms.ModelForm):
    """A new template version starts from last year's approved template (or this cycle's latest
    version), copied with its sections and questions; or from nothing."""

    copy_from = forms.ModelChoiceField(
        queryset=Template.objects.none(), required=False, label="Start from",
        help_text="Its sections and questions are copied into the new draft, to change at will. "
                  "Leave empty to start from nothing.")

    class Meta:
        model = Template
        fields = ("cycle", "title", "instructions")


@admin.register(Template)
class TemplateAdmin(ServiceWriteAdminMixin, RoutedDocumentAdminMixin, admin.ModelAdmin):
    """Saved by ``template_create`` and ``template_update`` (``workflow.admin_writes``). USD(P)'s
    consultation is a tasker on the template, answered on this page like any other. The page
    shows the questions by section and question set, as commands will see them (the preview),
    each section with a link to edit its questions."""

    change_form_template = "admin/assessments/template/change_form.html"
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

    def get_fields(self, request, obj=None):
        return ("cycle", "copy_from", "title", "instructions") if obj is None else self.fields

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        cycle = AssessmentCycle.objects.filter(pk=initial.get("cycle") or 0).first() if str(
            initial.get("cycle", "")).isdigit() else None
        if cycle is None:
            cycle = AssessmentCycle.objects.filter(state=CycleState.TEMPLATE).order_by("-fiscal_year").first()
            if cycle is not None:
                initial["cycle"] = cycle.pk
        source = services.template_carry_forward_source(cycle) if cycle is not None else None
        if source is not None:
            initial["copy_from"] = source.pk
        return initial

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            return super().get_form(request, obj, change=change, **kwargs)
        kwargs["form"] = NewTemplateForm
        form = super().get_form(request, obj, change=change, **kwargs)

        class NewVersionForm(form):
            def __init__(self, *args, **kw):
                super().__init__(*args, **kw)
                self.fields["title"].required = False
                self.fields["title"].help_text = "Left empty: “FY<year> assessment template”."
                self.fields["copy_from"].queryset = Template.objects.filter(
                    Q(state=TemplateState.APPROVED) | Q(cycle__state=CycleState.TEMPLATE)).select_related(
                    "cycle").order_by("-cycle__fiscal_year", "-version")

            def clean(self):
                cleaned = super().clean()
                try:
                    if cleaned.get("cycle") is not None:
                        services.template_create_check(cycle=cleaned["cycle"], by=request.user)
                except WorkflowError as exc:
                    raise ValidationError(exc.reasons) from exc
                return cleaned

        return NewVersionForm

    def response_add(self, request, obj, post_url_continue=None):
        # The new draft's own page next: its sections are added from there.
        messages.success(request, f"{obj} drafted. Add its sections and questions, then consult USD(P).")
        return redirect(reverse("admin:assessments_template_change", args=[obj.pk]))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        template = self.get_object(request, object_id)
        extra_context = dict(extra_context or {})
        if template is not None:
            sections = list(template.sections.prefetch_related("questions"))
            extra_context["preview_sets"] = [
                {"label": label, "sections": [section for section in sections
                                              if section.question_set in QUESTION_SETS_OF[key]]}
                for key, label in (("campaign_plan", "Campaign plan assessments"),
                                   ("support_plan", "Campaign support plan assessments"),
                                   ("program", "Security cooperation program assessments"))]
            extra_context["template_sections"] = sections
        return super().change_view(request, object_id, form_url, extra_context=extra_context)

    def service_write(self, request, form, formsets, change):
        cleaned = form.cleaned_data
        if not change:
            return services.template_create(cycle=cleaned["cycle"], by=request.user, title=cleaned.get("title", ""),
                                            instructions=cleaned.get("instructions", ""),
                                            copy_from=cleaned.get("copy_from"))
        sections = next(([row_values(row) for row in submitted_rows(formset)] for formset in formsets
                         if formset.model is TemplateSection), None)
        return services.template_update(template=form.instance, by=request.user, title=cleaned.get("title"),
                                        instructions=cleaned.get("instructions"), sections=sections)


class ScaleField(forms.Field):
    """A rating scale typed as a list of labels, one level per line, worst first (stored as the
    list); ``scale_refusal`` (the model's rule) says what is wrong, beside the field."""

    widget = forms.Textarea(attrs={"rows": 5, "cols": 40})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(str(label) for label in value)
        return value or ""

    def to_python(self, value):
        if isinstance(value, list):
            return value
        return [line.strip() for line in (value or "").splitlines() if line.strip()]

    def has_changed(self, initial, data):
        return self.to_python(initial or []) != self.to_python(data)


class QuestionForm(RowsCheckedByServiceForm):
    scale = ScaleField(required=False, label="Rating scale",
                       help_text="For a rating: one level per line, worst first (at least two). Add a line to add "
                                 "a level, delete one to remove it, reorder the lines to reorder the levels.")

    class Meta:
        model = Question
        fields = ("position", "kind", "required", "text", "guidance", "scale")


class QuestionInline(InlineFollowsParentMixin, admin.StackedInline):
    model = Question
    form = QuestionForm
    formset = RowsCheckedByServiceFormSet
    fields = (("position", "kind", "required"), "text", "guidance", "scale")
    extra = 1


@admin.register(TemplateSection)
class TemplateSectionAdmin(ServiceWriteAdminMixin, admin.ModelAdmin):
    """A section of a template with its questions, saved together by ``template_section_save``."""

    list_display = ("title", "template", "position", "question_set")
    list_filter = ("template__cycle", "question_set")
    fields = ("template", "position", "title", "question_set")
    inlines = [QuestionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("template", "template__cycle")

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return self.fields if obj.template.frozen else ("template",)
        return ()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "template":
            kwargs["queryset"] = Template.objects.filter(state=TemplateState.DRAFT, frozen=False).select_related(
                "cycle")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def service_write(self, request, form, formsets, change):
        cleaned = form.cleaned_data
        questions = next(([row_values(row) for row in submitted_rows(formset)] for formset in formsets
                          if formset.model is Question), None)
        template = form.instance.template if change else cleaned["template"]
        return services.template_section_save(template=template, by=request.user,
                                              section=form.instance if change else None,
                                              title=cleaned.get("title", ""), position=cleaned.get("position") or 0,
                                              question_set=cleaned.get("question_set") or QuestionSet.EVERY,
                                              questions=questions)

    def response_change(self, request, obj):
        if "_continue" in request.POST or "_addanother" in request.POST:
            return super().response_change(request, obj)
        messages.success(request, f"Section “{obj.title}” saved.")
        return redirect(reverse("admin:assessments_template_change", args=[obj.template_id]))

    def response_add(self, request, obj, post_url_continue=None):
        if "_continue" in request.POST or "_addanother" in request.POST:
            return super().response_add(request, obj, post_url_continue)
        messages.success(request, f"Section “{obj.title}” added.")
        return redirect(reverse("admin:assessments_template_change", args=[obj.template_id]))


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
        # Django's change form holds nothing anyone edits here: the content and the answers are
        # one form below it, with one Save (``answers_view``); no second Save beside it.
        extra_context.update(show_save=False, show_save_and_continue=False, show_save_and_add_another=False)
        typed = extra_context.pop("answers_typed", None)
        if document is not None:
            try:
                services.answers_edit_check(document=document, by=request.user)
                extra_context["answers_editable"], extra_context["answers_refusal"] = True, []
            except WorkflowError as exc:
                extra_context["answers_editable"], extra_context["answers_refusal"] = False, exc.reasons
            sheet = answer_sheet(document)
            rows = []
            for row in sheet:
                key = f"{row['question'].pk}-{getattr(row['objective'], 'pk', 0)}"
                shown = (typed["answers"].get(key) if typed else None) or {
                    name: getattr(row["answer"], name, "") for name in ("rating", "justification", "text")}
                rows.append({**row, "key": key, "shown": shown, "errors": typed["errors"].get(key, []) if typed else []})
            extra_context["answer_rows"] = rows
            extra_context["answers_progress"] = answers_progress(sheet)
            extra_context["yes_no"] = YES_NO_ANSWERS
            extra_context["answer_texts"] = typed["texts"] if typed else {
                name: getattr(document, name) for name in self.text_fields}
            extra_context["text_errors"] = typed.get("text_errors", {}) if typed else {}
            extra_context["answers_url"] = reverse(f"admin:{self._url_name('answers')}", args=[document.pk])
        return super().change_view(request, object_id, form_url, extra_context=extra_context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and object_id is not None:
            # Whatever form posted here, its content and answers go through the one Save.
            return self.answers_view(request, object_id)
        return super().changeform_view(request, object_id, form_url, extra_context)

    @once_per_form
    def answers_view(self, request, pk: int):
        """The one Save of the assessment page: the texts and every answer filled or changed,
        through ``assessment_answers_save`` (one transaction: a refusal saves nothing; an assigned
        or returned assessment is started or resumed by it), and, with “Save and submit”, the
        engine's submit. A refusal brings the page back with everything as typed, each reason
        beside its question or text (an incomplete submission names each missing answer there);
        other refusals (not the owner, not now) come back as messages."""
        if request.method != "POST":
            raise Http404
        document = get_object_or_404(self.visible_queryset(request), pk=pk)
        fields = {name: request.POST[name] for name in self.text_fields
                  if name in request.POST and request.POST[name].strip() != getattr(document, name)}
        answers, keys, typed = [], [], {}
        for row in answer_sheet(document):
            key = f"{row['question'].pk}-{getattr(row['objective'], 'pk', 0)}"
            names = [f"answer-{key}-{name}" for name in ("rating", "justification", "text")]
            if not any(name in request.POST for name in names):
                continue  # not on the form that was sent (the page sends every row): left as it is
            given = {name: request.POST.get(f"answer-{key}-{name}", "") for name in ("rating", "justification", "text")}
            typed[key] = given
            current = row["answer"]
            if current is None and not any(value.strip() for value in given.values()):
                continue  # not answered yet, and left blank
            if current is not None and all(given[name].strip() == getattr(current, name) for name in given):
                continue  # unchanged
            answers.append({"question": row["question"], "objective": row["objective"], **given})
            keys.append(key)
        texts = {name: request.POST.get(name, getattr(document, name)) for name in self.text_fields}
        try:
            document = services.assessment_answers_save(document=document, by=request.user, answers=answers,
                                                        **fields)
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
                return self._page_again(request, pk, {"answers": typed, "errors": errors, "texts": texts})
            return redirect(reverse(f"admin:{self._url_name('change')}", args=[pk]))
        saved = (f"{document}: {len(answers)} answer{'s' if len(answers) != 1 else ''}"
                 f"{' and the texts' if fields else ''} saved.")
        if "_submit" not in request.POST:
            progress = answers_progress(answer_sheet(document))
            messages.success(request, f"{saved} Draft kept: {progress['answered_required']} of "
                                      f"{progress['required']} required answers given.")
            return redirect(reverse(f"admin:{self._url_name('change')}", args=[pk]))
        try:
            document = transition_perform(document=document, name="submit", by=request.user)
        except WorkflowError as exc:
            messages.warning(request, f"{saved} The draft is kept, but it was not submitted:")
            for reason in exc.reasons:
                messages.error(request, reason)
            errors = {}
            for question_id, objective_id, sentence in answers_gaps(document):
                errors.setdefault(f"{question_id}-{objective_id or 0}", []).append(sentence)
            text_errors = {name: [f"Required before submitting: {document._meta.get_field(name).verbose_name}."]
                           for name in self.text_fields if not getattr(document, name).strip()}
            return self._page_again(request, pk, {"answers": typed, "errors": errors, "texts": texts,
                                                  "text_errors": text_errors})
        messages.success(request, f"{saved} Submitted: the {services_kind(document)} is now "
                                  f"{state_label(document)}.")
        return redirect(reverse(f"admin:{self._url_name('change')}", args=[pk]))

    def _page_again(self, request, pk: int, typed: dict):
        """The change page drawn for this request, with the answers as typed: a refusal loses
        nothing (Django's change view draws its page for a GET; this request's POST was the
        answers form's). The document is read again (a draft saved before a refused submission
        has moved on)."""
        page = copy.copy(request)
        page.method = "GET"
        page.__dict__.pop("_workflow_objects", None)
        return self.change_view(page, str(pk), extra_context={"answers_typed": typed})

    list_filter = ("cycle", "state", "owner")
    search_fields = ("title", "owner__acronym")
    readonly_fields = ("cycle", "owner", "title", "suspense", "state", "strategic_environment_changes",
                       "recommended_guidance_changes", "return_reason", "first_submitted_at", "submitted_at",
                       "accepted_at", "evaluated_at")


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

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """Beside the answers, the program's initiatives the reader may see, with their latest
        monitoring values and evaluation findings (``initiatives.selectors.program_initiatives``)."""
        from initiatives.selectors import program_initiatives

        document = self.get_object(request, object_id)
        extra_context = dict(extra_context or {})
        if document is not None:
            extra_context["program_initiatives"] = program_initiatives(request.user, document.program)
        return super().change_view(request, object_id, form_url, extra_context=extra_context)


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "administered_by", "active")
    list_filter = ("active",)
