"""Working days: Monday to Friday except U.S. federal holidays (observed dates, from the
maintained ``holidays`` library rather than a hand-kept list) and the ad-hoc closures
administrators declare (``workflow.models.Closure``).

Closures are read from the database at most once a minute per process (and at once after a
closure is saved or deleted in this process), so computing many dates costs no query each.
"""

from __future__ import annotations

import datetime
import threading
import time
from functools import lru_cache

import holidays
from django.db import transaction
from django.db.models.signals import post_delete, post_save

# A closure saved in another process (the admin's) reaches this one (a worker's) within this time.
CLOSURES_REFRESH_SECONDS = 60.0

_closures: dict[datetime.date, str] | None = None
_closures_loaded_at = 0.0
_closures_lock = threading.Lock()


@lru_cache(maxsize=64)
def _federal_holidays(year: int) -> dict[datetime.date, str]:
    return dict(holidays.country_holidays("US", years=year))


def closures_forget() -> None:
    """Read the closures again at the next computation (after one is saved or deleted)."""
    global _closures
    with _closures_lock:
        _closures = None


def _closure_changed(sender, **kwargs) -> None:
    # Now for this transaction's own reads, and again once it commits (a read in between
    # may have cached the closures as they were).
    closures_forget()
    transaction.on_commit(closures_forget)


post_save.connect(_closure_changed, sender="workflow.Closure", dispatch_uid="calendar_closure_saved")
post_delete.connect(_closure_changed, sender="workflow.Closure", dispatch_uid="calendar_closure_deleted")


def _closure_reasons() -> dict[datetime.date, str]:
    global _closures, _closures_loaded_at
    with _closures_lock:
        if _closures is None or time.monotonic() - _closures_loaded_at > CLOSURES_REFRESH_SECONDS:
            from .models import Closure

            _closures = dict(Closure.objects.values_list("date", "reason"))
            _closures_loaded_at = time.monotonic()
        return _closures


def is_working_day(day: datetime.date) -> bool:
    return day.weekday() < 5 and day not in _federal_holidays(day.year) and day not in _closure_reasons()


def holiday_name(day: datetime.date) -> str | None:
    """The federal holiday or the declared closure on ``day``, if any."""
    return _federal_holidays(day.year).get(day) or _closure_reasons().get(day)


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """The date ``days`` working days after ``start`` (before it, for negative ``days``).
    Zero days from a non-working day rolls forward to the next working day."""
    step = 1 if days >= 0 else -1
    day = start
    remaining = abs(days)
    if remaining == 0:
        while not is_working_day(day):
            day += datetime.timedelta(days=1)
        return day
    while remaining:
        day += datetime.timedelta(days=step)
        if is_working_day(day):
            remaining -= 1
    return day


def working_day_on_or_after(day: datetime.date) -> tuple[datetime.date, str]:
    """A suspense falls on a working day: ``day`` itself when it is one, otherwise the next
    working day and the note that tells the user so, e.g. “moved from Sat 5 Dec to Mon 7 Dec:
    not a working day” (with the holiday or closure named when there is one)."""
    moved = add_working_days(day, 0)
    if moved == day:
        return day, ""
    name = holiday_name(day)
    return moved, (f"moved from {day:%a} {day.day} {day:%b} to {moved:%a} {moved.day} {moved:%b}: not a working day"
                   + (f" ({name})" if name else ""))
