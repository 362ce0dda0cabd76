from django import forms
from django.contrib import admin, messages
from django.db.models import OuterRef, Prefetch, Subquery
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from organizations.models import Role
from organizations.selectors import fad_assignments_on, fad_words, organizations_acting_for
from organizations.widgets import CountryAutocompleteAdminMixin, choices_read_once
from runtime.dates import date_words
from security.admin_mixins import InlineFollowsParentMixin
from workflow.admin_lists import BoundedCountAdminMixin, VisibleOwnerFilter
from workflow.admin_views import RoutedDocumentAdminMixin
from workflow.admin_writes import (
    RowsCheckedByServiceForm,
    RowsCheckedByServiceFormSet,
    RowsOfAKindFormSet,
    ServiceWriteAdminMixin,
    row_values,
    submitted_rows,
)
from workflow.exceptions import WorkflowError
from workflow.selectors import overdue_document_ids

from . import services
from .coordination import PROGRAM_OWNER_KINDS
from .models import (
    CampaignPlan,
    CampaignSupportPlan,
    ComplementaryActivity,
    Function,
    GEFEndState,
    GEFGuidance,
    Objective,
    PartnerConsideration,
    Plan,
    PlanActivity,
    PlanAnnex,
    PlanSection,
    PlanState,
    ProgramUse,
)
from .selectors import plans_visible_to, supported_plans_offered


class GEFEndStateInline(InlineFollowsParentMixin, admin.TabularInline):
    model = GEFEndState
    extra = 0


@admin.register(GEFGuidance)
class GEFGuidanceAdmin(admin.ModelAdmin):
    list_display = ("__str__", "title", "issued_on", "classification")
    search_fields = ("title",)
    inlines = [GEFEndStateInline]


@admin.register(GEFEndState)
class GEFEndStateAdmin(admin.ModelAdmin):
    list_display = ("code", "title", "gef")
    list_filter = ("gef",)
    search_fields = ("code", "title")


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Has overdue taskers")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(pk__in=overdue_document_ids(queryset.model))
        return queryset


class PartnerInline(InlineFollowsParentMixin, CountryAutocompleteAdminMixin, admin.StackedInline):
    model = PartnerConsideration
    # Each country once, and a "no" only with overriding considerations, are the service's rules
    # (``planning.services.LIST_FAULTS``), told beside the rows.
    form = RowsCheckedByServiceForm
    formset = RowsCheckedByServiceFormSet
    extra = 0
    fields = ("country", "fad", ("support", "can_support"), ("safeguard", "can_safeguard"), ("sustain", "can_sustain"),
              "overriding_considerations", "override_acceptance")
    readonly_fields = ("fad", "override_acceptance")
    autocomplete_fields = ("country",)

    def get_queryset(self, request):
        # Each partner's force/activity designator of today, in the inline's one query (``fad``).
        today = fad_assignments_on().filter(country=OuterRef("country"))
        return super().get_queryset(request).select_related(
            "country", "override_accepted_by", "override_accepted_for").annotate(
            fad_now=Subquery(today.values("designator")[:1]), fad_since=Subquery(today.values("effective_from")[:1]))

    @admin.display(description="force/activity designator (the Chairman's, Encl. 2, 9.f)")
    def fad(self, partner):
        if partner is None or not partner.pk:
            return "Shown once the partner is saved."
        if getattr(partner, "fad_now", None):
            return f"FAD {partner.fad_now} (since {date_words(partner.fad_since)})"
        return fad_words(None)

    @admin.display(description="accepted by the reviewing authority")
    def override_acceptance(self, partner) -> str:
        if partner.pk is None or not partner.needs_override:
            return "Not needed: no answer is “no”."
        if partner.override_accepted:
            return format_html("Accepted by {} for {} on {:%d %b %Y}", partner.override_accepted_by,
                               partner.override_accepted_for, partner.override_accepted_at)
        plan = partner.plan.document
        if plan.state != PlanState.REVIEW:
            return "Not yet accepted: the reviewing authority accepts it in review."
        url = reverse(f"admin:{plan._meta.app_label}_{plan._meta.model_name}_accept_override",
                      args=[plan.pk, partner.pk])
        # A button of the page's form (which carries the CSRF token), posting to the acceptance.
        return format_html('Not yet accepted. <button type="submit" class="button" formaction="{}" '
                           'formmethod="post" formnovalidate>Accept the overriding military considerations '
                           'for {}</button>', url, partner.country.name)


class ComplementaryActivityInline(InlineFollowsParentMixin, CountryAutocompleteAdminMixin, admin.TabularInline):
    model = ComplementaryActivity
    formset = RowsOfAKindFormSet
    extra = 0
    fields = ("country", "agency", "program", "point_of_contact")
    autocomplete_fields = ("country",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("country")  # each row shows its country


class ProgramUseInline(InlineFollowsParentMixin, admin.TabularInline):
    model = ProgramUse
    formset = RowsOfAKindFormSet
    extra = 0
    fields = ("organization", "program")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("organization")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "organization":
            from organizations.models import Organization

            kwargs["queryset"] = Organization.objects.filter(kind__in=PROGRAM_OWNER_KINDS, active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class SectionInline(InlineFollowsParentMixin, CountryAutocompleteAdminMixin, admin.StackedInline):
    model = PlanSection
    formset = RowsOfAKindFormSet  # the rows point at ``Plan.key``, not the kind's own ``id``
    extra = 0
    fields = ("number", "part", "heading", ("classification", "noforn"), "rel_to", "body")
    autocomplete_fields = ("rel_to",)
    verbose_name = "section (portion-marked)"
    verbose_name_plural = "sections (portion-marked)"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("rel_to")


def _functions_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        choices=Function.choices, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="The functional command or office of each is added to coordination (10.b).")


class ObjectiveForm(forms.ModelForm):
    functions = _functions_field()


class ObjectiveInline(InlineFollowsParentMixin, CountryAutocompleteAdminMixin, admin.StackedInline):
    model = Objective
    form = ObjectiveForm
    formset = RowsOfAKindFormSet  # the rows point at ``Plan.key``, not the kind's own ``id``
    extra = 0
    fields = ("code", "title", ("classification", "noforn"), "rel_to", "description", "end_states", "functions",
              "measures_of_effectiveness", "measures_of_performance", "indicators")
    filter_horizontal = ("end_states",)
    autocomplete_fields = ("rel_to",)
    verbose_name = "objective (portion-marked)"
    verbose_name_plural = "objectives (portion-marked)"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("rel_to", "end_states")

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        return choices_read_once(field) if db_field.name == "end_states" else field


class PlanActivityForm(RowsCheckedByServiceForm):
    functions = _functions_field()


class PlanActivityInline(InlineFollowsParentMixin, CountryAutocompleteAdminMixin, admin.StackedInline):
    """The security cooperation activities under the plan's objectives: each row names its
    objective (one of the plan's, as saved), partner, dates and functions; the service checks them
    against the plan as the save leaves it (``planning.services.plan_activity_list_faults``,
    ``_plan_activities_checked``) and names the rows at fault."""

    model = PlanActivity
    form = PlanActivityForm
    formset = RowsOfAKindFormSet
    extra = 0
    fields = ("objective", "order", "title", ("classification", "noforn"), "rel_to", "partner", "program",
              ("start_date", "end_date"), "functions", "description")
    autocomplete_fields = ("partner", "rel_to")
    verbose_name = "activity (under an objective, portion-marked)"
    verbose_name_plural = "activities (under the objectives, portion-marked)"

    def get_queryset(self, request):
        # Each row shows its objective, partner and program: read with the rows (one query for all),
        # and its releasability (one more).
        return super().get_queryset(request).select_related("objective", "partner", "program").prefetch_related(
            "rel_to")

    def get_formset(self, request, obj=None, **kwargs):
        request._activities_plan = obj  # the objectives offered are this plan's
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "objective":
            plan = getattr(request, "_activities_plan", None)
            if plan is None:  # a new plan: its objectives are saved first
                kwargs["queryset"] = Objective.objects.none()
                return super().formfield_for_foreignkey(db_field, request, **kwargs)
            kwargs["queryset"] = Objective.objects.filter(plan_id=plan.plan_ptr_id)
            return choices_read_once(super().formfield_for_foreignkey(db_field, request, **kwargs))
        if db_field.name == "program":
            kwargs["queryset"] = db_field.related_model.objects.filter(active=True)
            return choices_read_once(super().formfield_for_foreignkey(db_field, request, **kwargs))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class AnnexForm(forms.ModelForm):
    upload = forms.FileField(label="file", required=False,
                             help_text="PDF, PNG, JPEG, Word, Excel, PowerPoint or plain text; scanned for malware "
                                       "where the installation has a scanner.")


class AnnexInline(InlineFollowsParentMixin, admin.TabularInline):
    """Annexes are attached (``annex_attach``) and removed (``annex_remove``) by the plan's save;
    a stored annex is not edited (its content was scanned and its digest recorded)."""

    model = PlanAnnex
    form = AnnexForm
    formset = RowsOfAKindFormSet
    extra = 0
    fields = ("letter", "title", ("classification", "noforn"), "upload", "download", "scan_result")
    readonly_fields = ("download", "scan_result")

    def has_change_permission(self, request, obj=None):
        return False  # stored rows are shown, not edited; new rows may be added while the plan may be

    def get_fields(self, request, obj=None):
        if self.has_add_permission(request, obj):
            return self.fields
        return tuple(f for f in self.fields if f != "upload")  # a reader sees the annexes, uploads nothing

    @admin.display(description="download")
    def download(self, annex) -> str:
        if annex.pk is None:
            return "-"
        plan = annex.plan.document
        url = reverse(f"admin:{plan._meta.app_label}_{plan._meta.model_name}_annex", args=[plan.pk, annex.pk])
        return format_html('<a href="{}">{}</a> ({}, {} bytes)', url, annex.original_name, annex.content_type,
                           f"{annex.size:,}")


MARKING_FIELDSET = ("Marking", {"fields": (("classification", "noforn"), "rel_to", "cui_categories",
                                           "dissemination_controls", "cui_designation_indicator",
                                           ("classified_by", "derived_from", "declassify_on"))})


class PlanAdmin(ServiceWriteAdminMixin, BoundedCountAdminMixin, RoutedDocumentAdminMixin, admin.ModelAdmin):
    """A plan's page is where the work is done: content while it is a draft, then the workflow
    panels (transitions with reasons, taskers, comment matrix, history). The change form and its
    inlines are saved by ``services.plan_write``, the API's write: every content rule holds in
    both, and a refusal is shown beside the field or row it concerns (``workflow.admin_writes``)."""

    list_display = ("title", "version", "owner", "state", "classification", "noforn", "updated_at")
    list_filter = ("state", "owner__kind", ("owner", VisibleOwnerFilter), OverdueFilter,
                   "classification", "noforn")
    # The search box is full-text search over titles, sections and comments (``plan_search``).
    search_fields = ("title",)
    search_help_text = "Searches titles, summaries, sections and comments of the plans you may see."
    list_select_related = ("owner",)
    inlines = [SectionInline, ObjectiveInline, PlanActivityInline, PartnerInline, ComplementaryActivityInline,
               ProgramUseInline, AnnexInline]
    autocomplete_fields = ("rel_to",)
    # The directive version is the one the plan was written under; neither the admin nor the API edits it.
    readonly_fields = ("state", "version", "directive_version", "created_by", "submitted_at", "approved_at")
    actions = ["start_new_version", "export_csv", "export_xlsx"]
    change_form_template = "admin/planning/plan_change_form.html"

    change_select_related = ("gef", "created_by", "route")
    # The portions (the banner reads them all), each with what its row shows: read together after
    # the plan, in one query; their releasability with the plan's other many-to-many relations.
    change_rows_together = {"sections": (), "objectives": (), "activities": ("objective", "partner", "program"),
                            "annexes": ()}
    change_prefetch_together = ("rel_to", "cui_categories", "dissemination_controls", "sections__rel_to",
                                "objectives__rel_to", "objectives__end_states", "activities__rel_to",
                                "annexes__rel_to")

    def visible_queryset(self, request):
        return plans_visible_to(request.user, self.model).select_related("owner")

    # Who may open, add and change a plan: planning/permissions.py (the site applies it).

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "owner":
            kwargs["queryset"] = organizations_acting_for(request.user, role=Role.ACTION_OFFICER).filter(
                kind__in=self.model.owner_kinds)
        elif _points_at_a_plan(db_field):
            # A choice is a title: only the plans the user may see are offered.
            kwargs["queryset"] = plans_visible_to(request.user, db_field.related_model)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if _points_at_a_plan(db_field) and "queryset" not in kwargs:
            kwargs["queryset"] = plans_visible_to(request.user, db_field.related_model)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        # The owner is chosen when the plan is created (``plan_create``); no write changes it after.
        fields = super().get_readonly_fields(request, obj)
        return (*fields, "owner") if obj is not None and "owner" not in fields else fields

    # Read-only pages show references through these, not the raw relation (which would print
    # every linked plan's title).
    plan_reference_fields: tuple[str, ...] = ()

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj) or not self.plan_reference_fields:
            return fieldsets
        renamed = {name: f"{name}_visible" for name in self.plan_reference_fields}
        return [(title, {**options, "fields": _renamed(options["fields"], renamed)}) for title, options in fieldsets]

    def _visible_references(self, plans) -> str:
        from security.audit import current_request

        request = current_request()
        visible = plans_visible_to(getattr(request, "user", None), plans.model).filter(pk__in=plans.values("pk"))
        shown = [str(plan) for plan in visible]
        withheld = plans.count() - len(shown)
        if withheld:
            shown.append(f"{withheld} plan{'s' if withheld != 1 else ''} you may not see")
        return ", ".join(shown) or "-"

    def get_search_results(self, request, queryset, search_term):
        from .selectors import plan_search

        if not search_term.strip():
            return queryset, False
        return plan_search(queryset, search_term), False

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/partners/<int:partner_id>/accept-override/", wrap(self.accept_override_view),
                 name="{}_{}_accept_override".format(*info)),
            path("<int:pk>/annexes/<int:annex_id>/", wrap(self.annex_view), name="{}_{}_annex".format(*info)),
            path("<int:pk>/route-option/", wrap(self.route_option_view), name="{}_{}_route_option".format(*info)),
        ] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The route option chosen, with its citation, for everyone who sees the plan; the choice
        # itself only for the office that owns the procedure (``plan_route_options``).
        plan = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if plan is not None:
            chosen = services.plan_route_option(plan)
            extra_context.update(
                plan_route_option=chosen,
                plan_route_option_citation=services.plan_route_citation(chosen) if chosen is not None else "",
                plan_route_options=[{"route": route, "citation": services.plan_route_citation(route),
                                     "chosen": route.pk == (chosen.pk if chosen else None)
                                     or (chosen is None and route.is_default)}
                                    for route in services.plan_route_options(plan=plan, by=request.user)],
                plan_route_option_url=reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_route_option",
                                              args=[plan.pk]))
        return super().change_view(request, object_id, form_url, extra_context)

    def route_option_view(self, request, pk):
        """Set the draft's route option (``services.plan_route_option_set``; refusals shown as messages)."""
        from workflow.models import Route

        if request.method != "POST":
            raise Http404
        plan = self._document(request, pk)
        chosen = request.POST.get("route", "")
        route = Route.objects.filter(pk=chosen).first() if chosen.isdigit() else None
        try:
            if chosen not in ("", "default") and route is None:
                raise WorkflowError("Choose one of the routes offered.")
            if route is not None and route.is_default:
                route = None
            plan = services.plan_route_option_set(plan=plan, by=request.user, route=route)
            shown = services.plan_route_option(plan)
            messages.success(request, f"Route option set: {shown.name}." if shown is not None
                             else "The default route applies.")
        except WorkflowError as error:
            for reason in error.reasons:
                messages.error(request, reason)
        return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                                            args=[plan.pk]))

    def accept_override_view(self, request, pk, partner_id):
        if request.method != "POST":
            raise Http404
        plan = self._document(request, pk)
        partner = get_object_or_404(plan.partner_considerations.select_related("country"), pk=partner_id)
        try:
            services.partner_override_accept(partner=partner, by=request.user)
            messages.success(request, f"Accepted the overriding military considerations for {partner.country.name}.")
        except WorkflowError as error:
            for reason in error.reasons:
                messages.error(request, reason)
        return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                                            args=[plan.pk]))

    def annex_view(self, request, pk, annex_id):
        plan = self._document(request, pk)
        annex = get_object_or_404(PlanAnnex.objects.filter(plan=plan.plan_ptr_id), pk=annex_id)
        try:
            handle = services.annex_open(annex=annex, by=request.user)
        except WorkflowError as error:
            raise Http404 from error  # the same answer as for an annex that does not exist
        return FileResponse(handle, as_attachment=True, filename=annex.original_name,
                            content_type=annex.content_type)

    def service_write(self, request, form, formsets, change):
        cleaned = form.cleaned_data
        annex_sets = [formset for formset in formsets if formset.model is PlanAnnex]
        formsets = [formset for formset in formsets if formset.model is not PlanAnnex]
        lists = {formset.prefix: [row_values(row) for row in submitted_rows(formset)] for formset in formsets}
        plan = services.plan_write(
            by=request.user, plan=form.instance if change else None, model=self.model, owner=cleaned.get("owner"),
            fields={name: cleaned[name] for name in services.EDITABLE_FIELDS if name in cleaned},
            links={name: list(cleaned[name]) for name in services.plan_links(self.model) if name in cleaned},
            partners=lists.get("partner_considerations"), objectives=lists.get("objectives"),
            sections=lists.get("sections"), programs=lists.get("programs_used"),
            activities=lists.get("complementary_activities"), plan_activities=lists.get("activities"))
        for formset in annex_sets:
            _annexes_write(formset, plan, request.user)
        typed = (cleaned.get("classification"), bool(cleaned.get("noforn")),
                 {country.pk for country in cleaned.get("rel_to") or ()})
        if "classification" in cleaned and typed != (plan.classification, plan.noforn,
                                                      set(plan.rel_to.values_list("pk", flat=True))):
            messages.info(request, "The banner was raised to match the highest portion marking.")
        return plan

    def _export(self, request, queryset, fmt):
        from workflow.exports import export_response

        plans = list(queryset.select_related("owner").prefetch_related(
            "rel_to", Prefetch("activities", queryset=PlanActivity.objects.select_related("objective", "partner")
                               .prefetch_related("rel_to"))))
        rows = [[plan.marking().portion, plan.title, plan.version, str(plan.owner), plan.get_state_display(),
                 plan.period_start or "", plan.period_end or "", plan.updated_at,
                 "; ".join(_activity_words(activity) for activity in plan.activities.all())]
                for plan in plans]
        return export_response(request=request, name=str(self.model._meta.verbose_name_plural).capitalize(),
                               header=["Marking", "Title", "Version", "Owner", "State", "Period start",
                                       "Period end", "Updated", "Activities"],
                               rows=rows, markings=[plan.marking() for plan in plans], fmt=fmt)

    @admin.action(description="Export the selected plans as CSV")
    def export_csv(self, request, queryset):
        return self._export(request, queryset, "csv")

    @admin.action(description="Export the selected plans as XLSX")
    def export_xlsx(self, request, queryset):
        return self._export(request, queryset, "xlsx")

    @admin.action(description="Start a new version of the selected returned or approved plans")
    def start_new_version(self, request, queryset):
        for plan in queryset:
            try:
                new = services.plan_new_version(plan=plan, by=request.user)
                messages.success(request, f"Version {new.version} of “{plan.title}” started as a draft.")
            except WorkflowError as error:
                for reason in error.reasons:
                    messages.error(request, f"{plan.title}: {reason}")


@admin.register(CampaignPlan)
class CampaignPlanAdmin(PlanAdmin):
    list_display = ("title", "kind", "version", "owner", "state", "classification", "updated_at")
    list_filter = ("state", "kind", *PlanAdmin.list_filter[1:])
    fieldsets = [
        (None, {"fields": ("title", "owner", "kind", "parent_plan", "gef",
                           ("period_start", "period_end"), "summary")}),
        MARKING_FIELDSET,
        ("Policy considerations (directive 4.b, 4.c) and resources",
         {"fields": ("complementary_usg_activities", "resources_needed", "risk_if_not_resourced",
                     "supporting_organizations")}),
        ("Record", {"fields": ("state", "version", "directive_version", "created_by", "submitted_at",
                               "approved_at")}),
    ]
    filter_horizontal = ("supporting_organizations",)
    # The parent plan is searched for, not picked from a list of every plan the writer may see
    # (tens of thousands at scale): the autocomplete asks this admin, need-to-know applied.
    autocomplete_fields = (*PlanAdmin.autocomplete_fields, "parent_plan")
    plan_reference_fields = ("parent_plan",)
    change_select_related = (*PlanAdmin.change_select_related, "parent_plan")
    change_prefetch_together = (*PlanAdmin.change_prefetch_together, "supporting_organizations")

    def get_search_results(self, request, queryset, search_term):
        # The autocomplete of a support plan's supported plans offers what the field accepts.
        if _autocompleting(request, CampaignSupportPlan, "supported_plans"):
            queryset = supported_plans_offered(queryset)
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description="parent plan")
    def parent_plan_visible(self, plan) -> str:
        if plan.parent_plan_id is None:
            return "-"
        return self._visible_references(CampaignPlan.objects.filter(pk=plan.parent_plan_id))


@admin.register(CampaignSupportPlan)
class CampaignSupportPlanAdmin(PlanAdmin):
    fieldsets = [
        (None, {"fields": ("title", "owner", "supported_plans", "gef",
                           ("period_start", "period_end"), "summary")}),
        MARKING_FIELDSET,
        ("Policy considerations (directive 4.b, 4.c) and resources",
         {"fields": ("complementary_usg_activities", "resources_needed", "risk_if_not_resourced")}),
        ("Record", {"fields": ("state", "version", "directive_version", "created_by", "submitted_at",
                               "approved_at")}),
    ]
    # Searched for, as the parent plan is (``CampaignPlanAdmin.get_search_results`` offers the
    # approved plans the writer may see, as the field accepts).
    autocomplete_fields = (*PlanAdmin.autocomplete_fields, "supported_plans")
    plan_reference_fields = ("supported_plans",)
    change_prefetch_related = (*PlanAdmin.change_prefetch_related, "supported_plans")

    @admin.display(description="supported plans")
    def supported_plans_visible(self, plan) -> str:
        return self._visible_references(plan.supported_plans.all())

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "supported_plans":
            # What the writer may see; the search offers the approved ones, and the service refuses a
            # plan newly named that is not (one named before stays, under revision or not).
            kwargs["queryset"] = plans_visible_to(request.user, CampaignPlan)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


def _autocompleting(request, source: type, field_name: str) -> bool:
    """Whether ``request`` is the admin's autocomplete asking for choices of ``source.field_name``."""
    return (request.resolver_match is not None and request.resolver_match.url_name == "autocomplete"
            and request.GET.get("app_label") == source._meta.app_label
            and request.GET.get("model_name") == source._meta.model_name
            and request.GET.get("field_name") == field_name)


def _activity_words(activity: PlanActivity) -> str:
    """An activity as an export lists it: its portion mark, objective, title, partner and dates."""
    return (f"{activity.marking().portion} {activity.objective.code}: {activity.title} ({activity.partner.name}, "
            f"{date_words(activity.start_date)} to {date_words(activity.end_date)})")


def _renamed(fields, renamed: dict) -> tuple:
    return tuple(_renamed(f, renamed) if isinstance(f, (tuple, list)) else renamed.get(f, f) for f in fields)


def _points_at_a_plan(db_field) -> bool:
    return isinstance(db_field.related_model, type) and issubclass(db_field.related_model, Plan)


def _annexes_write(formset, plan, by) -> None:
    """The annex inline's rows through the annex services: a ticked "delete" removes, a new row
    with its file attaches. A refusal names the row (``PlanContentInvalid.rows``)."""
    from django.forms.formsets import DELETION_FIELD_NAME

    new_rows = [form for form in submitted_rows(formset) if form.instance.pk is None]
    for form in formset.forms:
        if form.instance.pk is not None and (form.cleaned_data or {}).get(DELETION_FIELD_NAME):
            services.annex_remove(annex=form.instance, by=by)
    for index, form in enumerate(submitted_rows(formset)):
        if form not in new_rows:
            continue
        data = form.cleaned_data
        try:
            services.annex_attach(plan=plan, by=by, letter=data.get("letter", ""), title=data.get("title", ""),
                                  upload=data.get("upload"), classification=data.get("classification") or "U",
                                  noforn=bool(data.get("noforn")))
        except WorkflowError as error:
            fields = getattr(error, "field_errors", None) or {"upload": error.reasons}
            rows = {index: {("upload" if name == "file" else name): messages for name, messages in fields.items()}}
            raise services.PlanContentInvalid(error.reasons, {}, {formset.prefix: rows}) from error
