"""API tokens in the admin: who holds one, since when and until when, and revoking it. A token is
never shown: the database holds only its digest (django-rest-knox); keys are issued by
``manage.py issue_api_token``. A token is its holder's own: each person sees and revokes their
own; a system administrator sees and may revoke every token (to shut out a lost key)."""

from django.contrib import admin, messages
from knox.models import AuthToken

from security.admin_mixins import ReadOnlyAdminMixin

from .services import api_token_may_revoke, api_token_revoke

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


    def get_queryset(self, request):
        tokens = super().get_queryset(request)
        return tokens if request.user.is_superuser else tokens.filter(user_id=request.user.pk)

    # Who sees a token: api/permissions.py (the holder; a system administrator every one).

    def has_revoke_permission(self, request):
        return self.has_module_permission(request)

    @admin.action(description="Revoke the selected tokens", permissions=["revoke"])
    def revoke(self, request, queryset):
        tokens = [token for token in queryset.select_related("user") if api_token_may_revoke(token, request.user)]
        for token in tokens:
            api_token_revoke(token=token, by=request.user)
        self.message_user(request, f"{len(tokens)} token(s) revoked; requests with them are refused.", messages.SUCCESS)
