"""Reminder tables: the policy (data administrators edit), the outbox (one row per tasker,
step and recipient, or per notice and recipient: the database, not memory, decides whether a
reminder or a notice went out), the in-app notifications and each user's delivery preferences.
The engine's events that people are told of are its history entries (and taskers issued in
bulk, ``NoticeEvent`` rows written with them); each is turned into notices once, and a
``NoticeEvent`` records that it was.

Nothing here is added to ``workflow.Tasker``: a ``ReminderSchedule`` row per tasker records
that its reminders were planned (and for which suspense), and ``PlanningMark`` is the
high-water mark that lets the sweep find taskers created in bulk, and the raisers of notices the
history entries not yet told, without scanning them all.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone

from workflow.models import HistoryEntry, Tasker


class ReminderPolicy(models.Model):
    """Which reminders and escalations a tasker gets. The policy without a document kind is the
    default; one naming a content type or a workflow kind overrides it for that kind."""

    name = models.CharField(max_length=200)
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                     help_text="Only for this kind of document (leave empty for every kind).")
    workflow_kind = models.CharField(max_length=50, blank=True,
                                     help_text="Or: only for documents of this workflow kind, e.g. campaign_plan.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "reminder policies"
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=Q(content_type__isnull=True, workflow_kind="",
                                                                       is_active=True),
                                    name="reminder_policy_one_active_default",
                                    violation_error_message="There is already an active default policy."),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_default(self) -> bool:
        return self.content_type_id is None and not self.workflow_kind


class StepKind(models.TextChoices):
    REMINDER = "reminder", "Reminder"
    ESCALATION = "escalation", "Escalation"


class Audience(models.TextChoices):
    TASKED_ORGANIZATION = "tasked_organization", "The tasked organization (the assignee, if one is set)"
    ORGANIZATION_APPROVERS = "organization_approvers", "The tasked organization's approvers"
    REVIEWING_AUTHORITY = "reviewing_authority", "The reviewing authority of the workflow"


class ReminderStep(models.Model):
    """One reminder or escalation, in working days relative to the suspense (negative: before it)."""

    policy = models.ForeignKey(ReminderPolicy, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(max_length=20, choices=StepKind.choices, default=StepKind.REMINDER)
    offset_working_days = models.SmallIntegerField(
        help_text="Working days from the suspense: -5 is five working days before, 0 the day itself, "
                  "1 one working day overdue. U.S. federal holidays are not working days.")
    audience = models.CharField(max_length=30, choices=Audience.choices, default=Audience.TASKED_ORGANIZATION)
    is_active = models.BooleanField(default=True, help_text="Switch a step off rather than deleting it: "
                                                            "sent reminders keep pointing at it.")

    class Meta:
        ordering = ["policy", "offset_working_days", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "offset_working_days", "audience"],
                                    name="reminder_step_unique_offset_audience"),
            models.CheckConstraint(condition=Q(kind="reminder", offset_working_days__lte=0)
                                   | Q(kind="escalation", offset_working_days__gt=0),
                                   name="reminder_step_reminders_before_escalations_after",
                                   violation_error_message="Reminders come on or before the suspense; "
                                                           "escalations after it."),
        ]

    def __str__(self) -> str:
        days = abs(self.offset_working_days)
        if days == 0:
            when = "on the suspense date"
        else:
            when = f"{days} working day{'s' if days > 1 else ''} {'before' if self.offset_working_days < 0 else 'overdue'}"
        return f"{self.get_kind_display()} {when} to {self.get_audience_display().lower()}"


class ReminderStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    SKIPPED = "skipped", "Skipped (a later step was due)"
    UNCERTAIN = "uncertain", "Uncertain — possibly delivered"


# Rows the sweep hands to delivery: due ones, and those whose earlier attempt is uncertain.
CLAIMABLE = (ReminderStatus.SCHEDULED, ReminderStatus.UNCERTAIN)
# Rows per delivery task: one task and one SMTP connection carry this many e-mails, and the tasks
# of a batch spread over every worker process.
DELIVERY_CHUNK = 20
# Longer than any transaction that writes taskers or history: a high-water mark (PlanningMark)
# advances only over rows older than this, so rows below it are committed.
HIGH_WATER_LAG = datetime.timedelta(minutes=10)


class NoticeKind(models.TextChoices):
    """What people are told of as the engine moves documents (``reminders.notices``)."""

    TASKER_ISSUED = "tasker_issued", "A tasker issued to you or your organization"
    ANSWERS_IN = "answers_in", "All answers in on a document your organization owns"
    COMMENT_ADJUDICATED = "comment_adjudicated", "Your comment adjudicated"
    DOCUMENT_OUTCOME = "document_outcome", "A document you took part in returned, approved, withdrawn or superseded"
    TEMPLATE_PHASE = "template_phase", "An assessment template phase opening"
    ASSESSMENT_SUBMITTED = "assessment_submitted", "An assessment submitted for your review"
    ASSESSMENT_DECIDED = "assessment_decided", "An assessment accepted or returned"
    CYCLE_PHASE = "cycle_phase", "An assessment cycle phase starting"
    CERTIFICATION_EXPIRING = "certification_expiring", "A certification of your office's personnel about to expire"


class NoticeDelivery(models.TextChoices):
    IMMEDIATELY = "immediately", "Immediately (in the application and by e-mail)"
    DIGEST = "digest", "In the daily digest (in the application now, by e-mail once a day)"
    OFF = "off", "Not at all"


# What a person gets until they choose: new work at once, news of work done in the digest.
NOTICE_DEFAULTS = {
    NoticeKind.TASKER_ISSUED: NoticeDelivery.IMMEDIATELY,
    NoticeKind.ANSWERS_IN: NoticeDelivery.IMMEDIATELY,
    NoticeKind.COMMENT_ADJUDICATED: NoticeDelivery.DIGEST,
    NoticeKind.DOCUMENT_OUTCOME: NoticeDelivery.IMMEDIATELY,
    NoticeKind.TEMPLATE_PHASE: NoticeDelivery.DIGEST,
    NoticeKind.ASSESSMENT_SUBMITTED: NoticeDelivery.IMMEDIATELY,
    NoticeKind.ASSESSMENT_DECIDED: NoticeDelivery.IMMEDIATELY,
    NoticeKind.CYCLE_PHASE: NoticeDelivery.DIGEST,
    NoticeKind.CERTIFICATION_EXPIRING: NoticeDelivery.IMMEDIATELY,
}


class Reminder(models.Model):
    """The outbox: one row per (tasker, step, recipient), or per (notice key, recipient) for a
    notice of the engine's events, so each exists once whatever retries, crashes or concurrent
    sweeps happen. Its status is the single source of truth."""

    tasker = models.ForeignKey(Tasker, null=True, blank=True, on_delete=models.CASCADE, related_name="reminders")
    step = models.ForeignKey(ReminderStep, null=True, blank=True, on_delete=models.PROTECT, related_name="reminders")
    notice_kind = models.CharField(max_length=30, choices=NoticeKind.choices, blank=True, editable=False,
                                   help_text="For a notice (not a suspense reminder): what it tells.")
    key = models.CharField(max_length=200, blank=True, editable=False,
                           help_text="A notice's idempotency key: the event it tells of, once per recipient.")
    subject = models.CharField(max_length=300, blank=True, editable=False)
    mail_text = models.TextField(blank=True, editable=False,
                                 help_text="A notice's e-mail text: what the recipient and the mail system may carry.")
    link = models.URLField(max_length=500, blank=True, editable=False)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reminders")
    due_at = models.DateTimeField(editable=False)
    digest = models.BooleanField(default=False, help_text="Goes out in the recipient's daily digest.")
    status = models.CharField(max_length=20, choices=ReminderStatus.choices, default=ReminderStatus.SCHEDULED)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True,
                                      help_text="When a sweep handed it to a worker (the lease starts).", editable=False)
    last_error = models.TextField(blank=True)
    status_reason = models.CharField(max_length=500, blank=True,
                                     help_text="Why it was skipped, failed, or may have been delivered twice.")
    message_id = models.CharField("Message-ID", max_length=200, blank=True,
                                  help_text="The Message-ID of the e-mail that carried (or tried to carry) it.")
    attempted_at = models.DateTimeField(null=True, blank=True,
                                        help_text="When the last SMTP attempt began, committed before the "
                                                  "attempt: a row with an attempt and no outcome may have "
                                                  "been delivered.", editable=False)
    possible_duplicate = models.BooleanField(default=False,
                                             help_text="Sent again after an attempt whose outcome is unknown, "
                                                       "with the same Message-ID and a header saying so.")
    sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["tasker", "step", "recipient"], name="reminder_once_per_tasker_step_recipient"),
            models.UniqueConstraint(fields=["key", "recipient"], condition=~Q(key=""),
                                    name="notice_once_per_key_recipient"),
            models.CheckConstraint(condition=Q(notice_kind="", tasker__isnull=False, step__isnull=False)
                                   | (~Q(notice_kind="") & ~Q(key="")),
                                   name="reminder_of_a_tasker_step_or_a_notice"),
        ]
        indexes = [
            # The sweep's two bounded queries: what is due, and what a lost worker left in `sending`.
            models.Index(fields=["status", "digest", "due_at"], name="reminder_due"),
            models.Index(fields=["status", "claimed_at"], name="reminder_lease"),
        ]

    def __str__(self) -> str:
        if self.notice_kind:
            return f"Notice — {self.recipient} — {self.subject}"
        return f"{self.step} — {self.recipient} — {self.tasker.document_title}"


class ReminderSchedule(models.Model):
    """Marks a tasker as planned, and for which suspense, assignee and state."""

    tasker = models.OneToOneField(Tasker, on_delete=models.CASCADE, related_name="reminder_schedule")
    suspense = models.DateField()
    planned_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return f"Reminders of tasker {self.tasker_id} planned for {self.suspense}"


class PlanningMark(models.Model):
    """High-water mark of a table: every row with an id at or below ``last_id`` has been looked
    at ("taskers": planned; "history": told, when told to anyone)."""

    name = models.CharField(max_length=50, unique=True)
    last_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name}: {self.last_id}"


class UserPreference(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_preference")
    daily_digest = models.BooleanField(default=False,
                                       help_text="One e-mail a day listing the reminders due, instead of one each.")
    time_zone = models.CharField(max_length=64, blank=True, default="",
                                 help_text="Times on the pages are shown in this time zone; empty: the "
                                           "installation's (TIME_ZONE).")

    def __str__(self) -> str:
        return f"Reminder preference of {self.user}"


class Notification(models.Model):
    """In-app: what the user was reminded of, with a link; read when they mark it so."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    reminder = models.OneToOneField(Reminder, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="notification")
    text = models.CharField(max_length=500)
    link = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    read_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.text

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NoticePreference(models.Model):
    """How a person hears of one kind of notice; without a row, ``NOTICE_DEFAULTS``."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_preferences")
    kind = models.CharField(max_length=30, choices=NoticeKind.choices)
    delivery = models.CharField(max_length=20, choices=NoticeDelivery.choices)

    class Meta:
        ordering = ["user", "kind"]
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notice_preference_once_per_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.get_delivery_display()}"


class NoticeEvent(models.Model):
    """An event of the engine turned into notices once (``processed_at``): a tasker issued in
    bulk, written in the transaction that issued it and processed later; or a history entry
    told, written (processed) by the raiser that told it, at most once per entry."""

    history = models.ForeignKey(HistoryEntry, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    tasker = models.ForeignKey(Tasker, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    processed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["id"], condition=Q(processed_at__isnull=True), name="notice_event_pending")]
        constraints = [
            models.CheckConstraint(condition=Q(history__isnull=False) | Q(tasker__isnull=False),
                                   name="notice_event_of_history_or_tasker"),
            models.UniqueConstraint(fields=["history"], name="notice_event_once_per_history"),
        ]

    def __str__(self) -> str:
        return f"Notice event {self.pk}"
