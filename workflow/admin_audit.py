"""The audit trail's page: auditors read and export the events they are cleared for. Registered
here, in the engine, because which events about documents a reader sees depends on the kinds of
document (``workflow.audit.audit_events_readable_by``); the trail itself is ``security``'s."""

from django.contrib import admin
from django.http import HttpResponse
from django.utils import timezone

from security.admin_mixins import ReadOnlyAdminMixin
from security.audit import audit_record, may_read_audit
from security.models import AuditAction, AuditEvent
from security.spreadsheets import csv_writer

from .audit import audit_events_readable_by


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Auditors read and export the trail; nobody edits it (the database refuses it too)."""

    list_display = ("at", "action", "username", "ip_address", "description")
    list_filter = ("action",)
    search_fields = ("username", "description", "object_id")
    date_hierarchy = "at"
    actions = ["export_csv"]

    def _auditor(self, request):
        return may_read_audit(request.user)

    def get_queryset(self, request):
        # Auditors read what their clearance and citizenship reach, nothing more.
        return audit_events_readable_by(request.user, super().get_queryset(request))


    @admin.action(description="Export the selected events as CSV")
    def export_csv(self, request, queryset):
        if not request.user.has_perm("security.export_auditevent"):  # the declared rule (security/permissions.py)
            self.message_user(request, "Only an auditor may export the audit trail.", level="error")
            return None
        response = HttpResponse(content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="audit-trail.csv"'
        # User names come from the sign-in page, typed by anyone: no cell may be a formula.
        writer = csv_writer(response)
        # Times in the reader's own zone (runtime.time_zone), to the second, the offset and zone named.
        zone = timezone.get_current_timezone()
        writer.writerow([f"at ({timezone.get_current_timezone_name()})", "action", "user", "ip address",
                         "object type", "object id", "description"])
        for event in queryset.order_by("at", "pk"):
            at = timezone.localtime(event.at, zone)
            writer.writerow([f"{at:%d %b %Y %H:%M:%S} {at.tzname()} ({at:%z})", event.action, event.username, event.ip_address or "",
                             event.object_type, event.object_id, event.description])
        audit_record(action=AuditAction.EXPORT, description=f"Audit trail exported ({queryset.count()} events)",
                     request=request)
        return response
