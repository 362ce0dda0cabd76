"""The sweep's cost depends on what is due, not on how many taskers exist."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reminders.models import Reminder, ReminderStatus
from reminders.notices import told_entries_q
from reminders.services import reminders_plan_new, reminders_sweep

from .conftest import local

pytestmark = pytest.mark.django_db


def _add_taskers_and_measure_a_sweep(world, *, total_taskers: int, due_day: datetime.date) -> tuple[int, int]:
    """Add taskers (10 due on ``due_day``, the rest months away), plan them all, then count the
    queries of one sweep on ``due_day``. Returns (queries, reminders claimed)."""
    issued = local(due_day.year, due_day.month, due_day.day, 6) - datetime.timedelta(days=1)
    with time_machine.travel(issued, tick=False):
        world.taskers_in_bulk(10, suspense=due_day + datetime.timedelta(days=7), organization="DA")
        world.taskers_in_bulk(total_taskers - 10, suspense=datetime.date(2027, 9, 30), organization="EUCOM")
    with time_machine.travel(local(due_day.year, due_day.month, due_day.day, 6), tick=False):
        while reminders_plan_new(limit=2000):
            pass
        reminders_plan_new()  # the planning lag has passed: the high-water mark settles
    told_entries_q()  # the content types of the kinds, cached as in a running worker
    with time_machine.travel(local(due_day.year, due_day.month, due_day.day, 8), tick=False), \
            CaptureQueriesContext(connection) as queries:
        claimed = reminders_sweep()
    # Those taskers are answered and their reminders delivered: nothing of them is due later.
    Reminder.objects.filter(pk__in=claimed).update(status=ReminderStatus.SENT)
    Reminder.objects.filter(tasker__organization__acronym="DA", status=ReminderStatus.SCHEDULED).update(
        status=ReminderStatus.CANCELLED)
    return len(queries), len(claimed)


def test_the_sweep_runs_the_same_queries_with_100_and_with_10000_taskers_when_the_same_number_are_due(world):
    # Suspense a week after each due day: the 5-working-day reminder falls on the due day.
    small = _add_taskers_and_measure_a_sweep(world, total_taskers=100, due_day=datetime.date(2026, 12, 1))
    assert Reminder.objects.count() > 100
    large = _add_taskers_and_measure_a_sweep(world, total_taskers=9_900, due_day=datetime.date(2026, 12, 8))
    from workflow.models import Tasker

    assert Tasker.objects.count() == 10_000
    assert small == large, f"100 taskers: {small}, 10,000 taskers: {large} (queries, claimed)"
    assert small[1] == 10 * 3  # three DA members each
    # 11, and the notices' part (reminders.notices): the history mark's lock, the look for
    # untold history entries, the look for pending tasker events, the mark's settling.
    assert small[0] <= 15


def test_a_sweep_with_nothing_due_runs_a_small_fixed_number_of_queries(world):
    with time_machine.travel(local(2026, 11, 16), tick=False):
        world.taskers_in_bulk(50, suspense=datetime.date(2027, 9, 30))
    with time_machine.travel(local(2026, 11, 17), tick=False):
        reminders_sweep()
        with CaptureQueriesContext(connection) as queries:
            assert reminders_sweep() == []
    # The mark, new taskers, the settled high-water; the notices' part (the history mark's lock,
    # untold history entries, pending tasker events, the history mark's settling); expired
    # leases, due rows (+ savepoints).
    assert len(queries) <= 13, "\n".join(q["sql"][:150] for q in queries)
