"""Materiel diversion requests on the engine's admin integration: the workflow panel, taskers,
history (``workflow.admin_views.RoutedDocumentAdminMixin``); the change form saved by
``services.request_write``, the API's write. The partner's force/activity designator (the
Chairman's, ``organizations.FADAssignment``) is shown beside the partner (a country or a partner
organization), in the list, on the page and in the exports. The list's CSV/XLSX exports are the engine's (need-to-know and markings applied)."""

from django.contrib import admin
from django.db.models import OuterRef, Q, Subquery

from organizations.selectors import fad_assignments_on, fad_words
from organizations.widgets import CountryAutocompleteAdminMixin
from runtime.dates import date_words
from workflow.admin_lists import BoundedCountAdminMixin, VisibleOwnerFilter
from workflow.admin_views import RoutedDocumentAdminMixin
from workflow.admin_writes import ServiceWriteAdminMixin

from . import services
from .models import MaterielDiversionRequest
from .selectors import requests_visible_to

MARKING = ("Marking", {"fields": (("classification", "noforn"), "rel_to")})


@admin.register(MaterielDiversionRequest)
class MaterielDiversionRequestAdmin(ServiceWriteAdminMixin, BoundedCountAdminMixin, RoutedDocumentAdminMixin,
                                    CountryAutocompleteAdminMixin, admin.ModelAdmin):
    """A request's page: its content while a draft or returned, then the engine's panels."""

    list_display = ("title", "owner", "partner_shown", "partner_fad", "item", "quantity", "urgency", "state", "updated_at")
    list_filter = ("state", "urgency", ("owner", VisibleOwnerFilter))
    search_fields = ("title", "item", "source", "owner__acronym", "partner_organization")
    list_select_related = ("owner", "partner")
    autocomplete_fields = ("rel_to", "partner")
    readonly_fields = ("state", "partner_fad", "competing_needs", "dsca_advice", "priority_recommendation",
                       "partner_fad_at_decision", "return_reason", "decision_note", "created_by", "submitted_at",
                       "decided_at")
    fieldsets = [
        (None, {"fields": ("title", "owner", "partner", "partner_organization", "partner_fad", "item", ("quantity", "unit"), "source",
                           "urgency", "needed_by", "justification")}),
        MARKING,
        ("Consultation and decision", {"fields": ("state", "dsca_advice", "competing_needs",
                                                  "priority_recommendation", "partner_fad_at_decision",
                                                  "decision_note", "return_reason", "created_by", "submitted_at",
                                                  "decided_at")}),
    ]
    actions = ["export_csv", "export_xlsx"]
    change_select_related = ("owner", "partner", "created_by")
    change_prefetch_related = ("rel_to",)

    def visible_queryset(self, request):
        # Each row's partner FAD of today in the list's one query (``partner_fad``): the country's,
        # or the partner organization's (named whatever the case, as ``fad_assign`` matches it).
        today = fad_assignments_on().filter(
            Q(country=OuterRef("partner"))
            | Q(country__isnull=True, partner_organization__iexact=OuterRef("partner_organization")))
        return requests_visible_to(request.user).select_related("owner", "partner").annotate(
            fad_now=Subquery(today.values("designator")[:1]), fad_since=Subquery(today.values("effective_from")[:1]))

    @admin.display(description="partner", ordering="partner__code")
    def partner_shown(self, obj):
        """The partner country's name, or the partner organization's."""
        return obj.partner_name or "—"

    @admin.display(description="partner's FAD")
    def partner_fad(self, obj):
        """The partner's force/activity designator in force today (the Chairman's, Encl. 2, 9.f)."""
        if obj is None or not (obj.partner_id or obj.partner_organization):
            return "—"
        if hasattr(obj, "fad_now"):
            return f"FAD {obj.fad_now} (since {date_words(obj.fad_since)})" if obj.fad_now else fad_words(None)
        return fad_words(obj.partner_fad)

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        # The requesting office is chosen when the request is created (``request_write``).
        return (*fields, "owner") if obj is not None else fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "owner":
            kwargs["queryset"] = services.requesting_offices(request.user)
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "owner":
            field.help_text = "The combatant command or Military Department asking for the diversion."
        return field

    def service_write(self, request, form, formsets, change):
        cleaned = form.cleaned_data
        return services.request_write(
            by=request.user, request=form.instance if change else None, owner=cleaned.get("owner"),
            partner=cleaned.get("partner"), partner_organization=cleaned.get("partner_organization") or "",
            fields={name: cleaned[name] for name in services.EDITABLE_FIELDS if name in cleaned},
            rel_to=cleaned.get("rel_to"))

    EXPORT_HEADER = ["Marking", "Title", "Requesting office", "Partner", "Partner's FAD today", "Item", "Quantity",
                     "Unit", "Source", "Urgency", "Needed by", "State", "Partner's FAD at the decision", "Decided",
                     "Updated"]

    def _export(self, request, queryset, fmt):
        """The selected requests (the list's own rows: need-to-know and markings applied), banner on top."""
        from workflow.exports import export_response

        documents = list(queryset.select_related("owner", "partner").prefetch_related("rel_to"))
        rows = [[d.marking().portion, d.title, str(d.owner), d.partner_name, self.partner_fad(d), d.item, d.quantity,
                 d.unit, d.source, d.get_urgency_display(), d.needed_by or "", d.get_state_display(),
                 d.get_partner_fad_at_decision_display() or "", d.decided_at or "", d.updated_at]
                for d in documents]
        return export_response(request=request, name="Materiel diversion requests", header=self.EXPORT_HEADER,
                               rows=rows, markings=[d.marking() for d in documents], fmt=fmt)

    @admin.action(description="Export the selected requests as CSV")
    def export_csv(self, request, queryset):
        return self._export(request, queryset, "csv")

    @admin.action(description="Export the selected requests as XLSX")
    def export_xlsx(self, request, queryset):
        return self._export(request, queryset, "xlsx")
