"""Notices exactly once on real services: PostgreSQL, a Redis broker, a real Celery worker and a
real SMTP server (aiosmtpd); and two workers raising the same events at the same moment."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
import time_machine
from django.db import connection

from organizations.models import Role
from reminders.models import NoticeEvent, NoticeKind, Notification, Reminder, ReminderStatus
from reminders.notices import notices_pending_count, notices_raise
from reminders.tasks import sweep
from tests.reminders.conftest import wait_until
from workflow.models import Response, Step
from workflow.selectors import taskers_of
from workflow.services import tasker_respond, transition_perform

from .conftest import NOW, person

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER
TASKED = ("DA", "DON", "USD(AT&L)")


def _people(world) -> None:
    for acronym in ("EUCOM", *TASKED):
        for role in (AO, REV, APP):
            person(world, acronym, role)


def test_word_of_new_taskers_reaches_each_person_once_through_a_real_worker_and_smtp_server(
        world, smtp_server, purged_broker, celery_worker):
    with time_machine.travel(NOW, tick=True):
        _people(world)
        plan = world.ready_plan()
        # The submission commits; its on-commit task reaches the worker, which raises the notices
        # and hands each e-mail to a delivery task.
        transition_perform(document=plan, name="submit", by=person(world, "EUCOM", AO))
        expected = sorted(f"{org}_{role}@example.mil" for org in ("da", "don", "usdatl") for role in (REV, APP))
        wait_until(lambda: smtp_server.count() >= len(expected), message="the six notices by e-mail")
        # What beat does every two minutes: nothing more goes out.
        sweep.apply_async().get(timeout=60)
        wait_until(lambda: not Reminder.objects.filter(status=ReminderStatus.SENDING).exists(),
                   message="the worker to finish")
    assert sorted(address for message in smtp_server.received for address in message.to) == expected
    assert {m.subject for m in smtp_server.received} == {
        f"New coordination tasker for {org}, suspense 03 Dec 2026" for org in TASKED}
    assert len({m.message_id for m in smtp_server.received}) == len(expected)
    assert all("“EUCOM theater campaign plan”" in m.body for m in smtp_server.received)
    assert set(Reminder.objects.filter(notice_kind=NoticeKind.TASKER_ISSUED).values_list("status", flat=True)) == {
        ReminderStatus.SENT}
    assert Notification.objects.filter(reminder__notice_kind=NoticeKind.TASKER_ISSUED).count() == len(expected)
    assert notices_pending_count() == 0


def test_two_workers_raising_at_the_same_moment_tell_each_person_once(world, smtp_server):
    with time_machine.travel(NOW, tick=True):
        _people(world)
        plans = [world.ready_plan() for _ in range(3)]
        for plan in plans:
            transition_perform(document=plan, name="submit", by=person(world, "EUCOM", AO))
        # Every answer is in before any event is raised: each of the three answers of a plan
        # finds its step complete, so three events tell the same "all answers in".
        for plan in plans:
            for acronym in TASKED:
                tasker = taskers_of(plan, step=Step.COORDINATION).get(organization=world.orgs[acronym])
                tasker_respond(tasker=tasker, by=person(world, acronym, REV), response=Response.CONCUR)
        # The on-commit tasks ran eagerly in this thread; put the events back as a lost broker would.
        Notification.objects.all().delete()
        Reminder.objects.filter(notice_kind__gt="").delete()
        NoticeEvent.objects.filter(history__isnull=False).delete()
        NoticeEvent.objects.update(processed_at=None)
        smtp_server.received.clear()
        pending = notices_pending_count()
        assert pending >= 3 * 3  # each plan's three answers, at least
        processed = {"a": 0, "b": 0}
        start = threading.Barrier(2)

        def worker(name: str) -> None:
            try:
                start.wait()
                while count := notices_raise(limit=1):
                    processed[name] += count
            finally:
                connection.close()

        threads = [threading.Thread(target=worker, args=(name,)) for name in processed]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert processed["a"] + processed["b"] == pending  # each event by one worker
    told = Counter((n.reminder.key, n.user.username) for n in Notification.objects.select_related("reminder", "user"))
    assert told and max(told.values()) == 1
    answers_in = [key for key, _ in told if key.startswith("answers_in:")]
    assert len(answers_in) == 3 * 2  # each plan once, to EUCOM's action officer and approver
    # By e-mail too, each once: the messages name exactly the outbox rows, none twice.
    ids = smtp_server.reminder_ids()
    assert sorted(ids) == sorted(Reminder.objects.filter(notice_kind__gt="").values_list("pk", flat=True))
    assert sum(1 for m in smtp_server.received if m.subject == "All coordination answers in") == 6
