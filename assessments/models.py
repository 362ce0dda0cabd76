"""The annual assessment cycle (DoDD 5132.03, Encl. 2, 1.e, 1.k, 7.c, 8.c, 9.c, 9.d, 10.c): the
cycle, the Joint Staff's template, one assessment per approved plan and per security
cooperation program, and their answers. Who may move each document, and when, reads top to
bottom in ``assessments.workflows`` (the effects live in ``assessments.services``)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import FSMField

from organizations.models import Organization, Role
from workflow.models import RoutedDocument

ANSWER_ROLES = (Role.ACTION_OFFICER, Role.APPROVER)
REVIEW_ROLES = (Role.REVIEWER, Role.APPROVER)
DEFAULT_SCALE = ["Not achieved", "Partially achieved", "Largely achieved", "Achieved"]


class CycleState(models.TextChoices):
    # Each label reads in a sentence too ("the assessment cycle is now collecting assessments").
    SETUP = "setup", "Set up"
    TEMPLATE = "template", "Drafting the template"
    LAUNCHED = "launched", "Launching"
    COLLECTION = "collection", "Collecting assessments"
    JOINT_REVIEW = "joint_review", "In joint review"
    EVALUATION = "evaluation", "In evaluation by USD(P)"
    CLOSED = "closed", "Closed"


class AssessmentCycle(RoutedDocument):
    """One fiscal year's assessment cycle, run by administrators with the Joint Staff and USD(P)."""

    workflow_kind = "assessment_cycle"

    fiscal_year = models.PositiveSmallIntegerField(unique=True)
    owner = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="assessment_cycles_owned",
                              verbose_name="Joint Staff office",
                              help_text="Produces the template, collects and reviews the assessments (CJCS).")
    policy_office = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+",
                                      verbose_name="USD(P)", help_text="Consulted on the template; evaluates.")
    program_coordinator = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.PROTECT,
                                            related_name="+", verbose_name="Director, PA&E",
                                            help_text="Coordinates the security cooperation program assessments.")
    template_suspense = models.DateField()
    collection_suspense = models.DateField(help_text="The suspense of every assessment.")
    joint_review_suspense = models.DateField()
    evaluation_suspense = models.DateField()

    state = FSMField(default=CycleState.SETUP, choices=CycleState.choices, protected=True, db_index=True)
    launch_total = models.PositiveIntegerField(default=0, editable=False)
    launch_done = models.PositiveIntegerField(default=0, editable=False)
    launch_task_id = models.CharField(max_length=100, blank=True, editable=False)
    launch_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    launch_finished_at = models.DateTimeField(null=True, blank=True, editable=False)
    joint_review = models.TextField("consolidated joint review", blank=True, editable=False,
                                    help_text="The Joint Staff's comprehensive joint assessment, advising USD(P).")
    evaluation = models.TextField("evaluation and advice to the Secretary", blank=True, editable=False,
                                  help_text="USD(P)'s advice on the effectiveness of security cooperation.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-fiscal_year"]
        permissions = [("run_cycle", "Can run the assessment cycle"),
                       ("view_cycle_report", "Can view assessment cycle reports")]
        constraints = [
            models.CheckConstraint(
                condition=Q(template_suspense__lte=models.F("collection_suspense"))
                & Q(collection_suspense__lte=models.F("joint_review_suspense"))
                & Q(joint_review_suspense__lte=models.F("evaluation_suspense")),
                name="assessment_cycle_phases_in_order",
                violation_error_message="The phase suspenses must follow one another: template, collection, "
                                        "joint review, evaluation.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return f"FY{self.fiscal_year} assessment cycle"

    # The escalation contract (workflow.registry): a phase tasker left overdue (the joint review,
    # the evaluation) escalates to USD(P), who receives the joint review and closes the cycle.
    def escalation_organization_ids(self) -> list[int]:
        return [self.policy_office_id]

    @property
    def launch_in_progress(self) -> bool:
        return self.state == CycleState.LAUNCHED and self.launch_finished_at is None

    @property
    def launch_percent(self) -> int:
        return 100 if not self.launch_total else round(100 * self.launch_done / self.launch_total)

    def clean(self) -> None:
        dates = [self.template_suspense, self.collection_suspense, self.joint_review_suspense,
                 self.evaluation_suspense]
        if all(dates) and dates != sorted(dates):
            raise ValidationError("The phase suspenses must follow one another: template, collection, joint "
                                  "review, evaluation.")


# --- the template --------------------------------------------------------------------------

class TemplateState(models.TextChoices):
    DRAFT = "draft", "Draft"
    CONSULTATION = "consultation", "In consultation with USD(P)"
    APPROVED = "approved", "Approved"


class Template(RoutedDocument):
    """The assessment template, produced by the Joint Staff in consultation with USD(P)."""

    workflow_kind = "assessment_template"

    cycle = models.ForeignKey(AssessmentCycle, on_delete=models.CASCADE, related_name="templates")
    version = models.PositiveSmallIntegerField(default=1)
    title = models.CharField(max_length=300)
    instructions = models.TextField(blank=True)
    owner = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+",
                              help_text="The Joint Staff office that drafts it.")
    state = FSMField(default=TemplateState.DRAFT, choices=TemplateState.choices, protected=True)
    frozen = models.BooleanField(default=False, editable=False, help_text="Set at launch: no more changes.")
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["cycle", "-version"]
        constraints = [models.UniqueConstraint(fields=["cycle", "version"], name="template_unique_version")]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    # The escalation contract (workflow.registry): an overdue consultation escalates to the Joint
    # Staff office that approves the template.
    def escalation_organization_ids(self) -> list[int]:
        return [self.owner_id]


class TemplateSection(models.Model):
    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=200)

    class Meta:
        ordering = ["template", "position", "pk"]

    def __str__(self) -> str:
        return self.title


class QuestionKind(models.TextChoices):
    NARRATIVE = "narrative", "Narrative"
    RATING = "rating", "Rating with justification"
    OBJECTIVE_RATING = "objective_rating", "Rating of each plan objective, with justification"


class Question(models.Model):
    section = models.ForeignKey(TemplateSection, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.TextField()
    guidance = models.TextField(blank=True)
    kind = models.CharField(max_length=20, choices=QuestionKind.choices, default=QuestionKind.NARRATIVE)
    scale = models.JSONField(default=list, blank=True,
                             help_text="Rating labels from worst to best, e.g. [\"Not achieved\", \"Achieved\"].")
    required = models.BooleanField(default=True)

    class Meta:
        ordering = ["section__position", "position", "pk"]

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def is_rating(self) -> bool:
        return self.kind in (QuestionKind.RATING, QuestionKind.OBJECTIVE_RATING)

    def clean(self) -> None:
        if self.is_rating and (not isinstance(self.scale, list) or len(self.scale) < 2
                               or not all(isinstance(label, str) and label.strip() for label in self.scale)):
            raise ValidationError({"scale": "A rating needs a scale of at least two labels."})

    def score(self, rating: str) -> float | None:
        """Where ``rating`` sits on the scale, 0 (worst) to 1 (best)."""
        if rating not in self.scale or len(self.scale) < 2:
            return None
        return self.scale.index(rating) / (len(self.scale) - 1)


# --- assessments ---------------------------------------------------------------------------

class AssessmentState(models.TextChoices):
    ASSIGNED = "assigned", "Assigned"
    IN_PROGRESS = "in_progress", "In progress"
    SUBMITTED = "submitted", "Submitted"
    RETURNED = "returned", "Returned"
    ACCEPTED = "accepted", "Accepted"
    EVALUATED = "evaluated", "Evaluated"


class AssessmentDocument(RoutedDocument):
    """What plan and program assessments share: the answers' workflow
    ``assigned → in_progress → submitted → accepted → evaluated``, with ``returned``
    (``assessments.workflows``)."""

    cycle = models.ForeignKey(AssessmentCycle, on_delete=models.PROTECT, related_name="%(class)s_set")
    title = models.CharField(max_length=300)
    suspense = models.DateField()
    state = FSMField(default=AssessmentState.ASSIGNED, choices=AssessmentState.choices, protected=True,
                     db_index=True)
    strategic_environment_changes = models.TextField("changes in the strategic environment", blank=True)
    recommended_guidance_changes = models.TextField("recommended changes to guidance", blank=True)
    return_reason = models.TextField(blank=True, editable=False)
    first_submitted_at = models.DateTimeField(null=True, blank=True, editable=False,
                                              help_text="Counts for on time or late.")
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    accepted_at = models.DateTimeField(null=True, blank=True, editable=False)
    evaluated_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        abstract = True
        ordering = ["cycle", "owner__acronym", "title"]

    def __str__(self) -> str:
        return self.title

    # The escalation contract (workflow.registry): an overdue assessment escalates to its reviewing
    # authority, the organization that accepts or returns it and USD(P), who evaluates it (as a
    # plan's escalates to its review and approval organizations). Read from the cycle, which the
    # reminders load with the documents (one query per batch).
    escalation_select_related = ("cycle",)

    def escalation_organization_ids(self) -> list[int]:
        # Each kind's reviewing organization, read by id (``reviewing_organization_id``).
        return [self.reviewing_organization_id, self.cycle.policy_office_id]

    @property
    def is_editable(self) -> bool:
        return self.state == AssessmentState.IN_PROGRESS

    @property
    def evaluating_organization_id(self) -> int:
        """USD(P), who evaluates every assessment, by id (``evaluating_organization``)."""
        return self.cycle.policy_office_id


class Assessment(AssessmentDocument):
    """A campaign plan assessment (to the combatant command) or a campaign support plan
    assessment (to the component), one per approved plan and cycle."""

    workflow_kind = "assessment"

    campaign_plan = models.ForeignKey("planning.CampaignPlan", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="assessments")
    support_plan = models.ForeignKey("planning.CampaignSupportPlan", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="assessments")

    class Meta(AssessmentDocument.Meta):
        constraints = [
            models.CheckConstraint(condition=Q(campaign_plan__isnull=True) ^ Q(support_plan__isnull=True),
                                   name="assessment_one_plan",
                                   violation_error_message="An assessment is of one plan."),
            models.UniqueConstraint(fields=["cycle", "campaign_plan"], name="assessment_one_per_campaign_plan"),
            models.UniqueConstraint(fields=["cycle", "support_plan"], name="assessment_one_per_support_plan"),
        ]
        indexes = [models.Index(fields=["cycle", "owner", "state"])]

    @property
    def banner(self) -> str:
        """An assessment is marked as its plan is (it discusses the plan's objectives)."""
        plan = self.campaign_plan or self.support_plan
        return plan.banner if plan is not None else "UNCLASSIFIED"

    @property
    def banner_level(self) -> str:
        """The level of the banner (its colour on the page): the plan's."""
        plan = self.plan
        return plan.classification if plan is not None else "U"

    @property
    def plan(self):
        return self.campaign_plan or self.support_plan

    @property
    def reviewing_organization(self) -> Organization:
        return self.cycle.owner

    @property
    def reviewing_organization_id(self) -> int:
        return self.cycle.owner_id

    @property
    def evaluating_organization(self) -> Organization:
        return self.cycle.policy_office

    def objectives(self):
        return self.plan.objectives.all()


class Program(models.Model):
    """A security cooperation program (data): FMS, IMET, building partner capacity..."""

    code = models.CharField(max_length=30, unique=True)
    name = models.CharField(max_length=200)
    authority = models.CharField(max_length=200, blank=True, help_text="e.g. the statute that authorizes it.")
    administered_by = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="+")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class ProgramAssessment(AssessmentDocument):
    """A security cooperation program assessment, conducted by USD(P) in coordination with the
    Director, PA&E (Encl. 2, 1.k): PA&E accepts or returns it, USD(P) evaluates it."""

    workflow_kind = "program_assessment"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="assessments")

    class Meta(AssessmentDocument.Meta):
        constraints = [models.UniqueConstraint(fields=["cycle", "program"], name="program_assessment_one_per_cycle")]

    @property
    def reviewing_organization(self) -> Organization:
        return self.cycle.program_coordinator or self.cycle.owner

    @property
    def reviewing_organization_id(self) -> int:
        return self.cycle.program_coordinator_id or self.cycle.owner_id

    @property
    def evaluating_organization(self) -> Organization:
        return self.cycle.policy_office

    def objectives(self):
        from planning.models import Objective

        return Objective.objects.none()


class Answer(models.Model):
    """One answer to one question (for a per-objective rating: one per objective)."""

    assessment = models.ForeignKey(Assessment, null=True, blank=True, on_delete=models.CASCADE,
                                   related_name="answers")
    program_assessment = models.ForeignKey(ProgramAssessment, null=True, blank=True, on_delete=models.CASCADE,
                                           related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    objective = models.ForeignKey("planning.Objective", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="assessment_answers")
    rating = models.CharField(max_length=100, blank=True)
    justification = models.TextField(blank=True)
    text = models.TextField(blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["question__section__position", "question__position", "objective__code", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(assessment__isnull=True) ^ Q(program_assessment__isnull=True),
                                   name="answer_one_assessment"),
            models.UniqueConstraint(fields=["assessment", "question"], condition=Q(objective__isnull=True),
                                    name="answer_unique_per_question"),
            models.UniqueConstraint(fields=["assessment", "question", "objective"],
                                    condition=Q(objective__isnull=False), name="answer_unique_per_objective"),
            models.UniqueConstraint(fields=["program_assessment", "question"], name="program_answer_unique"),
        ]

    def __str__(self) -> str:
        return f"Answer to {self.question}"

    @property
    def document(self):
        return self.assessment or self.program_assessment


# --- the report, frozen at close -------------------------------------------------------------

class ReportSnapshot(models.Model):
    """The cycle's report as it stood the day the cycle closed (``assessments.reports.report_freeze``,
    called by the close transition's effect): every figure, the ratings, the joint review, USD(P)'s
    evaluation and the marking of what it aggregates. Written once, never recomputed: every reader
    of a closed cycle's report (page, printable page, XLSX) reads it."""

    cycle = models.OneToOneField(AssessmentCycle, on_delete=models.CASCADE, related_name="report_snapshot",
                                 editable=False)
    closed_on = models.DateField(editable=False, help_text="The date of close: the figures are as of that day.")
    frozen_at = models.DateTimeField(default=timezone.now, editable=False)
    figures = models.JSONField(editable=False)
    marking = models.JSONField(editable=False, help_text="The highest marking of the plans it aggregates, at close.")

    class Meta:
        verbose_name = "report snapshot"

    def __str__(self) -> str:
        return f"{self.cycle} report, closed on {self.closed_on:%d %b %Y}"
