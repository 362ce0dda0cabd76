"""The SCOs (reference data), their authorized manning (read-only: only an approved request
changes it) and manpower change requests, on the engine's admin integration: the workflow
panel, taskers, comment matrix and history (``workflow.admin_views.RoutedDocumentAdminMixin``);
the change form saved by ``services.request_write``, the API's write. The report
(*SCO manpower › Authorizations against requests*) and its XLSX export read
``selectors.manning_report``: only the SCOs and requests the reader may see."""

from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

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

from . import services
from .models import (
    ManningAuthorization,
    ManpowerChangeRequest,
    RequestedBillet,
    SecurityCooperationOrganization,
)
from .selectors import manning_report, requests_visible_to, scos_visible_to

REPORT_HEADER = ["Combatant command", "Host country", "SCO", "Billets authorized", "Requests in flight",
                 "Billets requested (net)", "Approved this fiscal year", "Disapproved this fiscal year"]
REPORT_KEYS = ["command", "country", "sco", "authorized", "in_flight", "billets_requested", "approved", "disapproved"]


class ManningInline(admin.TabularInline):
    model = ManningAuthorization
    fk_name = "sco"
    extra = 0
    can_delete = False
    fields = ("position", "grade", "service", "skill", "billets", "effective_from", "effective_until", "request")
    readonly_fields = fields
    verbose_name_plural = "authorized manning (history kept: ended rows show their end)"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("request").order_by("-effective_until", "position")


@admin.register(SecurityCooperationOrganization)
class SecurityCooperationOrganizationAdmin(admin.ModelAdmin):
    list_display = ("__str__", "host_country", "supervising_command", "chief_of_mission", "sdo_datt_office")
    list_select_related = ("organization__supervised_by", "host_country")
    search_fields = ("organization__name", "organization__acronym", "chief_of_mission")
    # The organization, its country and supervising command come from ``services.sco_register``.
    readonly_fields = ("organization", "host_country", "established_on")
    fields = ("organization", "host_country", "chief_of_mission", "sdo_datt_office", "established_on",
              "source_url", "source_note")
    inlines = [ManningInline]

    @admin.display(description="supervising command")
    def supervising_command(self, sco):
        return sco.organization.supervised_by

    def get_inlines(self, request, obj):
        # The manning is shown to those who may read it (the SCO, its command, the offices).
        if obj is not None and scos_visible_to(request.user).filter(pk=obj.pk).exists():
            return self.inlines
        return []

    def get_urls(self):
        info = self.opts.app_label
        wrap = self.admin_site.admin_view
        return [path("report/", wrap(self.report_view), name=f"{info}_manning_report")] + super().get_urls()

    def report_view(self, request):
        """Authorizations against requests by command and country; ``?format=xlsx`` exports it."""
        rows = manning_report(request.user)
        if request.GET.get("format") == "xlsx":
            from security.markings import Marking
            from workflow.exports import export_response

            return export_response(request=request, name="SCO manning against requests", header=REPORT_HEADER,
                                   rows=[[row[key] for key in REPORT_KEYS] for row in rows],
                                   markings=[Marking(level="U")], fmt="xlsx")
        context = {**self.admin_site.each_context(request), "title": "SCO manning: authorizations against requests",
                   "rows": rows, "header": REPORT_HEADER, "today": timezone.localdate(), "opts": self.opts}
        return TemplateResponse(request, "admin/manpower/report.html", context)


class BilletInline(InlineFollowsParentMixin, admin.TabularInline):
    model = RequestedBillet
    form = RowsCheckedByServiceForm
    formset = RowsCheckedByServiceFormSet
    extra = 0
    fields = ("action", "position", "grade", "service", "skill", "billets")


MARKING = ("Marking", {"fields": (("classification", "noforn"), "rel_to")})


@admin.register(ManpowerChangeRequest)
class ManpowerChangeRequestAdmin(ServiceWriteAdminMixin, BoundedCountAdminMixin, RoutedDocumentAdminMixin,
                                 CountryAutocompleteAdminMixin, admin.ModelAdmin):
    """A request's page: its content while a draft or returned, then the engine's panels."""

    list_display = ("title", "change_type", "sco_name", "supervising_command", "state", "effective_on", "updated_at")
    list_filter = ("state", "change_type", ("owner", VisibleOwnerFilter))
    search_fields = ("title", "owner__acronym", "sco__organization__name")
    list_select_related = ("owner", "supervising_command", "sco__organization")
    inlines = [BilletInline]
    autocomplete_fields = ("rel_to", "host_country")
    readonly_fields = ("state", "supervising_command", "return_reason", "decision_note", "approved_effective_on",
                       "created_by", "submitted_at", "decided_at")
    fieldsets = [
        (None, {"fields": ("title", "change_type", "sco", "host_country", "supervising_command", "effective_on",
                           "justification")}),
        ("To establish an SCO", {"fields": ("proposed_name", "proposed_acronym", "chief_of_mission",
                                            "sdo_datt_office")}),
        MARKING,
        ("Record", {"fields": ("state", "return_reason", "decision_note", "approved_effective_on", "created_by",
                               "submitted_at", "decided_at")}),
    ]
    change_select_related = ("sco__organization", "supervising_command", "host_country", "created_by")
    change_prefetch_related = ("rel_to", "billets")

    def visible_queryset(self, request):
        return requests_visible_to(request.user).select_related("owner", "supervising_command", "sco__organization")

    @admin.display(description="SCO")
    def sco_name(self, request_):
        return request_.sco_name

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        # The SCO and its country are chosen when the request is created (``request_write``).
        return (*fields, "sco", "host_country") if obj is not None else fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "sco":
            # The SCOs the person may request for: their own, or those their command supervises.
            from organizations.selectors import organization_ids_acting_for

            organizations = organization_ids_acting_for(request.user, role=services.REQUESTER_ROLES)
            kwargs["queryset"] = (SecurityCooperationOrganization.objects.select_related("organization")
                                  .filter(organization__in=organizations)
                                  | SecurityCooperationOrganization.objects.select_related("organization")
                                  .filter(organization__supervised_by__in=organizations))
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "host_country":
            field.required = False  # an existing SCO's country is its own; asked only to establish one
            field.help_text = "Only to establish a new SCO: its host country."
        return field

    def service_write(self, request, form, formsets, change):
        cleaned = form.cleaned_data
        lists = {formset.prefix: [row_values(row) for row in submitted_rows(formset)] for formset in formsets}
        return services.request_write(
            by=request.user, request=form.instance if change else None, sco=cleaned.get("sco"),
            host_country=cleaned.get("host_country"),
            fields={name: cleaned[name] for name in services.EDITABLE_FIELDS if name in cleaned},
            billets=lists.get("billets"), rel_to=cleaned.get("rel_to"))
