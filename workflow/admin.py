from django.contrib import admin

from security.admin_mixins import InlineFollowsParentMixin, ReadOnlyAdminMixin

from .admin_views import TaskerAdmin  # noqa: F401 (registers "my taskers")
from .models import Closure, HistoryEntry, Route, RouteStep


class RouteStepInline(InlineFollowsParentMixin, admin.TabularInline):
    model = RouteStep
    extra = 0
    fields = ("position", "step", "organization", "relation", "suspense_working_days")
    autocomplete_fields = ("organization",)


@admin.register(Route)
class RouteAdmin(admin.ModelAdmin):
    """Routing as data: who coordinates, reviews and approves each kind of document.
    Documents in flight keep the snapshot they started with."""

    list_display = ("name", "document_kind", "is_default", "updated_at")
    list_filter = ("document_kind", "is_default")
    inlines = [RouteStepInline]


@admin.register(HistoryEntry)
class HistoryEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Append-only: readable by auditors and system administrators, never editable."""

    list_display = ("at", "description", "actor_label", "from_state", "to_state")
    list_filter = ("action",)
    search_fields = ("description", "comment")
    list_select_related = ("actor", "acting_for", "on_behalf_of", "caused_by")



@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    """Ad-hoc closures (an executive-order holiday) count like federal holidays in every
    suspense and reminder. System administrators declare them; staff may look them up."""

    list_display = ("date", "reason")
    date_hierarchy = "date"
    search_fields = ("reason",)
