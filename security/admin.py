from django import forms
from django.contrib import admin
from django.contrib.auth.models import Group

from .models import (
    CUICategory,
    DisseminationControl,
    OIDCLinkRequest,
    SecurityProfile,
)
from .services import oidc_link_approve, oidc_link_refusal


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

# The audit trail's page (AuditEvent) is registered by the engine, which knows the kinds of document an
# event may be about: workflow/admin_audit.py.
