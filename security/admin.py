from django import forms
from django.contrib import admin
from django.contrib.auth.models import Group
from django.http import HttpResponse

from .admin_mixins import ReadOnlyAdminMixin
from .audit import audit_events_readable_by, audit_record, may_read_audit
from .models import (
    AuditAction,
    AuditEvent,
    CUICategory,
    DisseminationControl,
    OIDCLinkRequest,
    SecurityProfile,
)
from .services import oidc_link_approve, oidc_link_refusal
from .spreadsheets import csv_writer


@admin.register(SecurityProfile)
class SecurityProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "clearance", "citizenship", "consent_acknowledged_at")
    list_filter = ("clearance",)
    search_fields = ("user__username",)
    autocomplete_fields = ("user",)


class OIDCLinkRequestForm(forms.ModelForm):
    """Linking a pending request to an account, by the rules of ``oidc_link_refusal``."""

    class Meta:
        model = OIDCLinkRequest
        fields = ["account"]

    def clean(self):
        cleaned = super().clean()
        refusal = oidc_link_refusal(link_request=self.instance, account=cleaned.get("account"), by=self.by)
        if refusal:
            raise forms.ValidationError(refusal)
        return cleaned


@admin.register(OIDCLinkRequest)
class OIDCLinkRequestAdmin(admin.ModelAdmin):
    """People the OpenID Connect provider vouched for whom no account is linked to yet: an
    administrator links each to an existing account (never their own); nothing creates one."""

    form = OIDCLinkRequestForm
    list_display = ("subject", "issuer", "name", "requested_at", "account", "decided_by", "decided_at")
    list_filter = (("decided_at", admin.EmptyFieldListFilter),)
    search_fields = ("subject", "name", "account__username")
    autocomplete_fields = ("account",)

    def get_readonly_fields(self, request, obj=None):
        decided = obj is not None and obj.decided_at is not None
        return ("issuer", "subject", "name", "requested_at", *(["account"] if decided else []),
                "decided_by", "decided_at")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"by": request.user})

    def save_model(self, request, obj, form, change):
        oidc_link_approve(link_request=obj, account=form.cleaned_data["account"], by=request.user)

    # System administrators link or decline pending identities: security/permissions.py.


# Groups grant nothing here (who may do what is derived: organizations/authority.py): no page for them.
admin.site.unregister(Group)
admin.site.register(CUICategory)
admin.site.register(DisseminationControl)


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
        writer.writerow(["at", "action", "user", "ip address", "object type", "object id", "description"])
        for event in queryset.order_by("at", "pk"):
            writer.writerow([event.at.isoformat(), event.action, event.username, event.ip_address or "",
                             event.object_type, event.object_id, event.description])
        audit_record(action=AuditAction.EXPORT, description=f"Audit trail exported ({queryset.count()} events)",
                     request=request)
        return response
