"""Working days: Monday to Friday except U.S. federal holidays (observed dates), from the
maintained ``holidays`` library rather than a hand-kept list."""

from __future__ import annotations

import datetime
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _federal_holidays(year: int) -> frozenset[datetime.date]:
    return frozenset(holidays.country_holidays("US", years=year).keys())


def is_working_day(day: datetime.date) -> bool:
    return day.weekday() < 5 and day not in _federal_holidays(day.year)


def holiday_name(day: datetime.date) -> str | None:
    return holidays.country_holidays("US", years=day.year).get(day)


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


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days after ``start`` up to and including ``end`` (negative if ``end`` is earlier)."""
    if end == start:
        return 0
    sign = 1 if end > start else -1
    low, high = (start, end) if sign > 0 else (end, start)
    count = 0
    day = low
    while day < high:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return sign * count
