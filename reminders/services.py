"""Writes of the reminders app. Celery tasks, signals and the admin call these and nothing else.

The outbox decides: a ``Reminder`` row exists once per (tasker, step, recipient) (a unique
constraint), and only the transaction that moves it from ``sending`` to ``sent`` while holding
its row lock sends the e-mail. Sweeps claim rows with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL;
SQLite serializes writers instead), so concurrent sweeps never claim the same row; a row left
in ``sending`` by a worker that died is claimed again once its lease runs out; an SMTP failure
puts the row back on the schedule with exponential backoff until it is sent or, after
``MAX_ATTEMPTS``, marked failed with the error.
"""

from __future__ import annotations

import datetime
import logging
import smtplib
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from config.celery_app import enqueue_on_commit
from workflow.calendar import add_working_days
from workflow.models import OPEN_TASKER_STATES, Tasker

from .marking import mail_may_carry_title
from .models import (
    Audience,
    Notification,
    PlanningMark,
    Reminder,
    ReminderPolicy,
    ReminderSchedule,
    ReminderStatus,
    ReminderStep,
    StepKind,
    UserPreference,
)
from .selectors import Recipients, document_link, documents_of, policies_active, policy_for

logger = logging.getLogger(__name__)

SEND_HOUR = getattr(settings, "REMINDERS_SEND_HOUR", 7)
BATCH_SIZE = 200
PLAN_BATCH_SIZE = 500
MAX_ATTEMPTS = 8
BACKOFF_SECONDS = 60
BACKOFF_CAP_SECONDS = 3600
# Longer than any delivery can take (SMTP timeout included): a row still `sending` after this
# was handed to a worker that died or a message the broker lost.
LEASE = datetime.timedelta(minutes=10)
# Longer than any transaction that issues taskers: ids below the high-water mark are committed.
PLANNING_LAG = datetime.timedelta(minutes=10)
PLANNING_MARK = "taskers"

DEFAULT_POLICY_NAME = "Default reminders and escalations"
DEFAULT_STEPS = (
    (StepKind.REMINDER, -5, Audience.TASKED_ORGANIZATION),
    (StepKind.REMINDER, -1, Audience.TASKED_ORGANIZATION),
    (StepKind.REMINDER, 0, Audience.TASKED_ORGANIZATION),
    (StepKind.ESCALATION, 1, Audience.ORGANIZATION_APPROVERS),
    (StepKind.ESCALATION, 5, Audience.REVIEWING_AUTHORITY),
)

MAIL_ERRORS = (smtplib.SMTPException, OSError)


# --- policy --------------------------------------------------------------------------------

def reminder_policy_default_ensure() -> ReminderPolicy:
    """The default policy (the issue's offsets) exists and is active; created if missing.
    The data migration creates it; this covers a database emptied since."""
    policy = ReminderPolicy.objects.filter(is_active=True, content_type__isnull=True, workflow_kind="").first()
    if policy is not None:
        return policy
    policy = ReminderPolicy.objects.create(name=DEFAULT_POLICY_NAME)
    ReminderStep.objects.bulk_create([
        ReminderStep(policy=policy, kind=kind, offset_working_days=offset, audience=audience)
        for kind, offset, audience in DEFAULT_STEPS
    ])
    return policy


def reminder_due_at(*, suspense: datetime.date, offset_working_days: int) -> datetime.datetime:
    """The moment a step falls due: the send hour, local time, on the working day ``offset``
    working days from the suspense (U.S. federal holidays and weekends skipped)."""
    day = add_working_days(suspense, offset_working_days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(SEND_HOUR)))


# --- planning ------------------------------------------------------------------------------

def reminders_plan(*, taskers: Iterable[Tasker]) -> int:
    """Bring the outbox of these taskers in line with their suspense, state and assignee, in a
    fixed number of queries for the whole batch. Idempotent. Open taskers get a scheduled row
    per (step, recipient) not yet created; a moved suspense re-dates what is still scheduled;
    a closed tasker, or a recipient no longer concerned, has what is scheduled cancelled.
    Rows already sent, sending or failed are never touched. Steps that fell due before the
    tasker existed are not planned (no '5 days before' for a tasker issued 2 days before).
    Returns how many rows were created or changed."""
    taskers = list(taskers)
    if not taskers:
        return 0
    # Inside the caller's transaction (a tasker saved by a workflow service) no savepoint: the
    # tasker and its reminders are written, or rolled back, together.
    with transaction.atomic(savepoint=False):
        return _plan(taskers)


def _plan(taskers: list[Tasker]) -> int:
    if all(tasker.state not in OPEN_TASKER_STATES for tasker in taskers):
        # Answered, cancelled or misrouted: only what is still scheduled is cancelled. The
        # schedule (the "planned" mark) is left as it is: a closed tasker has nothing to plan, and
        # one the planning pass has not reached yet is marked when it does.
        return Reminder.objects.filter(tasker__in=taskers, status=ReminderStatus.SCHEDULED).update(
            status=ReminderStatus.CANCELLED)
    policies = policies_active()
    if not any(p.is_default for p in policies):
        reminder_policy_default_ensure()
        policies = policies_active()
    documents = documents_of(taskers)
    recipients = Recipients(_organization_ids(taskers, documents), timezone.localdate())
    desired: dict[tuple[int, int, int], datetime.datetime] = {}
    for tasker in taskers:
        if tasker.state not in OPEN_TASKER_STATES:
            continue
        document = documents.get((tasker.content_type_id, tasker.object_id))
        policy = policy_for(policies, tasker, document)
        if policy is None:
            continue
        issued_on = timezone.localdate(tasker.created_at)
        for step in policy.active_steps:
            due_at = reminder_due_at(suspense=tasker.suspense, offset_working_days=step.offset_working_days)
            if timezone.localdate(due_at) < issued_on:
                continue
            for user_id in recipients.for_audience(step.audience, tasker, document):
                desired[(tasker.pk, step.pk, user_id)] = due_at
    digest_users = set(UserPreference.objects.filter(
        user_id__in={user_id for (_, _, user_id) in desired}, daily_digest=True).values_list("user_id", flat=True))
    # Locked: a delivery committing `sent` between this read and the writes below must not be
    # overwritten (a moved suspense would otherwise schedule a sent reminder again).
    existing = {(r.tasker_id, r.step_id, r.recipient_id): r
                for r in Reminder.objects.select_for_update().filter(tasker__in=taskers)
                .exclude(status=ReminderStatus.SENT).order_by("pk")}
    to_create, to_update, to_cancel = [], [], []
    for key, due_at in desired.items():
        digest = key[2] in digest_users
        row = existing.get(key)
        if row is None:
            to_create.append(Reminder(tasker_id=key[0], step_id=key[1], recipient_id=key[2], due_at=due_at,
                                      digest=digest))
        elif row.status in (ReminderStatus.SCHEDULED, ReminderStatus.CANCELLED) and (
                row.status == ReminderStatus.CANCELLED or row.due_at != due_at or row.digest != digest):
            row.status, row.due_at, row.digest, row.attempts = ReminderStatus.SCHEDULED, due_at, digest, 0
            to_update.append(row)
    for key, row in existing.items():
        if key not in desired and row.status == ReminderStatus.SCHEDULED:
            to_cancel.append(row.pk)
    # A concurrent planner may have inserted the same row: the unique constraint keeps one.
    Reminder.objects.bulk_create(to_create, ignore_conflicts=True)
    Reminder.objects.bulk_update(to_update, ["status", "due_at", "digest", "attempts"])
    if to_cancel:
        Reminder.objects.filter(pk__in=to_cancel, status=ReminderStatus.SCHEDULED).update(
            status=ReminderStatus.CANCELLED)
    _schedule_upsert(taskers)
    return len(to_create) + len(to_update) + len(to_cancel)


def _schedule_upsert(taskers: list[Tasker]) -> None:
    now = timezone.now()
    ReminderSchedule.objects.bulk_create(
        [ReminderSchedule(tasker_id=t.pk, suspense=t.suspense, planned_at=now) for t in taskers],
        update_conflicts=True, unique_fields=["tasker"], update_fields=["suspense", "planned_at"],
    )


def _organization_ids(taskers: list[Tasker], documents: dict) -> set[int]:
    from .selectors import reviewing_authority_ids

    ids = {t.organization_id for t in taskers}
    for document in documents.values():
        ids.update(reviewing_authority_ids(document))
    return ids


def reminders_plan_new(*, limit: int = PLAN_BATCH_SIZE, now: datetime.datetime | None = None) -> int:
    """Plan taskers that no save signal announced (``bulk_create`` sends none): those above the
    high-water mark without a schedule, at most ``limit`` per call. The mark advances only over
    taskers older than ``PLANNING_LAG``, so one committed late by a slower transaction (a lower
    id, visible later) is still found. Costs a few indexed queries on recent taskers, whatever
    the number of taskers in the table. Returns how many taskers were planned."""
    now = now or timezone.now()
    with transaction.atomic():
        mark, _ = PlanningMark.objects.select_for_update().get_or_create(name=PLANNING_MARK)
        pending = list(Tasker.objects.filter(pk__gt=mark.last_tasker_id, reminder_schedule__isnull=True)
                       .order_by("pk")[:limit])
        reminders_plan(taskers=pending)
        next_unplanned = None
        if len(pending) == limit:  # more are waiting: the mark must stop below the first of them
            next_unplanned = (Tasker.objects.filter(pk__gt=pending[-1].pk, reminder_schedule__isnull=True)
                              .order_by("pk").values_list("pk", flat=True).first())
        settled = Tasker.objects.filter(pk__gt=mark.last_tasker_id, created_at__lte=now - PLANNING_LAG)
        if next_unplanned is not None:
            settled = settled.filter(pk__lt=next_unplanned)
        high = settled.aggregate(high=Max("pk"))["high"]
        if high is not None:
            PlanningMark.objects.filter(pk=mark.pk).update(last_tasker_id=high)
    return len(pending)


# --- the sweep -----------------------------------------------------------------------------

def reminders_sweep(*, now: datetime.datetime | None = None, batch: int = BATCH_SIZE) -> list[int]:
    """Plan taskers created in bulk, take back rows whose worker died, and claim up to ``batch``
    due reminders for delivery, each handed to a worker once this transaction commits.
    With nothing due it runs a fixed number of indexed queries. Returns the claimed ids."""
    from .tasks import deliver

    now = now or timezone.now()
    reminders_plan_new(now=now)
    with transaction.atomic():
        _reclaim_expired_leases(now=now, batch=batch)
        claimed = list(
            Reminder.objects.select_for_update(skip_locked=True)
            .filter(status=ReminderStatus.SCHEDULED, digest=False, due_at__lte=now)
            .order_by("due_at", "pk").values_list("pk", flat=True)[:batch]
        )
        if claimed:
            Reminder.objects.filter(pk__in=claimed).update(status=ReminderStatus.SENDING, claimed_at=now,
                                                           attempts=F("attempts") + 1)
            for pk in claimed:
                enqueue_on_commit(deliver, pk)
    return claimed


def _reclaim_expired_leases(*, now: datetime.datetime, batch: int) -> None:
    """Rows a dead worker (or a lost message) left in ``sending`` go back on the schedule;
    those that exhausted their attempts are marked failed instead of looping forever."""
    expired = list(
        Reminder.objects.select_for_update(skip_locked=True)
        .filter(status=ReminderStatus.SENDING, claimed_at__lt=now - LEASE)
        .order_by("claimed_at", "pk").values_list("pk", "attempts")[:batch]
    )
    if not expired:
        return
    exhausted = [pk for pk, attempts in expired if attempts >= MAX_ATTEMPTS]
    again = [pk for pk, attempts in expired if attempts < MAX_ATTEMPTS]
    Reminder.objects.filter(pk__in=again).update(status=ReminderStatus.SCHEDULED, claimed_at=None)
    Reminder.objects.filter(pk__in=exhausted).update(
        status=ReminderStatus.FAILED, claimed_at=None,
        last_error=f"No worker finished delivering it in {MAX_ATTEMPTS} attempts.")
    logger.warning("reminders: took back %d reminders whose delivery lease expired", len(expired))


# --- delivery ------------------------------------------------------------------------------

def reminder_deliver(*, reminder_id: int) -> str:
    """Send one claimed reminder and mark it sent, atomically under its row lock: a task run
    twice (a retry, a redelivered message, a reclaimed lease) finds it sent and does nothing.
    A tasker closed (or a recipient deactivated) meanwhile cancels it. An SMTP failure reschedules it with backoff, or
    marks it failed with the error after ``MAX_ATTEMPTS``. Returns the outcome."""
    with transaction.atomic():
        reminder = Reminder.objects.select_for_update().filter(pk=reminder_id).first()
        if reminder is None or reminder.status != ReminderStatus.SENDING:
            return "nothing to do"
        reminder = Reminder.objects.select_related("step", "recipient", "tasker__organization",
                                                   "tasker__content_type").get(pk=reminder_id)
        tasker = reminder.tasker
        if not tasker.is_open or not reminder.recipient.is_active:
            _close(reminder, ReminderStatus.CANCELLED)
            return "cancelled"
        text, link = _reminder_text(reminder), document_link(tasker.content_type, tasker.object_id)
        Notification.objects.get_or_create(reminder=reminder, defaults={
            "user_id": reminder.recipient_id, "text": text[:500], "link": link})
        try:
            _send(reminder.recipient, subject=_subject(reminder), body=f"{text}\n\n{link}\n",
                  message_id=f"<reminder-{reminder.pk}@{_mail_domain()}>", reminder_ids=[reminder.pk])
        except MAIL_ERRORS as exc:
            _retry_or_fail([reminder], exc)
            return "retry" if reminder.status == ReminderStatus.SCHEDULED else "failed"
        _close(reminder, ReminderStatus.SENT)
    return "sent"


def reminders_digest_claim(*, now: datetime.datetime | None = None, limit: int = 5000) -> dict[int, list[int]]:
    """Claim the due reminders of users who chose a daily digest and hand each user's to one
    delivery task. Returns {user id: reminder ids}."""
    from .tasks import deliver_digest

    now = now or timezone.now()
    by_user: dict[int, list[int]] = defaultdict(list)
    with transaction.atomic():
        rows = list(
            Reminder.objects.select_for_update(skip_locked=True)
            .filter(status=ReminderStatus.SCHEDULED, digest=True, due_at__lte=now)
            .order_by("due_at", "pk").values_list("pk", "recipient_id")[:limit]
        )
        for pk, user_id in rows:
            by_user[user_id].append(pk)
        if rows:
            Reminder.objects.filter(pk__in=[pk for pk, _ in rows]).update(
                status=ReminderStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
            for user_id, ids in by_user.items():
                enqueue_on_commit(deliver_digest, user_id, ids)
    return dict(by_user)


def digest_deliver(*, user_id: int, reminder_ids: list[int]) -> str:
    """One e-mail listing the user's claimed reminders; each row marked sent with it, under
    the rows' locks (the same exactly-once rule as single reminders)."""
    with transaction.atomic():
        locked = list(Reminder.objects.select_for_update().filter(
            pk__in=reminder_ids, recipient_id=user_id, status=ReminderStatus.SENDING).values_list("pk", flat=True))
        rows = list(Reminder.objects.filter(pk__in=locked).select_related(
            "step", "recipient", "tasker__organization", "tasker__content_type").order_by("due_at", "pk"))
        closed = [r for r in rows if not (r.tasker.is_open and r.recipient.is_active)]
        for reminder in closed:
            _close(reminder, ReminderStatus.CANCELLED)
        rows = [r for r in rows if r not in closed]
        if not rows:
            return "nothing to do"
        lines = []
        for reminder in rows:
            text = _reminder_text(reminder)
            link = document_link(reminder.tasker.content_type, reminder.tasker.object_id)
            Notification.objects.get_or_create(reminder=reminder, defaults={
                "user_id": user_id, "text": text[:500], "link": link})
            lines.append(f"- {text}\n  {link}")
        subject = f"Daily suspense digest: {len(rows)} reminder{'s' if len(rows) != 1 else ''}"
        try:
            _send(rows[0].recipient, subject=subject, body="\n".join(lines) + "\n",
                  message_id=f"<digest-{'-'.join(str(r.pk) for r in rows)}@{_mail_domain()}>",
                  reminder_ids=[r.pk for r in rows])
        except MAIL_ERRORS as exc:
            _retry_or_fail(rows, exc)
            return "retry"
        for reminder in rows:
            _close(reminder, ReminderStatus.SENT)
    return "sent"


def _close(reminder: Reminder, status: str) -> None:
    reminder.status = status
    reminder.claimed_at = None
    if status == ReminderStatus.SENT:
        reminder.sent_at = timezone.now()
        reminder.last_error = ""
    reminder.save(update_fields=["status", "claimed_at", "sent_at", "last_error"])


def _retry_or_fail(reminders: list[Reminder], exc: Exception) -> None:
    now = timezone.now()
    error = f"{type(exc).__name__}: {exc}"[:2000]
    for reminder in reminders:
        reminder.last_error, reminder.claimed_at = error, None
        if reminder.attempts >= MAX_ATTEMPTS:
            reminder.status = ReminderStatus.FAILED
        else:
            delay = min(BACKOFF_SECONDS * 2 ** (reminder.attempts - 1), BACKOFF_CAP_SECONDS)
            reminder.status, reminder.due_at = ReminderStatus.SCHEDULED, now + datetime.timedelta(seconds=delay)
        reminder.save(update_fields=["status", "due_at", "last_error", "claimed_at"])
    logger.warning("reminders: mail not taken for %s (%s)", [r.pk for r in reminders], error)


def _send(recipient, *, subject: str, body: str, message_id: str, reminder_ids: list[int]) -> None:
    if not recipient.email:
        return  # the in-app notification is the only channel this user has
    EmailMessage(subject=subject, body=body, to=[recipient.email], headers={
        # A stable Message-ID lets mail systems drop the one duplicate a crash between the
        # server's "250 OK" and our commit could produce.
        "Message-ID": message_id,
        "X-Reminder-Ids": ",".join(str(pk) for pk in reminder_ids),
    }).send()


def _mail_domain() -> str:
    return settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"


def _subject(reminder: Reminder) -> str:
    kind = "Escalation" if reminder.step.kind == StepKind.ESCALATION else "Suspense reminder"
    return f"{kind}: {reminder.tasker.get_step_display().lower()} tasker due {reminder.tasker.suspense:%d %b %Y}"


def _reminder_text(reminder: Reminder) -> str:
    tasker, step = reminder.tasker, reminder.step
    what = f"{tasker.get_step_display()} tasker for {tasker.organization.acronym}"
    if mail_may_carry_title(tasker.document):
        what += f" on “{tasker.document_title}”"
    else:
        what += " on a document whose title this e-mail may not carry (open the link to see it)"
    days = abs(step.offset_working_days)
    plural = "s" if days != 1 else ""
    if step.offset_working_days < 0:
        when = f"Suspense in {days} working day{plural} ({tasker.suspense:%d %b %Y})"
    elif step.offset_working_days == 0:
        when = f"Suspense today ({tasker.suspense:%d %b %Y})"
    else:
        when = f"Overdue by {days} working day{plural} (suspense was {tasker.suspense:%d %b %Y})"
    return f"{when}: {what}."


# --- preferences and notifications ---------------------------------------------------------

def user_preference_set(*, user, daily_digest: bool) -> UserPreference:
    """Choose a daily digest or single messages; reminders still scheduled follow the choice."""
    with transaction.atomic():
        preference, _ = UserPreference.objects.update_or_create(user=user, defaults={"daily_digest": daily_digest})
        Reminder.objects.filter(recipient=user, status=ReminderStatus.SCHEDULED).update(digest=daily_digest)
    return preference


def notifications_mark_read(*, user, notification_ids: Iterable[int]) -> int:
    """Mark the user's own notifications read (others' are never touched)."""
    return Notification.objects.filter(user_id=user.pk, pk__in=list(notification_ids), read_at__isnull=True).update(
        read_at=timezone.now())
