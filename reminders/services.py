"""Writes of the reminders app. Celery tasks, signals and the admin call these and nothing else.

The outbox decides: a ``Reminder`` row exists once per (tasker, step, recipient) (a unique
constraint). Sweeps claim rows with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite serializes
writers instead), so concurrent sweeps never claim the same row. Delivery commits the attempt
(Message-ID, time) before the SMTP conversation and the outcome after it, so a repeated task
does nothing and a worker that dies in between leaves a row known to be possibly delivered
(``uncertain``), sent again only under the same Message-ID with a header saying it may be a
duplicate. A row left in ``sending`` before any attempt is claimed again once its lease runs
out. A permanent refusal (5xx) fails at once; a temporary one (4xx, no connection) puts the
row back on the schedule with exponential backoff until it is sent or, after
``MAX_ATTEMPTS``, failed. A failure is shown to the recipient as a notification.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import logging
import smtplib
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Case, F, Max, Q, Value, When
from django.utils import timezone

from organizations.selectors import organization_label, organization_labels
from runtime.compiled import Statement
from runtime.dates import date_words, datetime_words
from runtime.task_queue import enqueue_on_commit
from runtime.time_zone import zone_or_none
from workflow.calendar import add_working_days
from workflow.models import OPEN_TASKER_STATES, Tasker

from .marking import mail_may_carry_title
from .models import (
    CLAIMABLE,
    DELIVERY_CHUNK,
    HIGH_WATER_LAG,
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
# Reminders per digest e-mail: a larger digest goes out in parts, each message of bounded size.
DIGEST_MAX_REMINDERS = 100
BACKOFF_SECONDS = 60
BACKOFF_CAP_SECONDS = 3600
# A sweep keeps claiming, a batch per transaction, while batches come back full and for at most
# this long: shorter than beat's interval (2 minutes), so one sweep is mostly done before the next.
SWEEP_BUDGET_SECONDS = 90.0
# Longer than any delivery can take (SMTP timeout included): a row still `sending` after this
# was handed to a worker that died or a message the broker lost.
LEASE = datetime.timedelta(minutes=10)
PLANNING_LAG = HIGH_WATER_LAG
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
DUE_COLUMNS = ("pk", "tasker_id", "step__offset_working_days", "digest", "recipient_id", "status", "message_id")


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


# Compiled once per number of taskers (runtime.compiled): every transition that closes taskers sends it.
_SCHEDULED_CANCEL = Statement(lambda tasker_ids: (
    Reminder.objects.filter(tasker__in=tasker_ids, status=ReminderStatus.SCHEDULED),
    {"status": ReminderStatus.CANCELLED}), name="reminders_cancel")


def _plan(taskers: list[Tasker]) -> int:
    if all(tasker.state not in OPEN_TASKER_STATES for tasker in taskers):
        # Answered, cancelled or misrouted: only what is still scheduled is cancelled. The
        # schedule (the "planned" mark) is left as it is: a closed tasker has nothing to plan, and
        # one the planning pass has not reached yet is marked when it does.
        return _SCHEDULED_CANCEL.update(tuple(tasker.pk for tasker in taskers))
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
        elif (row.status == ReminderStatus.CANCELLED
              # A step skipped as stale comes back when a moved suspense gives it a new day.
              or (row.status in (ReminderStatus.SCHEDULED, ReminderStatus.SKIPPED) and row.due_at != due_at)
              or (row.status == ReminderStatus.SCHEDULED and row.digest != digest)):
            row.status, row.due_at, row.digest, row.attempts = ReminderStatus.SCHEDULED, due_at, digest, 0
            row.status_reason = ""
            to_update.append(row)
    for key, row in existing.items():
        if key not in desired and row.status == ReminderStatus.SCHEDULED:
            to_cancel.append(row.pk)
    # A concurrent planner may have inserted the same row: the unique constraint keeps one.
    Reminder.objects.bulk_create(to_create, ignore_conflicts=True)
    Reminder.objects.bulk_update(to_update, ["status", "due_at", "digest", "attempts", "status_reason"])
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
        pending = list(Tasker.objects.filter(pk__gt=mark.last_id, reminder_schedule__isnull=True)
                       .order_by("pk")[:limit])
        reminders_plan(taskers=pending)
        next_unplanned = None
        if len(pending) == limit:  # more are waiting: the mark must stop below the first of them
            next_unplanned = (Tasker.objects.filter(pk__gt=pending[-1].pk, reminder_schedule__isnull=True)
                              .order_by("pk").values_list("pk", flat=True).first())
        settled = Tasker.objects.filter(pk__gt=mark.last_id, created_at__lte=now - PLANNING_LAG)
        if next_unplanned is not None:
            settled = settled.filter(pk__lt=next_unplanned)
        high = settled.aggregate(high=Max("pk"))["high"]
        if high is not None:
            PlanningMark.objects.filter(pk=mark.pk).update(last_id=high)
    return len(pending)


def reminders_replan_around(*, day: datetime.date) -> int:
    """After a closure is declared or withdrawn on ``day``: re-date what is still scheduled for
    the open taskers whose steps may count working days across it (suspense within a window of
    the largest step offset around it), a batch at a time. Returns how many taskers."""
    offsets = [abs(step.offset_working_days) for policy in policies_active() for step in policy.active_steps]
    # Working days to calendar days: weekends, a holiday or two, and the closure itself.
    window = datetime.timedelta(days=2 * max(offsets, default=5) + 14)
    taskers = (Tasker.objects.filter(state__in=OPEN_TASKER_STATES, suspense__gte=day - window,
                                     suspense__lte=day + window).order_by("pk"))
    count, last = 0, 0
    while batch := list(taskers.filter(pk__gt=last)[:PLAN_BATCH_SIZE]):
        reminders_plan(taskers=batch)
        count, last = count + len(batch), batch[-1].pk
    return count


# --- the sweep -----------------------------------------------------------------------------

def reminders_sweep(*, now: datetime.datetime | None = None, batch: int = BATCH_SIZE,
                    budget: float = SWEEP_BUDGET_SECONDS) -> list[int]:
    """Plan taskers created in bulk, raise the notices of events whose task was lost, take back
    rows whose worker died, and claim the reminders due at ``now`` for delivery: ``batch`` at a
    time, each batch in its own transaction whose delivery tasks start (on every worker) as it
    commits, again while a batch comes back full and ``budget`` seconds have not passed (at
    least one batch). A backlog drains as fast as the workers and the mail server go, not a
    batch per beat; each row is still claimed once (``SKIP LOCKED``, then ``sending``). After
    downtime only the most recent due step of each tasker is sent: earlier ones are skipped
    with the reason. Digest reminders being retried go out here too (the daily digest does
    not wait a day for them). With nothing due it runs a fixed number of indexed queries.
    Returns the claimed ids (of single reminders)."""
    now = now or timezone.now()
    reminders_plan_new(now=now)
    started = time.monotonic()
    claimed, first = [], True
    while True:
        batch_claimed, full = _sweep_batch(now=now, batch=batch, first=first)
        claimed.extend(batch_claimed)
        first = False
        if not full or time.monotonic() - started >= budget:
            return claimed


def _sweep_batch(*, now: datetime.datetime, batch: int, first: bool) -> tuple[list[int], bool]:
    """One transaction of the sweep: claim up to ``batch`` due rows (the first also raises lost
    notices and takes back expired leases). Returns (the claimed ids, whether the batch was full)."""
    from .notices import notices_raise
    from .tasks import deliver_many

    with transaction.atomic():
        if first:
            # Events whose task was lost: a notice is late by one sweep, never dropped (a few
            # indexed queries when none is pending); the mark of the entries told moves on.
            notices_raise(now=now, settle=True)
            _reclaim_expired_leases(now=now, batch=batch)
        due = list(
            Reminder.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(Q(digest=False) | Q(attempts__gt=0), status__in=CLAIMABLE, due_at__lte=now,
                    attempts__lt=MAX_ATTEMPTS)
            .order_by("due_at", "pk").values_list(*DUE_COLUMNS)[:batch]
        )
        keep = set(_skip_stale(due, now=now))
        claimed = [row[0] for row in due if row[0] in keep and not row[3]]
        if claimed:
            Reminder.objects.filter(pk__in=claimed).update(status=ReminderStatus.SENDING, claimed_at=now,
                                                           attempts=F("attempts") + 1)
            for start in range(0, len(claimed), DELIVERY_CHUNK):
                enqueue_on_commit(deliver_many, claimed[start:start + DELIVERY_CHUNK])
        _digest_enqueue([row for row in due if row[0] in keep and row[3]], now=now)
    return claimed, len(due) == batch


def _skip_stale(due: list[tuple], *, now: datetime.datetime) -> list[int]:
    """Of due rows (``DUE_COLUMNS``), those still worth sending; the others, whose
    tasker has a later step already due (the sweep did not run for a while), are marked
    skipped with the reason. One query to find them (none when nothing is due), one to mark."""
    if not due:
        return []
    came_due = (Q(due_at__lte=now) | Q(attempts__gt=0)
                | Q(status__in=(ReminderStatus.SENDING, ReminderStatus.SENT, ReminderStatus.FAILED,
                                ReminderStatus.UNCERTAIN)))
    latest = dict(
        Reminder.objects.filter(came_due, tasker_id__in={row[1] for row in due if row[1] is not None})
        .exclude(status__in=(ReminderStatus.CANCELLED, ReminderStatus.SKIPPED))
        .order_by().values("tasker_id").annotate(latest=Max("step__offset_working_days"))
        .values_list("tasker_id", "latest")
    )
    keep, stale = [], defaultdict(list)
    for pk, tasker_id, offset, *_ in due:
        if tasker_id is None:  # a notice: every one goes
            keep.append(pk)
        elif offset < latest.get(tasker_id, offset):
            stale[latest[tasker_id]].append(pk)
        else:
            keep.append(pk)
    for later, ids in stale.items():
        Reminder.objects.filter(pk__in=ids, status__in=CLAIMABLE).update(
            status=ReminderStatus.SKIPPED, claimed_at=None,
            status_reason=f"Skipped on {datetime_words(now)}: a later step of this tasker "
                          f"({_when(later)}) was already due, and only the most recent is sent.")
    if stale:
        logger.warning("reminders: skipped %d stale reminders", sum(len(ids) for ids in stale.values()))
    return keep


def _when(offset: int) -> str:
    days = abs(offset)
    if days == 0:
        return "the suspense date"
    return f"{days} working day{'s' if days != 1 else ''} {'before the suspense' if offset < 0 else 'overdue'}"


def _reclaim_expired_leases(*, now: datetime.datetime, batch: int) -> None:
    """Rows a dead worker (or a lost message) left in ``sending``: those whose SMTP attempt never
    began go back on the schedule; those with an attempt recorded but no outcome may have been
    delivered (the server's "250" may have come before the worker died), so they are marked
    uncertain and sent again only with the same Message-ID and a header saying it may be a
    duplicate. Those that exhausted their attempts are marked failed instead of looping."""
    expired = list(
        Reminder.objects.select_for_update(skip_locked=True)
        .filter(status=ReminderStatus.SENDING, claimed_at__lt=now - LEASE)
        .order_by("claimed_at", "pk").values_list("pk", "attempts", "attempted_at", "message_id")[:batch]
    )
    if not expired:
        return
    never_began = [pk for pk, attempts, attempted_at, _ in expired if attempted_at is None and attempts < MAX_ATTEMPTS]
    exhausted = [pk for pk, attempts, attempted_at, _ in expired if attempted_at is None and attempts >= MAX_ATTEMPTS]
    Reminder.objects.filter(pk__in=never_began).update(status=ReminderStatus.SCHEDULED, claimed_at=None)
    Reminder.objects.filter(pk__in=exhausted).update(
        status=ReminderStatus.FAILED, claimed_at=None,
        last_error=f"No worker finished delivering it in {MAX_ATTEMPTS} attempts.")
    for pk, _, attempted_at, message_id in expired:
        if attempted_at is None:
            continue
        Reminder.objects.filter(pk=pk).update(
            status=ReminderStatus.UNCERTAIN, claimed_at=None, attempted_at=None, possible_duplicate=True,
            status_reason=f"Uncertain — possibly delivered: the attempt begun at "
                          f"{datetime_words(attempted_at)} (Message-ID {message_id}) "
                          "has no recorded outcome; sent again with the same Message-ID, marked as a possible "
                          "duplicate.")
    logger.warning("reminders: took back %d reminders whose delivery lease expired", len(expired))


# --- delivery ------------------------------------------------------------------------------

@dataclass
class _Attempt:
    """One e-mail being sent: its rows, recorded as attempted (committed) before SMTP begins."""

    rows: list[Reminder]
    recipient: object
    message_id: str
    attempted_at: datetime.datetime
    subject: str
    body: str
    possible_duplicate: bool
    digest: bool


def reminder_deliver(*, reminder_id: int) -> str:
    """Send one claimed reminder, exactly once as far as SMTP allows: the attempt (Message-ID,
    time) is committed before the SMTP conversation, so a task run twice (a retry, a redelivered
    message) finds it attempted and does nothing, and a worker that dies mid-conversation leaves
    a row that is known to be possibly delivered. A tasker closed (or a recipient deactivated)
    meanwhile cancels it. A permanent refusal (5xx) fails it at once, with a notification to the
    recipient; a temporary one (4xx, no connection) reschedules it with backoff until
    ``MAX_ATTEMPTS``. Returns the outcome."""
    return _deliver([reminder_id], digest_of=None)


def reminders_digest_claim(*, now: datetime.datetime | None = None, limit: int = 5000,
                           retries_only: bool = False) -> dict[int, list[int]]:
    """Claim the due reminders of users who chose a daily digest and hand each user's to
    delivery tasks, at most ``DIGEST_MAX_REMINDERS`` per e-mail (a digest of any size goes out,
    in several parts if it must). Reminders to send again after an uncertain attempt keep the
    grouping of that attempt, so they go out under its Message-ID. After downtime only the most
    recent due step of each tasker is sent. ``retries_only``: only rows already attempted (the
    sweep sends those without waiting for tomorrow's digest). Returns {user id: reminder ids}."""
    now = now or timezone.now()
    with transaction.atomic():
        return _digest_claim(now=now, limit=limit, retries_only=retries_only)


def _digest_claim(*, now: datetime.datetime, limit: int, retries_only: bool) -> dict[int, list[int]]:
    due = Reminder.objects.select_for_update(skip_locked=True, of=("self",)).filter(
        status__in=CLAIMABLE, digest=True, due_at__lte=now, attempts__lt=MAX_ATTEMPTS)
    if retries_only:
        due = due.filter(attempts__gt=0)
    rows = list(due.order_by("due_at", "pk").values_list(*DUE_COLUMNS)[:limit])
    keep = set(_skip_stale(rows, now=now))
    return _digest_enqueue([row for row in rows if row[0] in keep], now=now)


def _digest_enqueue(rows: list[tuple], *, now: datetime.datetime) -> dict[int, list[int]]:
    """Mark these due digest rows (``DUE_COLUMNS``) sending and hand them to delivery tasks, at
    most ``DIGEST_MAX_REMINDERS`` per e-mail; rows of an uncertain attempt keep its grouping."""
    from .tasks import deliver_digest

    by_user: dict[int, list[int]] = defaultdict(list)
    uncertain: dict[tuple[int, str], list[int]] = defaultdict(list)
    for pk, _, _, _, user_id, status, message_id in rows:
        by_user[user_id].append(pk)
        if status == ReminderStatus.UNCERTAIN and message_id:
            uncertain[(user_id, message_id)].append(pk)
    messages = [(user_id, ids) for (user_id, _), ids in uncertain.items()]
    regrouped = {pk for ids in uncertain.values() for pk in ids}
    for user_id, ids in by_user.items():
        fresh = [pk for pk in ids if pk not in regrouped]
        messages.extend((user_id, fresh[i:i + DIGEST_MAX_REMINDERS])
                        for i in range(0, len(fresh), DIGEST_MAX_REMINDERS))
    if rows:
        Reminder.objects.filter(pk__in=[row[0] for row in rows]).update(
            status=ReminderStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
        parts: dict[int, int] = defaultdict(int)
        for user_id, _ in messages:
            parts[user_id] += 1
        numbered: dict[int, int] = defaultdict(int)
        for user_id, ids in messages:
            numbered[user_id] += 1
            enqueue_on_commit(deliver_digest, user_id, ids, numbered[user_id], parts[user_id])
    return dict(by_user)


def digest_deliver(*, user_id: int, reminder_ids: list[int], part: int = 1, parts: int = 1) -> str:
    """One e-mail listing some of the user's claimed reminders (part ``part`` of ``parts`` of the
    day's digest), with the same guarantees as ``reminder_deliver``; its Message-ID is a
    fixed-length digest of its rows, so it is stable for the same rows and fits any header."""
    return _deliver(reminder_ids, digest_of=user_id, part=part, parts=parts)


def reminders_deliver(*, reminder_ids: list[int]) -> dict[int, str]:
    """Send several claimed reminders (or notices), one e-mail each, over one SMTP connection, with
    ``reminder_deliver``'s guarantees. The chunk is prepared in one transaction (its rows locked
    and read once, those no longer due cancelled, the in-app notifications written, the texts
    composed); then each e-mail's attempt is committed on its own, by a compare-and-set
    ``UPDATE`` that takes it only if it is still due, unattempted and its tasker open, just before
    its conversation, and its outcome after. A row that the compare-and-set does not take goes the
    one-reminder way, which says why (another worker's, or cancelled). A refused or dropped
    conversation affects only its own row; the next opens a new connection. Returns {reminder id:
    outcome}."""
    outcomes: dict[int, str] = dict.fromkeys(reminder_ids, "nothing to do")
    with transaction.atomic():
        rows = _attempt_rows(reminder_ids, digest_of=None)
        if isinstance(rows, str):
            return outcomes
        rows, cancelled = rows
        outcomes.update(dict.fromkeys(cancelled, "cancelled"))
        if not rows:
            return outcomes
        memo = _memo_of(rows)
        drafts = []
        for reminder in rows:
            texts, notifications, zone = _attempt_texts([reminder], memo=memo)
            drafts.append((reminder, texts, zone, notifications))
        Notification.objects.bulk_create([n for *_, notifications in drafts for n in notifications],
                                         ignore_conflicts=True)
    connection = get_connection()
    try:
        for reminder, texts, zone, _ in drafts:
            attempt = _attempt_take(reminder, texts, zone)
            if attempt is None:  # no longer this chunk's to send: the one-reminder way says why
                outcomes[reminder.pk] = _deliver([reminder.pk], digest_of=None, connection=connection)
            else:
                outcomes[reminder.pk] = _attempt_send(attempt, connection=connection)
        return outcomes
    finally:
        with contextlib.suppress(*MAIL_ERRORS):  # a failed QUIT changes nothing that was recorded
            connection.close()


@dataclass
class _ChunkMemo:
    """What the e-mails of a chunk read alike, read once for the chunk: their documents and their
    recipients' time zones."""

    documents: dict
    zones: dict
    labels: dict  # the tasked offices by today's name (``organizations.selectors.organization_labels``)


def _memo_of(rows: list[Reminder]) -> _ChunkMemo:
    chosen = dict(UserPreference.objects.filter(user_id__in={r.recipient_id for r in rows}).exclude(time_zone="")
                  .values_list("user_id", "time_zone"))
    default = timezone.get_default_timezone()
    return _ChunkMemo(documents=documents_of([r.tasker for r in rows if r.tasker is not None]),
                      zones={r.recipient_id: zone_or_none(chosen.get(r.recipient_id)) or default for r in rows},
                      labels=organization_labels([r.tasker.organization for r in rows if r.tasker is not None]))


def _deliver(reminder_ids: list[int], *, digest_of: int | None, part: int = 1, parts: int = 1,
             connection=None) -> str:
    attempt = _attempt_begin(reminder_ids, digest_of=digest_of, part=part, parts=parts)
    if isinstance(attempt, str):
        return attempt
    return _attempt_send(attempt, connection=connection)


def _attempt_send(attempt: _Attempt, *, connection=None) -> str:
    """The SMTP conversation of an attempt already committed, and its outcome recorded."""
    own = connection is None
    connection = get_connection() if own else connection
    try:
        try:
            _send(attempt, connection=connection)
        except MAIL_ERRORS as exc:
            if not own:  # the shared connection may be broken: the next message opens another
                with contextlib.suppress(*MAIL_ERRORS):
                    connection.close()
            return _attempt_refused(attempt, exc)
        # Recorded before QUIT, while the connection is still open: the span in which a crash
        # leaves the outcome unknown is only the server's "250" and this one statement.
        _attempt_sent(attempt)
        return "sent"
    finally:
        if own:
            with contextlib.suppress(*MAIL_ERRORS):  # a failed QUIT changes nothing that was recorded
                connection.close()


def _attempt_rows(reminder_ids: list[int], *, digest_of: int | None) -> tuple[list[Reminder], set[int]] | str:
    """In the caller's transaction: lock the claimed rows not yet attempted (rows already
    attempted are another worker's: "nothing to do" if none is left), cancel those no longer due
    (their tasker closed, their recipient deactivated), and return the others in order and the
    ids of those cancelled."""
    locked = Reminder.objects.select_for_update().filter(
        pk__in=reminder_ids, status=ReminderStatus.SENDING, attempted_at__isnull=True)
    if digest_of is not None:
        locked = locked.filter(recipient_id=digest_of)
    locked = list(locked.values_list("pk", flat=True))
    if not locked:
        return "nothing to do"
    rows = list(Reminder.objects.filter(pk__in=locked).select_related(
        "step", "recipient", "tasker__organization", "tasker__content_type").order_by("due_at", "pk"))
    # Still due: its tasker open (or none: a notice) and its recipient active; the rule of
    # ``_STILL_DUE``, for rows already in memory.
    closed = [r for r in rows if not ((r.tasker is None or r.tasker.is_open) and r.recipient.is_active)]
    for reminder in closed:
        _close(reminder, ReminderStatus.CANCELLED)
    return [r for r in rows if r not in closed], {r.pk for r in closed}


def _attempt_texts(rows: list[Reminder], *, memo: _ChunkMemo | None) -> tuple[list, list, datetime.tzinfo]:
    """The texts and links of these rows (one recipient's), in the recipient's time zone, and the
    in-app notifications to write for the reminders among them (a notice's was written when it
    was raised)."""
    if memo is not None and rows[0].recipient_id in memo.zones:
        documents, zone, labels = memo.documents, memo.zones[rows[0].recipient_id], memo.labels
    else:
        documents = documents_of([r.tasker for r in rows if r.tasker is not None])
        zone = recipient_time_zone(rows[0].recipient)
        labels = organization_labels([r.tasker.organization for r in rows if r.tasker is not None])
    texts, notifications = [], []
    with timezone.override(zone):  # dates and times in words in the recipient's own zone
        for reminder in rows:
            if reminder.notice_kind:
                texts.append((reminder.mail_text, reminder.link))
                continue
            tasker = reminder.tasker
            text = _reminder_text(reminder, documents.get((tasker.content_type_id, tasker.object_id)),
                                  labels.get(tasker.organization_id))
            link = document_link(tasker.content_type, tasker.object_id)
            texts.append((text, link))
            notifications.append(Notification(user_id=reminder.recipient_id, reminder=reminder,
                                              text=text[:500], link=link))
    return texts, notifications, zone


def _attempt_message(rows: list[Reminder], texts: list, *, zone, attempted_at, digest_of: int | None,
                     part: int, parts: int) -> tuple[str, str, str]:
    """The Message-ID, subject and body of the e-mail of these rows."""
    with timezone.override(zone):
        footer = _zone_footer(attempted_at, zone)
    earlier = {r.message_id for r in rows if r.possible_duplicate and r.message_id}
    if len(earlier) == 1:
        message_id = earlier.pop()  # the uncertain attempt's: a mail system can drop the copy
    elif digest_of is None:
        message_id = f"<reminder-{rows[0].pk}@{_mail_domain()}>"
    else:
        message_id = _digest_message_id([r.pk for r in rows])
    if digest_of is None:
        return message_id, _subject(rows[0]), f"{texts[0][0]}\n\n{texts[0][1]}\n\n{footer}\n"
    notices = sum(1 for r in rows if r.notice_kind)
    reminders = len(rows) - notices
    count = " and ".join(f"{n} {noun}{'s' if n != 1 else ''}" for n, noun in
                         ((reminders, "reminder"), (notices, "notice")) if n or (noun == "reminder" and not notices))
    title = "Daily suspense digest" if not notices else "Daily digest"
    subject = f"{title}: {count}" + (f" (part {part} of {parts})" if parts > 1 else "")
    body = "\n".join(f"- {text}\n  {link}" for text, link in texts) + f"\n\n{footer}\n"
    return message_id, subject, body


def _attempt_begin(reminder_ids: list[int], *, digest_of: int | None, part: int, parts: int) -> _Attempt | str:
    """Lock the claimed rows, cancel those no longer due, write the in-app notifications, and
    commit the attempt (Message-ID, time) before any SMTP conversation. Rows already attempted
    are another worker's: nothing to do."""
    with transaction.atomic():
        rows = _attempt_rows(reminder_ids, digest_of=digest_of)
        if isinstance(rows, str):
            return rows
        rows, _ = rows
        if not rows:
            return "cancelled"
        texts, notifications, zone = _attempt_texts(rows, memo=None)
        # One notification per reminder whatever happens to the e-mail (the reminder is unique).
        Notification.objects.bulk_create(notifications, ignore_conflicts=True)
        attempted_at = timezone.now()
        message_id, subject, body = _attempt_message(rows, texts, zone=zone, attempted_at=attempted_at,
                                                     digest_of=digest_of, part=part, parts=parts)
        Reminder.objects.filter(pk__in=[r.pk for r in rows]).update(attempted_at=attempted_at, message_id=message_id)
    return _Attempt(rows=rows, recipient=rows[0].recipient, message_id=message_id, attempted_at=attempted_at,
                    subject=subject, body=body, possible_duplicate=any(r.possible_duplicate for r in rows),
                    digest=digest_of is not None)


# A claimed reminder is still due while its tasker is open (a notice has none) and its recipient
# active (``_attempt_rows`` reads the same rule on rows in memory).
_STILL_DUE = (Q(tasker__isnull=True) | Q(tasker__state__in=OPEN_TASKER_STATES)) & Q(recipient__is_active=True)


def _attempt_take(reminder: Reminder, texts: list, zone) -> _Attempt | None:
    """Commit the attempt of one prepared reminder, if it is still this chunk's: one compare-and-set
    ``UPDATE`` (claimed, not attempted, its tasker open, its recipient active), on its own, just
    before the conversation. None if another worker took it or it is no longer due."""
    attempted_at = timezone.now()
    message_id, subject, body = _attempt_message([reminder], texts, zone=zone, attempted_at=attempted_at,
                                                 digest_of=None, part=1, parts=1)
    still_due = Reminder.objects.filter(_STILL_DUE, pk=reminder.pk, status=ReminderStatus.SENDING,
                                        attempted_at__isnull=True)
    if not still_due.update(attempted_at=attempted_at, message_id=message_id):
        return None
    return _Attempt(rows=[reminder], recipient=reminder.recipient, message_id=message_id, attempted_at=attempted_at,
                    subject=subject, body=body, possible_duplicate=reminder.possible_duplicate, digest=False)


def _attempt_sent(attempt: _Attempt) -> int:
    """Mark the rows of this attempt sent: one UPDATE, committed on its own (the shortest step
    after the server's "250"). Rows another worker took over after a lease ran out are left
    alone; a resend after an uncertain attempt keeps the reason that says so."""
    return Reminder.objects.filter(
        pk__in=[r.pk for r in attempt.rows], status=ReminderStatus.SENDING, attempted_at=attempt.attempted_at,
    ).update(status=ReminderStatus.SENT, sent_at=timezone.now(), claimed_at=None, last_error="",
             status_reason=Case(When(possible_duplicate=True, then=F("status_reason")), default=Value("")))


def _attempt_outcome(attempt: _Attempt, status: str, *, error: str = "", reason: str = "") -> list[Reminder]:
    """Record a refusal on the rows of this attempt (those another worker took over after a lease
    ran out are left alone): failed, with a notification to the recipient, or scheduled again
    with backoff and the attempt cleared."""
    now = timezone.now()
    with transaction.atomic():
        rows = list(Reminder.objects.select_for_update().filter(
            pk__in=[r.pk for r in attempt.rows], status=ReminderStatus.SENDING, attempted_at=attempt.attempted_at))
        for reminder in rows:
            reminder.status, reminder.claimed_at = status, None
            reminder.last_error, reminder.status_reason = error, reason
            fields = ["status", "claimed_at", "last_error", "status_reason"]
            if status == ReminderStatus.SCHEDULED:
                delay = min(BACKOFF_SECONDS * 2 ** (reminder.attempts - 1), BACKOFF_CAP_SECONDS)
                reminder.due_at, reminder.attempted_at = now + datetime.timedelta(seconds=delay), None
                fields += ["due_at", "attempted_at"]
            reminder.save(update_fields=fields)
        if status == ReminderStatus.FAILED and rows:
            _failure_notify(attempt, error)
    return rows


def _attempt_refused(attempt: _Attempt, exc: Exception) -> str:
    error = _error_text(exc)
    if _is_permanent(exc):
        _attempt_outcome(attempt, ReminderStatus.FAILED, error=error,
                         reason="The mail server refused it permanently; it is not sent again.")
        outcome = "failed"
    elif min(r.attempts for r in attempt.rows) >= MAX_ATTEMPTS:
        _attempt_outcome(attempt, ReminderStatus.FAILED, error=error,
                         reason=f"The mail server did not take it in {MAX_ATTEMPTS} attempts.")
        outcome = "failed"
    else:
        _attempt_outcome(attempt, ReminderStatus.SCHEDULED, error=error)
        outcome = "retry"
    logger.warning("reminders: mail not taken for %s (%s): %s", [r.pk for r in attempt.rows], outcome, error)
    return outcome


def _smtp_codes(exc: Exception) -> list[int]:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return [code for code, _ in exc.recipients.values()]
    code = getattr(exc, "smtp_code", None)
    return [code] if isinstance(code, int) else []


def _is_permanent(exc: Exception) -> bool:
    """A 5xx answer is the server's final word (RFC 5321 4.2.1): sending again changes nothing.
    A 4xx, a dropped connection or no connection at all may pass."""
    codes = _smtp_codes(exc)
    return bool(codes) and all(500 <= code < 600 for code in codes)


def _error_text(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        text = "; ".join(f"{address}: {code} {message.decode(errors='replace') if isinstance(message, bytes) else message}"
                         for address, (code, message) in exc.recipients.items())
    elif isinstance(exc, smtplib.SMTPResponseException):
        message = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        text = f"{exc.smtp_code} {message}"
    else:
        text = str(exc)
    return f"{type(exc).__name__}: {text}"[:2000]


def _failure_notify(attempt: _Attempt, error: str) -> None:
    """The recipient learns in the application that an e-mail meant for them did not arrive."""
    what = (f"Your daily digest ({len(attempt.rows)} reminders and notices)" if attempt.digest
            else "The e-mail of a notice" if attempt.rows[0].notice_kind else "The e-mail of a suspense reminder")
    Notification.objects.create(
        user_id=attempt.recipient.pk, link=_notifications_link(),
        text=(f"{what} could not be delivered to {attempt.recipient.email} ({error.partition(': ')[2]}). "
              "The reminders are in your notifications; ask an administrator to check your e-mail address.")[:500])


def _notifications_link() -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return settings.SITE_URL.rstrip("/") + reverse("admin:reminders_notification_changelist")
    except NoReverseMatch:
        return ""


def _close(reminder: Reminder, status: str) -> None:
    reminder.status = status
    reminder.claimed_at = None
    reminder.save(update_fields=["status", "claimed_at"])


def _digest_message_id(reminder_ids: list[int]) -> str:
    """Fixed length whatever the number of rows, and the same for the same rows."""
    rows = ",".join(str(pk) for pk in sorted(reminder_ids))
    return f"<digest-{hashlib.sha256(rows.encode()).hexdigest()[:40]}@{_mail_domain()}>"


def _send(attempt: _Attempt, *, connection=None) -> None:
    if not attempt.recipient.email:
        return  # the in-app notification is the only channel this user has
    if connection is not None:
        connection.open()  # opened here, so sending does not close it (QUIT) before the outcome is recorded
    headers = {
        # Stable for the same rows: a mail system can drop the copy of an uncertain attempt.
        "Message-ID": attempt.message_id,
        # At most DIGEST_MAX_REMINDERS ids, separated by ", " so the header folds within the limit.
        "X-Reminder-Ids": ", ".join(str(r.pk) for r in attempt.rows),
    }
    if attempt.possible_duplicate:
        headers["X-Possible-Duplicate"] = "yes; an earlier attempt with this Message-ID may have been delivered"
    EmailMessage(subject=attempt.subject, body=attempt.body, to=[attempt.recipient.email], headers=headers,
                 connection=connection).send()


def _mail_domain() -> str:
    return settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"


def recipient_time_zone(user) -> datetime.tzinfo:
    """The zone an e-mail to ``user`` shows its times in: their own (``UserPreference.time_zone``),
    else the installation's (``TIME_ZONE``)."""
    chosen = UserPreference.objects.filter(user_id=user.pk).values_list("time_zone", flat=True).first()
    return zone_or_none(chosen) or timezone.get_default_timezone()


def _zone_footer(sent_at: datetime.datetime, zone: datetime.tzinfo) -> str:
    name = getattr(zone, "key", None) or str(zone)
    return (f"Sent {datetime_words(sent_at)}. Times in this e-mail are in your time zone, {name} "
            "(choose yours under My preferences).")


def _subject(reminder: Reminder) -> str:
    if reminder.notice_kind:
        return reminder.subject
    kind = "Escalation" if reminder.step.kind == StepKind.ESCALATION else "Suspense reminder"
    return f"{kind}: {reminder.tasker.get_step_display().lower()} tasker due {date_words(reminder.tasker.suspense)}"


def _reminder_text(reminder: Reminder, document, label: str | None = None) -> str:
    """The reminder in words; its times in the active time zone (the recipient's), the suspense
    as a date; the office as pages name it today (``label``: "USD(A&S), formerly USD(AT&L)")."""
    tasker, step = reminder.tasker, reminder.step
    what = f"{tasker.get_step_display()} tasker for {label or tasker.organization.acronym}"
    if mail_may_carry_title(document):
        what += f" on “{tasker.document_title}”"
    else:
        what += " on a document whose title this e-mail may not carry (open the link to see it)"
    days = abs(step.offset_working_days)
    plural = "s" if days != 1 else ""
    suspense = date_words(tasker.suspense)
    if step.offset_working_days < 0:
        when = f"Suspense in {days} working day{plural} ({suspense})"
    elif step.offset_working_days == 0:
        when = f"Suspense today ({suspense})"
    else:
        when = f"Overdue by {days} working day{plural} (suspense was {suspense})"
    return f"{when}: {what}, tasked {datetime_words(tasker.created_at)}."


# --- preferences and notifications ---------------------------------------------------------

def user_preference_set(*, user, daily_digest: bool, by=None) -> UserPreference:
    """Choose a daily digest or single messages; reminders still scheduled follow the choice.
    Preferences are the person's own: made by a person (``by``), only ``user`` themselves sets
    them (PermissionDenied for anyone else, a system administrator included)."""
    if by is not None and by.pk != user.pk:
        raise PermissionDenied("Notification preferences are the person's own: only they change them.")
    with transaction.atomic():
        preference, _ = UserPreference.objects.update_or_create(user=user, defaults={"daily_digest": daily_digest})
        Reminder.objects.filter(recipient=user, status=ReminderStatus.SCHEDULED, notice_kind="").update(
            digest=daily_digest)
    return preference


def user_time_zone_set(*, user, time_zone: str) -> UserPreference:
    """The person's own time zone for the pages ("" for the installation's); an unknown name is
    refused in words."""
    import zoneinfo

    from django.core.exceptions import ValidationError

    time_zone = (time_zone or "").strip()
    if time_zone and time_zone not in zoneinfo.available_timezones():
        raise ValidationError(f"“{time_zone[:64]}” is not a time zone; choose one from the list.")
    preference, _ = UserPreference.objects.update_or_create(user=user, defaults={"time_zone": time_zone})
    return preference


def user_time_zone(user) -> str:
    """The person's chosen time zone, or "" for the installation's."""
    return UserPreference.objects.filter(user_id=user.pk).values_list("time_zone", flat=True).first() or ""


def notifications_mark_read(*, user, notification_ids: Iterable[int]) -> int:
    """Mark the user's own notifications read (others' are never touched)."""
    return Notification.objects.filter(user_id=user.pk, pk__in=list(notification_ids), read_at__isnull=True).update(
        read_at=timezone.now())


# --- word of a moved suspense --------------------------------------------------------------

def suspense_moved_notify(*, tasker: Tasker, document, previous: datetime.date, by=None, reason: str = "") -> int:
    """Tell whoever works ``tasker`` in the application that its suspense moved: its assignee,
    else the tasked organization's action officers, reviewers and approvers (as a reminder goes),
    not the person who moved it. The title and the reason only where the document says they may
    travel (``mail_may_carry_title``, as reminders); otherwise a generic line and the link.
    Written in the moving transaction: the notice exists exactly when the move does."""
    recipients = Recipients([tasker.organization_id], timezone.localdate())
    users = [u for u in recipients.for_audience(Audience.TASKED_ORGANIZATION, tasker, document)
             if by is None or u != by.pk]
    what = f"{tasker.get_step_display()} tasker for {organization_label(tasker.organization)}"
    if mail_may_carry_title(document):
        what += f" on “{tasker.document_title}”"
        why = f" Reason: {reason}" if reason else ""
    else:
        what += " on a document whose title this notice may not carry (open the link to see it and the reason)"
        why = ""
    text = f"Suspense moved from {previous:%d %b %Y} to {tasker.suspense:%d %b %Y}: {what}.{why}"[:500]
    link = document_link(tasker.content_type, tasker.object_id) + f"#tasker-{tasker.pk}"
    Notification.objects.bulk_create([Notification(user_id=u, text=text, link=link[:500]) for u in users])
    return len(users)
