"""The sweep drains what is due, a batch per transaction, until nothing is left or its time
budget is spent; each reminder is still claimed and sent once."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core import mail

from reminders.models import Reminder, ReminderStatus
from reminders.services import reminders_deliver, reminders_plan_new, reminders_sweep

from .conftest import local

pytestmark = pytest.mark.django_db

DUE = local(2026, 11, 20, 8)  # the 5-working-day reminders of a 30 Nov suspense are due


@pytest.fixture
def due_35(world):
    """35 reminders due: 35 DA taskers in bulk, each reminding the assignee only."""
    with time_machine.travel(local(2026, 11, 16), tick=False):
        taskers = world.taskers_in_bulk(35, suspense=datetime.date(2026, 11, 30))
        from workflow.models import Tasker

        Tasker.objects.filter(pk__in=[t.pk for t in taskers]).update(assignee=world.users["da_reviewer"])
        reminders_plan_new(limit=1000)
    due = set(Reminder.objects.filter(due_at__lte=DUE).values_list("pk", flat=True))
    assert len(due) == 35
    return due


def test_one_sweep_claims_every_due_reminder_a_batch_at_a_time(world, due_35, django_capture_on_commit_callbacks):
    with time_machine.travel(DUE, tick=False), django_capture_on_commit_callbacks(execute=True) as delivered:
        claimed = reminders_sweep(batch=10)
    assert sorted(claimed) == sorted(due_35)  # 10 + 10 + 10 + 5, in four transactions
    assert len(delivered) == 4  # a delivery task per batch (up to 20 e-mails each), started as it committed
    assert len(mail.outbox) == 35
    assert set(Reminder.objects.filter(pk__in=due_35).values_list("status", flat=True)) == {ReminderStatus.SENT}
    with time_machine.travel(DUE, tick=False):
        assert reminders_sweep(batch=10) == []  # nothing claimed twice


def test_a_spent_time_budget_stops_the_sweep_after_one_batch_and_the_next_sweep_goes_on(
        world, due_35, django_capture_on_commit_callbacks):
    runs = []
    with time_machine.travel(DUE, tick=False), django_capture_on_commit_callbacks(execute=True):
        while claimed := reminders_sweep(batch=10, budget=0):
            runs.append(claimed)
    assert [len(run) for run in runs] == [10, 10, 10, 5]
    every = [pk for run in runs for pk in run]
    assert len(every) == len(set(every)) == 35
    assert len(mail.outbox) == 35 and len({m.to[0] for m in mail.outbox}) == 1


def test_a_chunk_delivered_over_one_connection_fails_only_the_refused_address(world, smtp_server):
    with time_machine.travel(local(2026, 11, 16), tick=False):
        taskers = world.taskers_in_bulk(3, suspense=datetime.date(2026, 11, 30))
        reminders_plan_new(limit=1000)
    smtp_server.unknown = {"da_approver@example.mil"}  # refused for good: 550 user unknown
    with time_machine.travel(DUE, tick=False):
        claimed = reminders_sweep(batch=100, budget=0)  # tasks not run: delivered by hand below
        assert len(claimed) == 9  # three taskers, three DA members each
        outcomes = reminders_deliver(reminder_ids=claimed)
        assert reminders_deliver(reminder_ids=claimed) == dict.fromkeys(claimed, "nothing to do")
    refused = set(Reminder.objects.filter(recipient=world.users["da_approver"], tasker__in=taskers)
                  .values_list("pk", flat=True))
    assert outcomes == {pk: "failed" if pk in refused else "sent" for pk in claimed}
    assert sorted(smtp_server.reminder_ids()) == sorted(set(claimed) - refused)  # each once


def _claimed(world, count: int) -> list[int]:
    with time_machine.travel(local(2026, 11, 16), tick=False):
        world.taskers_in_bulk(count, suspense=datetime.date(2026, 11, 30))
        reminders_plan_new(limit=1000)
    with time_machine.travel(DUE, tick=False):
        return reminders_sweep(batch=1000, budget=0)  # tasks not run: delivered by hand below


def test_a_chunk_costs_two_statements_an_e_mail_beyond_its_preparation(world, smtp_server):
    """Prepared once for the chunk (its rows, documents, time zones and notifications read and
    written together), then per e-mail only its attempt (a compare-and-set) and its outcome."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    claimed = _claimed(world, 10)  # three DA members each: 30 reminders
    statements = {}
    for size in (10, 20):
        chunk = claimed[:size] if size == 10 else claimed[10:30]
        with time_machine.travel(DUE, tick=False), CaptureQueriesContext(connection) as queries:
            assert set(reminders_deliver(reminder_ids=chunk).values()) == {"sent"}
        statements[size] = len(queries)
    assert statements[20] - statements[10] == 2 * 10, statements
    assert sorted(smtp_server.reminder_ids()) == sorted(claimed)


def test_a_tasker_closed_while_its_chunk_is_sent_cancels_its_reminder_and_sends_the_rest(world, smtp_server):
    """The chunk is read before its e-mails go out; a tasker answered in between is seen by the
    compare-and-set that begins its e-mail's attempt, and its reminder is cancelled, not sent."""
    from django.db import connection

    from workflow.models import Tasker, TaskerState

    claimed = _claimed(world, 3)
    last = Reminder.objects.filter(pk__in=claimed).order_by("due_at", "pk").last()
    answered = []

    def answer_on_first_attempt(execute, sql, params, many, context):
        if not answered and sql.startswith('UPDATE "reminders_reminder" SET "attempted_at"'):
            answered.append(Tasker.objects.filter(pk=last.tasker_id).update(state=TaskerState.ANSWERED))
        return execute(sql, params, many, context)

    with time_machine.travel(DUE, tick=False), connection.execute_wrapper(answer_on_first_attempt):
        outcomes = reminders_deliver(reminder_ids=claimed)
    assert answered == [1]
    closed = set(Reminder.objects.filter(pk__in=claimed, tasker_id=last.tasker_id).values_list("pk", flat=True))
    assert len(closed) == 3  # its three DA members
    assert {outcomes[pk] for pk in closed} == {"cancelled"}
    assert Reminder.objects.get(pk=last.pk).status == ReminderStatus.CANCELLED
    assert last.pk not in smtp_server.reminder_ids()
    assert {outcomes[pk] for pk in claimed if pk not in closed} == {"sent"}
