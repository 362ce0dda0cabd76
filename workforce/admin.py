"""The workforce in the admin: personnel records (need-to-know: ``selectors.personnel_visible_to``
on the list, its filters, the change form and every link), billet requirements (set by DSCA or the SCO's command through ``services.requirement_set``), the
readiness view (*Security cooperation workforce › Readiness*: by command, region and SCO, with the
certifications expiring soon and CSV/XLSX exports) and the readiness report, on the engine's
admin integration (workflow panel, taskers, history), its form saved by ``services.report_write``."""

from django import forms
from django.contrib import admin
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html_join

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
from .exports import BILLET_COLUMNS, READINESS_COLUMNS, readiness_export
from .models import (
    BilletRequirement,
    LanguageProficiency,
    PersonnelRecord,
    Qualification,
    RegionalExpertise,
    WorkforceReadinessReport,
)
from .selectors import (
    EXPIRING_WITHIN,
    billet_rows,
    billets_provided_visible_to,
    billets_requirement_settable_by,
    expiring_qualifications,
    fills_due,
    personnel_visible_to,
    readiness_rows,
    readiness_totals,
    reports_visible_to,
    scos_readiness_visible_to,
)

EXPORT_FORMATS = ("csv", "xlsx")


class _Lines(InlineFollowsParentMixin, admin.TabularInline):
    form = RowsCheckedByServiceForm
    formset = RowsCheckedByServiceFormSet
    extra = 0


class QualificationInline(_Lines):
    model = Qualification
    fields = ("kind", "name", "level", "completed_on", "expires_on")
    verbose_name_plural = "certifications and training"


class LanguageInline(_Lines):
    model = LanguageProficiency
    fields = ("language", "listening", "reading", "speaking", "tested_on")
    verbose_name_plural = "languages (ILR levels)"


class RegionInline(_Lines):
    model = RegionalExpertise
    fields = ("region", "years")
    verbose_name_plural = "regional and cultural expertise"


@admin.register(PersonnelRecord)
class PersonnelRecordAdmin(ServiceWriteAdminMixin, BoundedCountAdminMixin, admin.ModelAdmin):
    """Personnel records: personal data, shown only with need-to-know."""

    list_display = ("identifier", "owner", "billet", "grade", "service", "assigned_on", "assignment_ends_on")
    list_filter = (("owner", VisibleOwnerFilter), "service")
    search_fields = ("identifier",)
    list_select_related = ("owner", "billet__sco__organization")
    fields = ("identifier", "owner", "supervising_command", "billet", "grade", "service", "assigned_on",
              "assignment_ends_on", "notes")
    readonly_fields = ("supervising_command",)
    inlines = [QualificationInline, LanguageInline, RegionInline]
    change_list_template = "admin/workforce/personnelrecord/change_list.html"

    def get_queryset(self, request):
        return personnel_visible_to(request.user).select_related("owner", "supervising_command",
                                                                 "billet__sco__organization")

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return (*fields, "owner") if obj is not None else fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        from manpower.models import ManningAuthorization
        from organizations.models import Organization
        from organizations.selectors import organization_ids_acting_for

        writing = organization_ids_acting_for(request.user, role=services.WRITER_ROLES)
        if db_field.name == "owner":
            kwargs["queryset"] = Organization.objects.filter(pk__in=writing)
        if db_field.name == "billet":
            # Billets in force at the SCOs whose holders the person's offices keep records of.
            from django.db.models import Q

            kwargs["queryset"] = (ManningAuthorization.objects
                                  .filter(Q(effective_until__isnull=True) | Q(effective_until__gt=timezone.localdate()))
                                  .filter(sco__in=scos_readiness_visible_to(request.user))
                                  .select_related("sco__organization"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def service_write(self, request, form, formsets, change):
        cleaned = form.cleaned_data
        lists = {formset.prefix: [row_values(row) for row in submitted_rows(formset)] for formset in formsets}
        return services.personnel_write(
            by=request.user, record=form.instance if change else None, owner=cleaned.get("owner"),
            fields={name: cleaned.get(name) or ("" if name not in ("assigned_on", "assignment_ends_on") else None)
                    for name in services.PERSON_FIELDS if name in cleaned},
            billet=cleaned.get("billet"), qualifications=lists.get("qualifications"),
            languages=lists.get("languages"), regions=lists.get("regions"))

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [path("readiness/", wrap(self.readiness_view), name="workforce_readiness")] + super().get_urls()

    def readiness_view(self, request):
        """Readiness by command, region and SCO, and the fills each Military Department owes (Encl. 2,
        8.j); ``?format=csv`` or ``xlsx`` exports the SCO rows, with ``&table=billets`` the billets."""
        if not self.has_view_permission(request):
            raise Http404
        today = timezone.localdate()
        fmt, table = request.GET.get("format"), request.GET.get("table", "scos")
        if fmt is not None:
            problem = (f"No export format “{fmt[:20]}”: choose csv or xlsx." if fmt not in EXPORT_FORMATS
                       else f"No table “{table[:20]}” to export: choose scos or billets."
                       if table not in ("scos", "billets") else None)
            if problem is not None:
                context = {**self.admin_site.each_context(request), "title": "This export cannot be made",
                           "problem": problem, "opts": self.opts, "list_url": request.path}
                return TemplateResponse(request, "admin/invalid_list_parameters.html", context, status=400)
            if table == "billets":
                return readiness_export(request=request, name="SC workforce billets and fills due",
                                        rows=billet_rows(billets_provided_visible_to(request.user, on=today), on=today),
                                        as_of=today, fmt=fmt, columns=BILLET_COLUMNS)
            rows = readiness_rows(scos_readiness_visible_to(request.user), on=today)
            return readiness_export(request=request, name="SC workforce readiness", rows=rows, as_of=today, fmt=fmt)
        rows = readiness_rows(scos_readiness_visible_to(request.user), on=today)
        billets = billet_rows(billets_provided_visible_to(request.user, on=today), on=today)
        context = {**self.admin_site.each_context(request), "title": "Security cooperation workforce readiness",
                   "rows": rows, "by_command": readiness_totals(rows, "command"),
                   "by_region": readiness_totals(rows, "region"), "today": today, "opts": self.opts,
                   "expiring": expiring_qualifications(request.user, on=today)[:200], "within": EXPIRING_WITHIN,
                   "columns": READINESS_COLUMNS, "billets": billets, "fills_due": fills_due(billets),
                   "billet_columns": BILLET_COLUMNS}
        return TemplateResponse(request, "admin/workforce/readiness.html", context)


class RequirementSCOFilter(admin.SimpleListFilter):
    """The SCOs whose requirements the reader may see (``selectors.scos_readiness_visible_to``)."""

    title = "SCO"
    parameter_name = "sco"

    def lookups(self, request, model_admin):
        scos = (scos_readiness_visible_to(request.user).filter(authorizations__requirement__isnull=False).distinct()
                .select_related("organization").order_by("organization__acronym"))
        return [(str(sco.pk), sco.organization.acronym) for sco in scos]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(authorization__sco_id=int(value))


class RequirementForm(forms.ModelForm):
    """The service's checks said beside each field (the model's constraint would say them above the form)."""

    def clean(self):
        cleaned = super().clean()
        if "certification_level" in cleaned:
            errors = services.requirement_errors(
                certification_level=cleaned["certification_level"], training=cleaned.get("training") or "",
                language=cleaned.get("language") or "", language_level=cleaned.get("language_level") or "",
                region=cleaned.get("region") or "")
            for field, messages in errors.items():
                for message in messages:
                    self.add_error(field, message)
        return cleaned


@admin.register(BilletRequirement)
class BilletRequirementAdmin(ServiceWriteAdminMixin, BoundedCountAdminMixin, admin.ModelAdmin):
    """What each SCO billet requires of whoever fills it: read with the SCO's readiness, set by
    DSCA (Encl. 2, 2.b) or the SCO's supervising command through ``services.requirement_set``."""

    form = RequirementForm
    list_display = ("authorization", "certification_level", "training", "language", "language_level", "region")
    list_select_related = ("authorization__sco__organization",)
    list_filter = (RequirementSCOFilter, "certification_level", "region")
    search_fields = ("authorization__position", "authorization__sco__organization__acronym", "training", "language")
    fields = ("authorization", "certification_level", "training", "language", "language_level", "region")

    def get_queryset(self, request):
        return (super().get_queryset(request).filter(authorization__sco__in=scos_readiness_visible_to(request.user))
                .select_related("authorization__sco__organization"))

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return (*fields, "authorization") if obj is not None else fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "authorization":
            # Billets in force, without a requirement yet, at the SCOs the user may set them for.
            kwargs["queryset"] = billets_requirement_settable_by(request.user).filter(requirement__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def service_write(self, request, form, formsets, change):
        cleaned = form.cleaned_data
        authorization = form.instance.authorization if change else cleaned["authorization"]
        return services.requirement_set(
            by=request.user, authorization=authorization, certification_level=cleaned.get("certification_level"),
            training=cleaned.get("training") or "", language=cleaned.get("language") or "",
            language_level=cleaned.get("language_level") or "", region=cleaned.get("region") or "")


MARKING = ("Marking", {"fields": (("classification", "noforn"), "rel_to")})


class ReportForm(forms.ModelForm):
    """The period's order is said beside its end (the model's constraint would say it above the form)."""

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        if start and end and end <= start:
            self.add_error("period_end", "The period ends after it starts.")
        return cleaned


@admin.register(WorkforceReadinessReport)
class WorkforceReadinessReportAdmin(ServiceWriteAdminMixin, BoundedCountAdminMixin, RoutedDocumentAdminMixin,
                                    admin.ModelAdmin):
    """A readiness report's page: its content while a draft or returned, then the engine's panels."""

    form = ReportForm
    list_display = ("title", "period_start", "period_end", "state", "as_of", "updated_at")
    list_filter = ("state", ("owner", VisibleOwnerFilter))
    search_fields = ("title",)
    list_select_related = ("owner",)
    autocomplete_fields = ("rel_to",)
    readonly_fields = ("state", "as_of", "readiness_table", "return_reason", "decision_note", "created_by",
                       "submitted_at", "decided_at")
    fieldsets = [
        (None, {"fields": ("title", "period_start", "period_end", "assessment")}),
        MARKING,
        ("Readiness as submitted", {"fields": ("as_of", "readiness_table")}),
        ("Record", {"fields": ("state", "return_reason", "decision_note", "created_by", "submitted_at",
                               "decided_at")}),
    ]
    change_select_related = ("owner", "created_by")
    change_prefetch_related = ("rel_to",)

    def visible_queryset(self, request):
        return reports_visible_to(request.user).select_related("owner")

    @admin.display(description="readiness by SCO")
    def readiness_table(self, report):
        if not report.rows:
            return "Read from every SCO when the report is submitted."
        keys = ("command", "region", "sco", "billets_authorized", "billets_filled", "filled_qualified", "gaps",
                "expiring_90_days")
        head = format_html_join("", "<th scope='col'>{}</th>", ((k.replace("_", " "),) for k in keys))
        body = format_html_join("", "<tr>" + "<td>{}</td>" * len(keys) + "</tr>",
                                ([row.get(k, "") for k in keys] for row in report.rows))
        links = format_html_join(" ", "<a class='button' href='{}'>Export as {}</a>",
                                 ((f"{reverse('admin:workforce_report_export', args=[report.pk])}?format={f}", f.upper())
                                  for f in EXPORT_FORMATS))
        from django.utils.html import format_html

        return format_html("<table class='wf-readiness'><thead><tr>{}</tr></thead><tbody>{}</tbody></table>"
                           "<p>{}</p>", head, body, links)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [path("<path:object_id>/export/", wrap(self.export_view), name="workforce_report_export")] \
            + super().get_urls()

    def export_view(self, request, object_id):
        """The report's frozen rows as CSV or XLSX (``?format=``), for the reader who may see it."""
        if not object_id.isdigit():
            raise Http404
        report = self.visible_queryset(request).filter(pk=int(object_id)).first()
        if report is None:
            raise Http404
        fmt = request.GET.get("format", "csv")
        if fmt not in EXPORT_FORMATS or not report.rows:
            problem = (f"No export format “{fmt[:20]}”: choose csv or xlsx." if fmt not in EXPORT_FORMATS
                       else "The report has no readiness rows yet: they are read when it is submitted.")
            context = {**self.admin_site.each_context(request), "title": "This export cannot be made",
                       "problem": problem, "opts": self.opts, "list_url": request.path}
            return TemplateResponse(request, "admin/invalid_list_parameters.html", context, status=400)
        return readiness_export(request=request, name=f"SC workforce readiness report {report.pk}", rows=report.rows,
                                as_of=report.as_of, fmt=fmt, banner=report.banner)

    def service_write(self, request, form, formsets, change):
        cleaned = form.cleaned_data
        return services.report_write(by=request.user, report=form.instance if change else None,
                                     fields={name: cleaned[name] for name in services.REPORT_FIELDS if name in cleaned},
                                     rel_to=cleaned.get("rel_to"))
