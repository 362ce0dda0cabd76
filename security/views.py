"""The page a locked-out person sees (django-axes calls ``lockout_response``, settings
``AXES_LOCKOUT_CALLABLE``): the admin's look, how long the lockout lasts, whom to contact."""

from __future__ import annotations

from axes.helpers import get_cool_off, get_failure_limit
from django.conf import settings
from django.contrib import admin
from django.http import JsonResponse
from django.template.response import TemplateResponse


def _minutes(cool_off) -> int:
    return max(1, round(cool_off.total_seconds() / 60)) if cool_off else 0


def lockout_response(request, original_response=None, credentials=None):
    """429 with the lockout's length and the contact (``SIGN_IN_HELP_CONTACT``); JSON for scripts."""
    minutes = _minutes(get_cool_off(request))
    failures = get_failure_limit(request, credentials)
    contact = settings.SIGN_IN_HELP_CONTACT
    status = settings.AXES_HTTP_RESPONSE_CODE
    if request.headers.get("x-requested-with") == "XMLHttpRequest":
        return JsonResponse({"detail": "Account locked after repeated failed sign-ins.", "locked_minutes": minutes,
                             "failure_limit": failures, "contact": contact}, status=status)
    context = {**admin.site.each_context(request), "title": "Account locked", "minutes": minutes,
               "failures": failures, "contact": contact}
    response = TemplateResponse(request, "security/lockout.html", context, status=status)
    response.render()
    return response
