"""How fast due reminders go out, end to end: ``count`` reminders due at once, the sweep sent
through the broker to a real Celery worker (a process of its own, on a queue of its own), each
reminder delivered by SMTP to a local server (aiosmtpd, in this process), exactly once."""

from __future__ import annotations

import datetime
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Max, Min, Q
from django.utils import timezone

ROOT = Path(__file__).resolve().parents[1]
RECIPIENTS = 4  # reminders per tasker: one to each of four people of the tasked organization


@dataclass
class MailFigures:
    reminders: int
    sent: int
    received: int          # messages the SMTP server took
    duplicates: int        # reminder ids the server received more than once
    seconds: float         # from the first delivery attempt to the last reminder sent
    per_s: float
    workers: int
    note: str = ""


class _Counting:
    """An SMTP server's handler that counts what it receives, by the reminder ids it names."""

    def __init__(self):
        self.lock = threading.Lock()
        self.ids: list[int] = []
        self.messages = 0

    async def handle_DATA(self, server, session, envelope):
        header = b"X-Reminder-Ids:"
        for line in envelope.original_content.split(b"\r\n"):
            if line.startswith(header):
                ids = [int(part) for part in line[len(header):].split(b",") if part.strip()]
                with self.lock:
                    self.ids.extend(ids)
                break
        with self.lock:
            self.messages += 1
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reminders_due_create(*, world, count: int) -> list[int]:
    """``count`` reminders due now on open taskers of one document, each the only due step of its
    tasker, to people with an e-mail address; the taskers are marked planned so the sweep adds
    nothing of its own. Returns the reminder ids."""
    from reminders.models import Reminder, ReminderSchedule, ReminderStatus, StepKind
    from reminders.services import reminder_policy_default_ensure
    from workflow.models import Step, Tasker

    from .world import STAFF_ROLES

    User = get_user_model()
    acronym = "DA" if "DA" in world.org_ids else next(iter(world.org_ids))
    people = [world.user_id(acronym, role) for role in STAFF_ROLES]
    people += [world.user_id("DON" if "DON" in world.org_ids else acronym, STAFF_ROLES[0])]
    people = list(dict.fromkeys(people))[:RECIPIENTS]
    for user in User.objects.filter(pk__in=people):
        user.email = f"{user.username}@bench.example.mil"
        user.save(update_fields=["email"])
    step = reminder_policy_default_ensure().steps.get(kind=StepKind.REMINDER, offset_working_days=0)
    from planning.models import CampaignPlan

    plan = CampaignPlan.objects.order_by("pk").first()
    today = timezone.localdate()
    taskers = Tasker.objects.bulk_create([
        Tasker(content_type_id=world.content_type[CampaignPlan], object_id=plan.pk, step=Step.COORDINATION,
               organization_id=world.org_ids[acronym], suspense=today, document_title=plan.title[:300])
        for _ in range(-(-count // len(people)))], batch_size=2000)
    ReminderSchedule.objects.bulk_create([ReminderSchedule(tasker=t, suspense=today) for t in taskers],
                                         batch_size=2000)
    due_at = timezone.now() - datetime.timedelta(minutes=1)
    rows = [Reminder(tasker=t, step=step, recipient_id=user, due_at=due_at, status=ReminderStatus.SCHEDULED)
            for t in taskers for user in people][:count]
    return [r.pk for r in Reminder.objects.bulk_create(rows, batch_size=2000)]


def _env(*, database_url: str, smtp_port: int, queue: str) -> dict:
    return {**os.environ, "DATABASE_URL": database_url, "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND, "CELERY_TASK_DEFAULT_QUEUE": queue,
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port), "EMAIL_USE_TLS": "false", "EMAIL_TIMEOUT": "10"}


def reminders_throughput_measure(*, world, database_url: str, count: int, timeout: float, log=print) -> MailFigures:
    """Create ``count`` due reminders, start a worker (prefork, one process per core) on a queue
    of this run's own, send it the sweep, and wait until every reminder is sent (or ``timeout``
    seconds pass). The rate is taken from the rows themselves: from the first delivery attempt to
    the last reminder sent, so neither the worker's start nor the polling counts."""
    from aiosmtpd.controller import Controller

    from reminders.models import Reminder, ReminderStatus
    from reminders.notices import notices_pending_skip

    # The worker delivers these reminders and nothing else: what the earlier phases left due
    # (the sweep's measure, the notices of their transitions) is put out of the way.
    now = timezone.now()
    notices_pending_skip(now=now)
    # Rows `sending` were handed to this process's in-memory broker: no worker will see them, and
    # a sweep would take them back once their lease ran out.
    Reminder.objects.filter(Q(status__in=(ReminderStatus.SCHEDULED, ReminderStatus.UNCERTAIN), due_at__lte=now)
                            | Q(status=ReminderStatus.SENDING)).update(
        status=ReminderStatus.CANCELLED, claimed_at=None,
        status_reason="Set aside by the bench before it measured delivery.")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd: a line per connection otherwise
    ids = reminders_due_create(world=world, count=count)
    handler = _Counting()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    queue = f"bench-reminders-{os.getpid()}"
    env = _env(database_url=database_url, smtp_port=controller.port, queue=queue)
    workers = os.cpu_count() or 1
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue, f"--concurrency={workers}",
         "--loglevel=WARNING", "--without-mingle", "--without-gossip", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    note = ""
    try:
        subprocess.run([sys.executable, "-m", "celery", "-A", "config", "call", "reminders.tasks.sweep",
                        "--queue", queue], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
                       timeout=120)
        log(f"reminders: {count} due, sweep sent to a worker of {workers} processes")
        rows = Reminder.objects.filter(pk__in=ids)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not rows.exclude(status__in=(ReminderStatus.SENT, ReminderStatus.FAILED,
                                            ReminderStatus.CANCELLED)).exists():
                break
            if worker.poll() is not None:
                note = f"the worker stopped (exit {worker.returncode})"
                break
            time.sleep(0.5)
        else:
            note = f"not every reminder was sent within {timeout:.0f} s"
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
        controller.stop()
    sent = rows.filter(status=ReminderStatus.SENT)
    span = sent.aggregate(first=Min("attempted_at"), last=Max("sent_at"))
    seconds = (span["last"] - span["first"]).total_seconds() if span["first"] and span["last"] else 0.0
    received = set(handler.ids)
    return MailFigures(reminders=count, sent=sent.count(), received=handler.messages,
                       duplicates=len(handler.ids) - len(received), seconds=round(seconds, 1),
                       per_s=round(sent.count() / seconds, 1) if seconds else 0.0, workers=workers, note=note)
