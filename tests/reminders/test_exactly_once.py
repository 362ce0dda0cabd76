"""Each reminder exactly once, on real services: PostgreSQL, a Redis broker, real Celery workers
(in a thread, or a separate process killed with SIGKILL) and a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.db import connection

from config.celery_app import app as celery_app
from reminders.models import Reminder, ReminderStatus
from reminders.services import LEASE, reminders_plan_new, reminders_sweep
from reminders.tasks import sweep

from .conftest import local, wait_until

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def sweep_through_the_broker() -> None:
    """What beat does: send the sweep task; then wait for the worker to deliver what it claimed."""
    sweep.apply_async().get(timeout=60)
    wait_until(lambda: not Reminder.objects.filter(status=ReminderStatus.SENDING).exists(),
               message="the worker to deliver every claimed reminder")


def test_every_reminder_and_escalation_arrives_once_to_the_right_people_on_working_days_skipping_holidays(
        world, smtp_server, purged_broker, celery_worker):
    arrivals: dict[datetime.date, set[tuple[str, str]]] = defaultdict(set)
    with time_machine.travel(local(2026, 11, 16), tick=True) as traveller:
        world.tasker(suspense=datetime.date(2026, 11, 30))                       # after Thanksgiving
        world.tasker(suspense=datetime.date(2026, 12, 28), organization="DLA")   # after Christmas
        day = datetime.date(2026, 11, 16)
        while day <= datetime.date(2027, 1, 8):
            traveller.move_to(local(day.year, day.month, day.day, 8))
            before = smtp_server.count()
            sweep_through_the_broker()
            for message in smtp_server.received[before:]:
                kind = message.subject.split(":")[0]
                for address in message.to:
                    arrivals[day].add((address.split("@")[0], f"{kind}, due {message.subject[-11:]}"))
            day += datetime.timedelta(days=1)
    thanksgiving_plan = "Suspense reminder, due 30 Nov 2026"
    christmas_plan = "Suspense reminder, due 28 Dec 2026"
    da_members = ("da_ao", "da_reviewer", "da_approver")
    reviewing_authority = ("js_reviewer", "usdp_approver")
    assert dict(arrivals) == {
        datetime.date(2026, 11, 20): {(u, thanksgiving_plan) for u in da_members},  # 26 Nov is a holiday
        datetime.date(2026, 11, 27): {(u, thanksgiving_plan) for u in da_members},
        datetime.date(2026, 11, 30): {(u, thanksgiving_plan) for u in da_members},
        datetime.date(2026, 12, 1): {("da_approver", "Escalation, due 30 Nov 2026")},
        datetime.date(2026, 12, 7): {(u, "Escalation, due 30 Nov 2026") for u in reviewing_authority},
        datetime.date(2026, 12, 18): {("dla_approver", christmas_plan)},
        datetime.date(2026, 12, 24): {("dla_approver", christmas_plan)},  # not on Christmas Day
        datetime.date(2026, 12, 28): {("dla_approver", christmas_plan)},
        datetime.date(2026, 12, 29): {("dla_approver", "Escalation, due 28 Dec 2026")},
        datetime.date(2027, 1, 5): {(u, "Escalation, due 28 Dec 2026") for u in reviewing_authority},  # New Year skipped
    }
    ids = smtp_server.reminder_ids()
    assert len(ids) == len(set(ids)) == smtp_server.count() == 18  # each (tasker, step, recipient) once
    assert Reminder.objects.filter(status=ReminderStatus.SENT).count() == 18
    assert not Reminder.objects.exclude(status=ReminderStatus.SENT).exists()


def test_two_sweeps_started_at_the_same_moment_send_no_duplicate(world, smtp_server, purged_broker, celery_worker):
    with time_machine.travel(local(2026, 11, 16), tick=False):
        world.taskers_in_bulk(40, suspense=datetime.date(2026, 11, 30))
        reminders_plan_new(limit=1000)
    due = set(Reminder.objects.filter(due_at__lte=local(2026, 11, 20, 8)).values_list("pk", flat=True))
    assert len(due) == 40 * 3
    claims: dict[str, list[int]] = {"a": [], "b": []}
    start = threading.Barrier(2)

    def sweeper(name: str) -> None:
        try:
            start.wait()
            while claimed := reminders_sweep(batch=10):
                claims[name].extend(claimed)
        finally:
            connection.close()

    with time_machine.travel(local(2026, 11, 20, 8), tick=True):
        threads = [threading.Thread(target=sweeper, args=(name,)) for name in claims]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        wait_until(lambda: not Reminder.objects.filter(status=ReminderStatus.SENDING).exists(), timeout=60)
    # Which sweep wins which rows depends on timing (on a loaded machine one may take them all);
    # what must hold whatever the timing:
    assert set(claims["a"]).isdisjoint(claims["b"])
    assert set(claims["a"]) | set(claims["b"]) == due
    assert sorted(smtp_server.reminder_ids()) == sorted(due)  # each exactly once
    assert Reminder.objects.filter(status=ReminderStatus.SENT).count() == len(due)


def _worker_process(smtp_port: int) -> subprocess.Popen:
    database = settings.DATABASES["default"]
    url = (f"postgres://{database['USER']}:{database.get('PASSWORD') or ''}@{database['HOST'] or '127.0.0.1'}:"
           f"{database['PORT'] or 5432}/{database['NAME']}")
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.local",
           "CELERY_BROKER_URL": settings.CELERY_BROKER_URL, "CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND,
           "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "127.0.0.1",
           "EMAIL_PORT": str(smtp_port), "EMAIL_TIMEOUT": "10"}
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=WARNING",
         "--without-mingle", "--without-gossip", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )


def _stable(count, seconds: float = 2.0) -> int:
    value, since = count(), time.monotonic()
    while time.monotonic() - since < seconds:
        time.sleep(0.2)
        if (now := count()) != value:
            value, since = now, time.monotonic()
    return value


@pytest.mark.slow
def test_a_worker_process_killed_in_the_middle_of_a_batch_leaves_no_reminder_missing_and_none_duplicated(
        world, smtp_server, purged_broker):
    world.taskers_in_bulk(20, suspense=datetime.date(2027, 6, 30))
    reminders_plan_new(limit=1000)
    batch = Reminder.objects.filter(step__offset_working_days=-5)
    expected = set(batch.values_list("pk", flat=True))
    batch.update(due_at=local(2026, 1, 5))  # due long ago: the whole batch goes in one sweep
    assert len(expected) == 60
    smtp_server.delay = 0.15  # a slow relay, so the kill lands mid-batch
    celery_app.conf.task_always_eager = False  # the workers are the processes started here
    worker = _worker_process(smtp_server.port)
    try:
        assert set(reminders_sweep(batch=1000)) == expected
        # Killed while the server holds its 11th conversation at MAIL FROM (the slow relay's
        # delay): ten delivered, one attempt recorded whose outcome the worker never learns.
        wait_until(lambda: smtp_server.conversations >= 11, timeout=60, interval=0.01,
                   message="the worker to start delivering")
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    delivered_before_the_kill = smtp_server.count()
    assert delivered_before_the_kill < len(expected)
    restarted = _worker_process(smtp_server.port)
    try:
        # The restarted worker takes what was still queued; the message the dead worker held is lost
        # to the broker until its visibility timeout, so its row stays `sending`...
        stuck = _stable(lambda: Reminder.objects.filter(status=ReminderStatus.SENDING).count())
        assert stuck >= 1
        # ...until its lease runs out and a sweep takes it back.
        from django.utils import timezone

        assert len(reminders_sweep(now=timezone.now() + LEASE + datetime.timedelta(minutes=1))) == stuck
        wait_until(lambda: not Reminder.objects.filter(status=ReminderStatus.SENDING).exists(), timeout=60)
    finally:
        os.killpg(restarted.pid, signal.SIGTERM)
        restarted.wait(timeout=30)
    # None missing, none twice; except that SMTP cannot be asked whether it took the message the
    # dead worker was sending when it died: if the kill fell between the server's "250" and the
    # worker's commit, that one reminder went out again, under the same Message-ID and flagged as
    # a possible duplicate, so the mail system can drop it.
    copies = defaultdict(list)
    for message in smtp_server.received:
        for pk in message.reminder_ids:
            copies[pk].append(message)
    assert set(copies) == expected
    twice = {pk: messages for pk, messages in copies.items() if len(messages) > 1}
    assert len(twice) <= 1 and all(len(messages) == 2 for messages in twice.values())
    for first, again in twice.values():
        assert again.message_id == first.message_id and "X-Possible-Duplicate" in again.headers
    assert Reminder.objects.filter(pk__in=expected, status=ReminderStatus.SENT).count() == len(expected)


def test_an_smtp_server_that_refuses_for_a_while_gets_the_reminder_once_it_accepts(
        world, smtp_server, purged_broker, celery_worker):
    smtp_server.refuse = 3
    with time_machine.travel(local(2026, 11, 16), tick=True) as traveller:
        tasker = world.tasker(suspense=datetime.date(2026, 11, 30), assignee=world.users["da_ao"])
        reminder = Reminder.objects.get(tasker=tasker, step__offset_working_days=-5)
        traveller.move_to(local(2026, 11, 20, 7, 30))
        errors = []
        for _ in range(6):
            sweep_through_the_broker()
            reminder.refresh_from_db()
            if reminder.status == ReminderStatus.SENT:
                break
            errors.append(reminder.last_error)
            traveller.move_to(reminder.due_at + datetime.timedelta(seconds=1))
    assert reminder.status == ReminderStatus.SENT
    assert reminder.attempts == 4 and reminder.last_error == ""
    assert len(errors) == 3 and all("451" in error for error in errors)
    assert smtp_server.reminder_ids() == [reminder.pk]
