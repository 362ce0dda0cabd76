"""Dates and times in words, as the pages show them (``config/formats/en/formats.py``): for
exports, e-mails and messages built in Python. Times are in the active time zone, which is the
person's own on a page (``runtime.time_zone.PersonTimeZoneMiddleware``) and the installation's
(``TIME_ZONE``) elsewhere."""

from __future__ import annotations

import datetime

from django.utils import formats, timezone


def date_words(value: datetime.date | datetime.datetime) -> str:
    """ "29 Nov 2026"."""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return formats.date_format(value, "DATE_FORMAT")


def datetime_words(value: datetime.datetime | None = None) -> str:
    """ "29 Nov 2026 13:50 EST", in the active time zone; now without an argument."""
    value = timezone.localtime(value if value is not None else timezone.now())
    return formats.date_format(value, "DATETIME_FORMAT")
