"""API tokens in the admin: who holds one, since when and until when, and revoking it. A token is
never shown: the database holds only its digest (django-rest-knox); keys are issued by
``manage.py issue_api_token``."""

from django.contrib import admin, messages
from knox.models import AuthToken

from security.admin_mixins import ReadOnlyAdminMixin

from .services import api_token_revoke

admin.site.unregister(AuthToken)  # knox's own admin lists digests and issues keys in a message


@admin.register(AuthToken)
class ApiTokenAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("user", "created", "expiry")
    list_filter = ("expiry",)
    search_fields = ("user__username",)
    fields = ("user", "created", "expiry")
    readonly_fields = fields
    ordering = ("-created",)
    actions = ["revoke"]


    def has_revoke_permission(self, request):
        return request.user.has_perm("knox.delete_authtoken")

    @admin.action(description="Revoke the selected tokens", permissions=["revoke"])
    def revoke(self, request, queryset):
        tokens = list(queryset.select_related("user"))
        for token in tokens:
            api_token_revoke(token=token, by=request.user)
        self.message_user(request, f"{len(tokens)} token(s) revoked; requests with them are refused.", messages.SUCCESS)
