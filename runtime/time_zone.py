"""The person's own time zone on every page: read from the session (written at sign-in and when
they change it under Preferences), so no page pays a query for it; the installation's
(``TIME_ZONE``) otherwise."""

from __future__ import annotations

import zoneinfo

from django.utils import timezone

PERSON_TIME_ZONE = "person_time_zone"


def zone_or_none(name: str | None) -> zoneinfo.ZoneInfo | None:
    if not name:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


class PersonTimeZoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        zone = zone_or_none(session.get(PERSON_TIME_ZONE) if session is not None else None)
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
