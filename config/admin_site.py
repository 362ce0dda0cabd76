"""The admin site staff work in: the DoD consent banner at sign-in, a configurable URL."""

from django.contrib import admin

from security.forms import NOTICE_AND_CONSENT, ConsentAuthenticationForm


class WorkplaceAdminSite(admin.AdminSite):
    site_header = "Campaign plan workflow"
    site_title = "Campaign plans"
    index_title = "Workplace"
    login_form = ConsentAuthenticationForm
    login_template = "security/login.html"

    def each_context(self, request):
        context = super().each_context(request)
        context["consent_text"] = NOTICE_AND_CONSENT
        return context
