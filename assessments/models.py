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
from workflow.kinds import KindQuerySet
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

    def notice_organization_ids(self) -> list[int]:
        """Who takes part in the cycle, told when a phase starts (``reminders.notices``): the
        Joint Staff office, USD(P), PA&E and every organization with an assessment to answer."""
        owners = set(self.assessment_set.values_list("owner_id", flat=True).distinct().order_by())
        owners |= set(self.programassessment_set.values_list("owner_id", flat=True).distinct().order_by())
        offices = [self.owner_id, self.policy_office_id, self.program_coordinator_id]
        return list(dict.fromkeys(pk for pk in [*offices, *sorted(owners)] if pk))

    @property
    def launch_in_progress(self) -> bool:
        return self.state == CycleState.LAUNCHED and self.launch_finished_at is None

    @property
    def launch_percent(self) -> int:
        return 100 if not self.launch_total else round(100 * self.launch_done / self.launch_total)

    PHASE_FIELDS = ("template_suspense", "collection_suspense", "joint_review_suspense", "evaluation_suspense")

    def clean(self) -> None:
        # Said once, beside the first suspense that comes before the one above it (the database
        # constraint below is the backstop, not a second message: ``validate_constraints``).
        previous = None
        for name in self.PHASE_FIELDS:
            day = getattr(self, name)
            if day is None:
                return
            if previous is not None and day < getattr(self, previous):
                label = self._meta.get_field(previous).verbose_name
                raise ValidationError({name: f"This suspense comes before the {label} ({getattr(self, previous):%d %b %Y}); "
                                             "the phase suspenses must follow one another: template, collection, "
                                             "joint review, evaluation."})
            previous = name

    def validate_constraints(self, exclude=None):
        exclude = set(exclude or ())
        if all(getattr(self, name) is not None for name in self.PHASE_FIELDS):
            # ``clean`` has said it, beside its field.
            exclude.update(self.PHASE_FIELDS)
        super().validate_constraints(exclude=exclude)


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


class QuestionSet(models.TextChoices):
    """Which assessments answer a section's questions: a program assessment is no plan's, and
    a campaign plan is not a support plan."""
    EVERY = "every", "Every assessment"
    PLANS = "plans", "Campaign plan and campaign support plan assessments"
    CAMPAIGN_PLAN = "campaign_plan", "Campaign plan assessments"
    SUPPORT_PLAN = "support_plan", "Campaign support plan assessments"
    PROGRAM = "program", "Security cooperation program assessments"


QUESTION_SETS_OF = {
    "campaign_plan": (QuestionSet.EVERY, QuestionSet.PLANS, QuestionSet.CAMPAIGN_PLAN),
    "support_plan": (QuestionSet.EVERY, QuestionSet.PLANS, QuestionSet.SUPPORT_PLAN),
    "program": (QuestionSet.EVERY, QuestionSet.PROGRAM),
}


class TemplateSection(models.Model):
    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=200)
    question_set = models.CharField("answered in", max_length=20, choices=QuestionSet.choices,
                                    default=QuestionSet.EVERY,
                                    help_text="Which assessments answer this section's questions.")

    class Meta:
        ordering = ["template", "position", "pk"]

    def __str__(self) -> str:
        return self.title


class QuestionKind(models.TextChoices):
    NARRATIVE = "narrative", "Narrative"
    RATING = "rating", "Rating with justification"
    OBJECTIVE_RATING = "objective_rating", "Rating of each plan objective, with justification"
    YES_NO = "yes_no", "Yes or no"
    NUMBER = "number", "Number"


YES_NO_ANSWERS = ("Yes", "No")


def scale_refusal(scale) -> str:
    """Why ``scale`` is no rating scale (empty when it is one): two levels at least, each a
    label, none twice."""
    if not isinstance(scale, list) or not all(isinstance(label, str) for label in scale):
        return "A rating scale is a list of labels, one per level, worst first."
    if any(not label.strip() for label in scale):
        return "Every level of the scale needs a label."
    if len(scale) < 2:
        return "A rating needs a scale of at least two levels, worst first (e.g. “Not achieved”, “Achieved”)."
    seen = set()
    for label in scale:
        if label.strip().lower() in seen:
            return f"“{label.strip()}” is on the scale twice; each level needs its own label."
        seen.add(label.strip().lower())
    if any(len(label) > 100 for label in scale):
        return "A level's label is at most 100 characters."
    return ""


class Question(models.Model):
    section = models.ForeignKey(TemplateSection, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.TextField()
    guidance = models.TextField(blank=True)
    kind = models.CharField(max_length=20, choices=QuestionKind.choices, default=QuestionKind.NARRATIVE)
    scale = models.JSONField("rating scale", default=list, blank=True,
                             help_text="The rating's levels, worst first.")
    required = models.BooleanField(default=True)

    class Meta:
        ordering = ["section__position", "position", "pk"]

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def is_rating(self) -> bool:
        return self.kind in (QuestionKind.RATING, QuestionKind.OBJECTIVE_RATING)

    def clean(self) -> None:
        if self.is_rating:
            refusal = scale_refusal(self.scale)
            if refusal:
                raise ValidationError({"scale": refusal})
        elif self.scale:
            raise ValidationError({"scale": f"Only a rating has a scale; this question is {self.get_kind_display().lower()}."})

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


class AssessmentRecord(models.Model):
    """An assessment of either kind, once: what its answers point at, with one foreign key. Each
    kind (``Assessment`` of a plan, ``ProgramAssessment``) is a child of it (multi-table
    inheritance) that keeps its own id, the one the engine's generic references and the audit
    trail name. The row holds only the key; the kinds hold the columns."""

    key = models.BigAutoField(primary_key=True)

    class Meta:
        verbose_name = "assessment record"

    def __str__(self) -> str:
        return str(self.document)

    @property
    def document(self) -> AssessmentDocument:
        """The assessment as its kind (the one place that asks which kind a record is)."""
        for rel in AssessmentRecord._meta.related_objects:
            if rel.parent_link:
                try:
                    return getattr(self, rel.get_accessor_name())
                except rel.related_model.DoesNotExist:
                    continue
        raise AssessmentRecord.DoesNotExist(f"Assessment record {self.pk} has no kind")


def record_link() -> models.OneToOneField:
    """A kind's link to its ``AssessmentRecord`` row. Declared on each kind, not on
    ``AssessmentDocument``: Django reads a parent link declared on an abstract model as if it
    were the primary key."""
    return models.OneToOneField(AssessmentRecord, parent_link=True, on_delete=models.CASCADE, editable=False,
                                related_name="%(class)s")


class AssessmentDocument(RoutedDocument):
    """What plan and program assessments share: the answers' workflow
    ``assigned → in_progress → submitted → accepted → evaluated``, with ``returned``
    (``assessments.workflows``). Each kind is also an ``AssessmentRecord`` (its ``record_ptr``);
    its own ``id`` stays its primary key."""

    # Declared, so the link to ``AssessmentRecord`` (each kind's ``record_ptr``, ``record_link()``)
    # does not become the primary key.
    id = models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")

    objects = KindQuerySet.as_manager()
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

    @property
    def document(self) -> AssessmentDocument:
        """The assessment as its kind: itself."""
        return self

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


class Assessment(AssessmentDocument, AssessmentRecord):
    """A campaign plan assessment (to the combatant command) or a campaign support plan
    assessment (to the component), one per approved plan and cycle."""

    workflow_kind = "assessment"

    record_ptr = record_link()
    plan = models.ForeignKey("planning.Plan", on_delete=models.PROTECT, related_name="assessments",
                             help_text="The campaign plan or campaign support plan assessed.")

    class Meta(AssessmentDocument.Meta):
        constraints = [
            models.UniqueConstraint(fields=["cycle", "plan"], name="assessment_one_per_plan",
                                    violation_error_message="A plan is assessed once per cycle."),
        ]
        indexes = [models.Index(fields=["cycle", "owner", "state"])]

    @property
    def assessed_plan(self):
        """The plan assessed, as its kind (campaign plan or campaign support plan)."""
        return self.plan.document

    @property
    def banner(self) -> str:
        """An assessment is marked as its plan is (it discusses the plan's objectives)."""
        return self.assessed_plan.banner

    @property
    def banner_level(self) -> str:
        """The level of the banner (its colour on the page): the plan's."""
        return self.assessed_plan.classification

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

    @property
    def question_set_key(self) -> str:
        """Which of the template's question sets it answers (``QUESTION_SETS_OF``): the assessed
        plan's kind by its reference name (``campaign_plan``, ``support_plan``)."""
        return self.plan.document.reference_name


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


class ProgramAssessment(AssessmentDocument, AssessmentRecord):
    """A security cooperation program assessment, conducted by USD(P) in coordination with the
    Director, PA&E (Encl. 2, 1.k): PA&E accepts or returns it, USD(P) evaluates it."""

    workflow_kind = "program_assessment"

    record_ptr = record_link()
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

    question_set_key = "program"


class Answer(models.Model):
    """One answer to one question (for a per-objective rating: one per objective)."""

    assessment = models.ForeignKey(AssessmentRecord, on_delete=models.CASCADE, related_name="answers",
                                   help_text="The assessment answered, of either kind (plan or program).")
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
            models.UniqueConstraint(fields=["assessment", "question"], condition=Q(objective__isnull=True),
                                    name="answer_unique_per_question"),
            models.UniqueConstraint(fields=["assessment", "question", "objective"],
                                    condition=Q(objective__isnull=False), name="answer_unique_per_objective"),
        ]

    def __str__(self) -> str:
        return f"Answer to {self.question}"

    @property
    def document(self) -> AssessmentDocument:
        """The assessment answered, as its kind."""
        return self.assessment.document


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
