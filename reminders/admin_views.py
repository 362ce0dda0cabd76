"""The person's own preferences page on the admin site (the site's URL wiring: config/admin_site.py)."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from runtime.time_zone import PERSON_TIME_ZONE

from .services import user_time_zone, user_time_zone_set


def preferences_view(admin_site, request):
    """The admin site's *My preferences* page (``admin:preferences``): the time zone of the times on
    the pages, kept in the session for ``runtime.time_zone.PersonTimeZoneMiddleware``."""
    error = ""
    if request.method == "POST":
        try:
            preference = user_time_zone_set(user=request.user, time_zone=request.POST.get("time_zone", ""))
        except ValidationError as refusal:
            error = " ".join(refusal.messages)
        else:
            request.session[PERSON_TIME_ZONE] = preference.time_zone
            shown = preference.time_zone or f"the installation's ({settings.TIME_ZONE})"
            messages.success(request, f"Times are now shown in {shown}.")
            return redirect("admin:preferences")
    context = {**admin_site.each_context(request), "title": "My preferences", "error": error,
               "chosen": request.POST.get("time_zone") if error else user_time_zone(request.user),
               "zones": sorted(zoneinfo.available_timezones()), "installation_zone": settings.TIME_ZONE}
    return TemplateResponse(request, "admin/preferences.html", context, status=400 if error else 200)
