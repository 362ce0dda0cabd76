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


def notification_settings_view(admin_site, request):
    """The admin site's *Notification settings* page (``admin:notification_settings``): for each
    kind of notice, immediately, in the daily digest, or not at all (``notice_preferences_set``).
    A refused choice shows the form again with what was chosen and the error beside it."""
    from .models import NoticeDelivery
    from .notices import notice_preferences, notice_preferences_set

    errors: dict[str, list[str]] = {}
    preferences = notice_preferences(request.user)
    if request.method == "POST":
        choices = {p["kind"]: request.POST.get(p["kind"], "") for p in preferences}
        try:
            notice_preferences_set(user=request.user, choices=choices, by=request.user)
        except ValidationError as refusal:
            errors = refusal.message_dict
            for preference in preferences:
                preference["delivery"] = choices[preference["kind"]]
        else:
            messages.success(request, "Your notification settings are saved.")
            return redirect("admin:notification_settings")
    for preference in preferences:
        preference["errors"] = errors.get(preference["kind"], [])
    context = {**admin_site.each_context(request), "title": "Notification settings", "preferences": preferences,
               "deliveries": NoticeDelivery.choices, "has_errors": bool(errors)}
    return TemplateResponse(request, "admin/notification_settings.html", context, status=400 if errors else 200)


def notifications_mark_read_view(admin_site, request):
    """POST: mark the person's own notifications read (those named by ``notification``, or all
    unread), then back to the start page (``admin:notifications_mark_read``)."""
    from django.http import HttpResponseNotAllowed

    from .selectors import notifications_of
    from .services import notifications_mark_read

    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    named = [value for value in request.POST.getlist("notification") if value.isdigit()]
    ids = named or notifications_of(request.user).filter(read_at__isnull=True).values_list("pk", flat=True)
    count = notifications_mark_read(user=request.user, notification_ids=ids)
    messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked as read.")
    return redirect("admin:index")
