"""The workflow engine's tables, for any kind of document.

Definition apart from run (Wagtail's lesson): a ``Route`` and its ``RouteStep`` rows say who
coordinates, reviews and approves a kind of document, editable by administrators; a document
in flight keeps a snapshot of the route it started with. A ``Tasker`` is one organization's
step on one document; a ``Comment`` is a row of the comment resolution matrix;
``HistoryEntry`` is the append-only record of everything that happened.

``RoutedDocument`` is the contract a kind of document signs to be served by the engine: the
columns every routed document has, and the hooks the engine calls.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, FSMModelMixin, transition

from organizations.models import Designation, Organization, Role
from security.models import AppendOnly


class Step(models.TextChoices):
    COORDINATION = "coordination", "Coordination"
    REVIEW = "review", "Review"
    APPROVAL = "approval", "Approval"
    CONSULTATION = "consultation", "Consultation"
    COMPLETION = "completion", "Completion"
    EVALUATION = "evaluation", "Evaluation"


ONE_PARTICIPANT = "Name one participant: an organization, a designated office or a relation."


class Route(models.Model):
    """Who takes part in each step for one kind of document (administrators edit it)."""

    document_kind = models.CharField(max_length=50, db_index=True,
                                     help_text="The kind of document this route serves, e.g. campaign_plan.")
    name = models.CharField(max_length=200)
    is_default = models.BooleanField(default=True, help_text="New submissions of this kind take the default route.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["document_kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["document_kind"], condition=Q(is_default=True),
                                    name="route_one_default_per_kind",
                                    violation_error_message="Each kind of document has one default route."),
        ]

    def __str__(self) -> str:
        return self.name


class RouteStep(models.Model):
    """One participant of one step: a named organization, a designated office (whoever holds the
    designation when a document's route is snapshotted: the snapshot keeps that organization), or
    a relation of the document (``owner``, ``supporting_organizations``, ``supported_commands``...)
    resolved when the step starts. Review and approval steps name designated offices
    (``workflow.services.route_steps_refusals``)."""

    route = models.ForeignKey(Route, on_delete=models.CASCADE, related_name="steps")
    step = models.CharField(max_length=20, choices=Step.choices)
    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="route_steps")
    designation = models.CharField(max_length=40, choices=Designation.choices, blank=True,
                                   help_text="Instead of an organization: the designated office, whoever "
                                             "holds it when a document starts its route.")
    relation = models.CharField(max_length=50, blank=True,
                                help_text="Instead of an organization: who, relative to the document.")
    suspense_working_days = models.PositiveSmallIntegerField(default=10)
    position = models.PositiveSmallIntegerField(default=0)
    authority = models.CharField(
        max_length=300, blank=True,
        help_text="The paragraph of the directive (or the practice) this step implements, e.g. "
                  "“DoDD 5132.03, Encl. 2, 9.b”. Shown on the help page and the workflow diagram.",
    )

    class Meta:
        ordering = ["route", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(organization__isnull=False) & Q(relation="") & Q(designation=""))
                | (Q(organization__isnull=True) & ~Q(relation="") & Q(designation=""))
                | (Q(organization__isnull=True) & Q(relation="") & ~Q(designation="")),
                name="route_step_one_participant",
                violation_error_message=ONE_PARTICIPANT,
            ),
        ]

    def __str__(self) -> str:
        if self.organization_id:
            who = self.organization.acronym
        elif self.designation:
            who = f"the {self.get_designation_display()}"
        else:
            who = self.relation.replace("_", " ")
        return f"{self.get_step_display()}: {who}"

    def clean(self) -> None:
        if sum(map(bool, (self.organization_id, self.relation, self.designation))) != 1:
            raise ValidationError(ONE_PARTICIPANT)


class TaskerState(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    ANSWERED = "answered", "Answered"
    MISROUTED = "misrouted", "Returned as misrouted"
    CANCELLED = "cancelled", "Cancelled"


OPEN_TASKER_STATES = (TaskerState.OPEN, TaskerState.ACKNOWLEDGED)


class Response(models.TextChoices):
    CONCUR = "concur", "Concur"
    CONCUR_WITH_COMMENT = "concur_with_comment", "Concur with comment"
    NONCONCUR = "nonconcur", "Non-concur"
    APPROVED = "approved", "Approved"
    RETURNED = "returned", "Returned for rework"
    COMPLETED = "completed", "Completed"


class RoutedDocument(ConcurrentTransitionMixin, models.Model):
    """What the engine asks of every document it routes (plans, support plans, templates, cycles,
    assessments, program assessments). A kind:

    - redeclares ``state`` with its own states (an ``FSMField``, protected: only a transition
      moves it) and names its ``workflow_kind`` (the routes configured for it);
    - declares its workflow in one table, a ``workflow.rules.Workflow`` in its app's
      ``workflows.py`` (states, transitions, who, when, and each transition's effect), installed
      at start-up (``workflow.rules.workflow_install``), which also sets ``workflow`` here;
    - answers ``route_relation`` for the relations its routes may name beyond ``owner``;
    - says what e-mail may carry of it (the markings hook) when it carries a marking.

    ``workflow.rules.DocumentKind`` is the same contract written as a typed protocol."""

    state = FSMField(default="", protected=True)
    owner = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="%(class)s_owned")
    route = models.ForeignKey("workflow.Route", null=True, blank=True, editable=False, on_delete=models.PROTECT,
                              related_name="+")
    route_snapshot = models.JSONField(default=dict, blank=True, editable=False)

    workflow_kind: str = ""
    # Set by ``workflow_install`` from the kind's workflows.py: its transitions and effects.
    workflow = None
    # A kind with versions (plans, templates) declares the column; the others have one version.
    version = 1
    # The markings hook, ``mail_may_carry_title``: True only when the document's marking lets a
    # reminder name its title by e-mail (``reminders.marking``); a kind without it (or None) is
    # treated as CUI or higher. Kinds with a marking get it from ``security.models.MarkingFields``.

    class Meta:
        abstract = True

    def route_relation(self, relation: str) -> list[Organization]:
        """The organizations a route step naming ``relation`` (rather than an organization or a
        designated office) reaches on this document; a kind adds its own relations."""
        if relation == "owner":
            return [self.owner]
        raise ValueError(f"A {self._meta.verbose_name} has no relation {relation!r}")

    def current_step(self) -> str | None:
        """The step whose taskers may answer in the document's state, as its workflow declares."""
        return self.workflow.answering_steps.get(self.state) if self.workflow is not None else None

    def after_response(self, *, tasker, by) -> None:
        """What the kind's workflow does once a tasker is answered (its ``after_response``)."""
        if self.workflow is not None and self.workflow.after_response is not None:
            self.workflow.after_response(self, tasker=tasker, by=by)


class DocumentRef(models.Model):
    """Points at any document (generic relation), indexed for 'everything about this document'."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    document = GenericForeignKey("content_type", "object_id")

    class Meta:
        abstract = True


class Tasker(FSMModelMixin, DocumentRef):
    """One organization's step on one document, with its suspense (due date) and answer."""

    step = models.CharField(max_length=20, choices=Step.choices)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="taskers")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="assigned_taskers",
                                 help_text="Optional: the member of the organization working it.")
    state = FSMField(default=TaskerState.OPEN, choices=TaskerState.choices, protected=True, db_index=True)
    round = models.PositiveSmallIntegerField(default=1, help_text="Which pass of the step (a resubmission starts a new one).")
    suspense = models.DateField()
    suspense_reason = models.CharField(max_length=300, blank=True,
                                       help_text="Why the suspense is shorter than the standard, or was moved.")
    response = models.CharField(max_length=30, choices=Response.choices, blank=True)
    rationale = models.TextField(blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", editable=False)
    answered_on_behalf_of = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                              on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True, editable=False)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="+", editable=False)
    acknowledged_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_seam = models.BooleanField(default=False, help_text="Added because a partner country lies in this "
                                                           "command's area of responsibility.")
    added_reason = models.CharField(max_length=300, blank=True)
    closed_reason = models.CharField(max_length=300, blank=True)
    document_title = models.CharField(max_length=300, help_text="Copied at issue, for lists and reminders.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["suspense", "pk"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "step"]),
            models.Index(fields=["organization", "state", "suspense"]),
            models.Index(fields=["state", "suspense"]),
            # "My taskers" a page at a time, in suspense order, without sorting all of them.
            models.Index(fields=["organization", "suspense", "id"], condition=Q(state__in=OPEN_TASKER_STATES),
                         name="tasker_open_by_organization"),
            # Lists of every tasker one may see (the API), read in suspense order a page at a time.
            models.Index(fields=["suspense", "id"], name="tasker_by_suspense"),
        ]

    def __str__(self) -> str:
        return f"{self.get_step_display()} — {self.organization} — {self.document_title}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_TASKER_STATES

    def is_overdue(self, today=None) -> bool:
        # The rule of workflow.selectors.taskers_overdue, for one row already in memory.
        return self.is_open and self.suspense < (today or timezone.localdate())

    # State changes of a tasker happen only through workflow.services (who may, and history).
    @transition(field=state, source=TaskerState.OPEN, target=TaskerState.ACKNOWLEDGED)
    def mark_acknowledged(self):
        pass

    @transition(field=state, source=list(OPEN_TASKER_STATES) + [TaskerState.ANSWERED], target=TaskerState.ANSWERED)
    def mark_answered(self):
        pass

    @transition(field=state, source=list(OPEN_TASKER_STATES), target=TaskerState.MISROUTED)
    def mark_misrouted(self):
        pass

    @transition(field=state, source=list(OPEN_TASKER_STATES) + [TaskerState.ANSWERED], target=TaskerState.CANCELLED)
    def mark_cancelled(self):
        pass


class CommentCategory(models.TextChoices):
    CRITICAL = "critical", "Critical"
    SUBSTANTIVE = "substantive", "Substantive"
    ADMINISTRATIVE = "administrative", "Administrative"


class Decision(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    PARTIALLY_ACCEPTED = "partially_accepted", "Partially accepted"
    REJECTED = "rejected", "Rejected"


class Comment(DocumentRef):
    """A row of the comment resolution matrix: a coordinator's comment and the owner's adjudication."""

    tasker = models.ForeignKey(Tasker, on_delete=models.PROTECT, related_name="comments")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    category = models.CharField(max_length=20, choices=CommentCategory.choices)
    section = models.CharField("section / paragraph", max_length=100, blank=True)
    # Where in the document, as a comment matrix gives it (each blank when not given).
    page = models.CharField(max_length=20, blank=True)
    paragraph = models.CharField(max_length=40, blank=True)
    line = models.CharField(max_length=20, blank=True)
    text = models.TextField("comment")
    rationale = models.TextField(blank=True, help_text="Why the commenter asks for the change.")
    proposed_change = models.TextField(blank=True)
    decision = models.CharField(max_length=20, choices=Decision.choices, blank=True)
    decision_rationale = models.TextField(blank=True)
    adjudicated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+", editable=False)
    adjudicated_at = models.DateTimeField(null=True, blank=True, editable=False)
    commenter_agreed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the commenting organization agreed with the adjudication; cleared "
                                         "when the adjudication changes.", editable=False)
    commenter_agreed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                            related_name="+", editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["content_type", "object_id", "category"])]

    def __str__(self) -> str:
        return f"{self.get_category_display()} comment from {self.organization} on {self.reference or 'the document'}"

    @property
    def reference(self) -> str:
        """Where the comment points, in the matrix's words: "3.b, page 4, paragraph 2, line 12"."""
        parts = [self.section] if self.section else []
        parts += [f"{word} {value}" for word, value in (("page", self.page), ("paragraph", self.paragraph),
                                                         ("line", self.line)) if value]
        return ", ".join(parts)


class FormDraft(DocumentRef):
    """What one person typed into one long form of one document (an answer with its comments,
    the matrix's adjudications), kept so they can come back to it: saved by "Save draft" and by
    a refused submission, shown again only to its author and only while they may see the
    document, deleted once the form is submitted (``workflow.services.form_draft_save``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    form = models.CharField(max_length=60, help_text="Which form of the document, e.g. answer-12 (tasker 12).")
    data = models.JSONField(default=dict, blank=True)
    saved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "content_type", "object_id", "form"], name="form_draft_once"),
        ]

    def __str__(self) -> str:
        return f"Draft of {self.form} by {self.user} ({self.saved_at:%d %b %Y %H:%M})"


class HistoryEntry(AppendOnly, DocumentRef):
    """Who did what to a document, acting for which organization, on whose delegation: the one
    trail of a document's events (append-only: ``security.models.AppendOnly``). The engine writes
    every entry, each with exactly one audit event (``workflow.services.history_append``)."""

    append_only_name = "History"

    at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    action = models.CharField(max_length=50)
    description = models.CharField(max_length=300)
    from_state = models.CharField(max_length=30, blank=True)
    to_state = models.CharField(max_length=30, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    acting_for = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    on_behalf_of = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", help_text="The delegator, when the actor acted under delegation.")
    caused_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", help_text="For an entry of the system (no actor): the person "
                                                              "whose action caused it.", editable=False)
    comment = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name_plural = "history entries"
        indexes = [models.Index(fields=["content_type", "object_id", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.description}"

    @property
    def actor_label(self) -> str:
        """Who acted, as the history shows it; the system's own entries say so."""
        if self.actor_id is None:
            return f"System (on behalf of {self.caused_by})" if self.caused_by_id else "System"
        label = str(self.actor)
        if self.acting_for_id:
            # The name it had then (``workflow.selectors.with_names_then``), not a later one.
            label += f" for {getattr(self, 'acting_for_then', None) or self.acting_for}"
        if self.on_behalf_of_id:
            label += f" on behalf of {self.on_behalf_of}"
        return label


ROLES_WHO_ANSWER = (Role.REVIEWER, Role.APPROVER)


class SubmissionChannel(models.TextChoices):
    API = "api", "REST API (Idempotency-Key header)"
    ADMIN = "admin", "Admin form (one-time form token)"


class IdempotencyKey(models.Model):
    """A submission already made: the API's ``Idempotency-Key`` or the token of a form the admin
    rendered, per user, with the request's fingerprint and the first outcome. A repeat is
    answered from here and writes nothing (``workflow.idempotency``). Forgotten after
    ``IDEMPOTENCY_KEY_HOURS``."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=10, choices=SubmissionChannel.choices)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the method, path and body.")
    status_code = models.PositiveSmallIntegerField(default=0)
    headers = models.JSONField(default=dict, blank=True, help_text="Content-Type and Location of the first answer.")
    body = models.BinaryField(default=b"", blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(db_index=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "channel", "key"], name="idempotency_key_once_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.key} ({self.status_code})"


class Closure(models.Model):
    """A day the offices are closed beyond the federal calendar (an executive-order holiday, a
    base closure): counted like a U.S. federal holiday in every working-day computation."""

    date = models.DateField(unique=True)
    reason = models.CharField(max_length=200, help_text="Shown to users when a suspense is moved off this day, "
                                                        "e.g. “Executive order: Federal offices closed”.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["date"]
        verbose_name = "closure"

    def __str__(self) -> str:
        return f"{self.date:%a %d %b %Y}: {self.reason}"
