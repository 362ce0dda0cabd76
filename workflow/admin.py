from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from security.admin_mixins import InlineFollowsParentMixin, ReadOnlyAdminMixin

from .admin_audit import AuditEventAdmin  # noqa: F401 (registers the audit trail's page)
from .admin_views import TaskerAdmin  # noqa: F401 (registers "my taskers")
from .models import Closure, HistoryEntry, Route, RouteStep
from .services import RouteStepSpec, route_change_record, route_describe, route_steps_refusals


class RouteStepFormSet(BaseInlineFormSet):
    """Asks the service's rule (``route_steps_refusals``) of the steps as they will be saved:
    review and approval name designated offices; the owner approves only where its kind says so."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        specs = []
        for form in sorted(self.forms, key=lambda f: (f.cleaned_data.get("position") or 0)):
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or not data.get("step"):
                continue
            specs.append(RouteStepSpec(step=data["step"], organization=data.get("organization"),
                                       designation=data.get("designation") or "", relation=data.get("relation") or "",
                                       suspense_working_days=data.get("suspense_working_days") or 0,
                                       authority=data.get("authority") or ""))
        reasons = route_steps_refusals(document_kind=self.instance.document_kind, steps=specs)
        if reasons:
            raise ValidationError(reasons)


class RouteStepInline(InlineFollowsParentMixin, admin.TabularInline):
    model = RouteStep
    formset = RouteStepFormSet
    extra = 0
    fields = ("position", "step", "designation", "organization", "relation", "suspense_working_days", "authority")
    autocomplete_fields = ("organization",)


@admin.register(Route)
class RouteAdmin(admin.ModelAdmin):
    """Routing as data: who coordinates, reviews and approves each kind of document.
    Documents in flight keep the snapshot they started with; every change is recorded in the
    audit trail with the route before and after (``route_change_record``)."""

    list_display = ("name", "document_kind", "is_default", "updated_at")
    list_filter = ("document_kind", "is_default")
    inlines = [RouteStepInline]

    def save_model(self, request, obj, form, change):
        # The route as it was, before the form and its steps are saved.
        request._route_before = route_describe(Route.objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        route_change_record(route=form.instance, by=request.user, before=getattr(request, "_route_before", None),
                            request=request)


@admin.register(HistoryEntry)
class HistoryEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Append-only: readable by auditors and system administrators, never editable."""

    list_display = ("at", "description", "actor_label", "from_state", "to_state")
    list_filter = ("action",)
    search_fields = ("description", "comment")
    list_select_related = ("actor", "acting_for", "on_behalf_of", "caused_by")

    def get_queryset(self, request):
        from .selectors import with_names_then

        return with_names_then(super().get_queryset(request))  # who acted for whom, by the name used then


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    """Ad-hoc closures (an executive-order holiday) count like federal holidays in every
    suspense and reminder. System administrators declare them; staff may look them up."""

    list_display = ("date", "reason")
    date_hierarchy = "date"
    search_fields = ("reason",)
