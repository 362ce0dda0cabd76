"""Assessment, monitoring and evaluation (AM&E) of security cooperation initiatives (DoDD 5132.03,
Encl. 2, 1.e and 1.k; the practice of DoDI 5132.14). An initiative is a significant security
cooperation effort under a campaign objective: its partner, the program that funds it, its fiscal
years and cost; it carries an initial assessment, a monitoring plan (indicators with baselines
and targets), periodic monitoring entries, and evaluations. Who may move an initiative or an
evaluation, when, and what happens then reads top to bottom in ``initiatives.workflows``."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import FSMField

from organizations.models import Country, Organization, OrganizationKind
from security.models import MarkingFields
from workflow.models import RoutedDocument

KIND = "initiative"
EVALUATION_KIND = "initiative_evaluation"


class InitiativeState(models.TextChoices):
    DRAFT = "draft", "Draft"
    CONCURRENCE = "concurrence", "Awaiting the command's concurrence"
    APPROVAL = "approval", "Awaiting the administering office's approval"
    APPROVED = "approved", "Approved (being monitored)"
    RETURNED = "returned", "Returned for rework"
    WITHDRAWN = "withdrawn", "Withdrawn"
    CLOSED = "closed", "Closed"


INITIATIVE_EDITABLE = (InitiativeState.DRAFT, InitiativeState.RETURNED)


def fiscal_years_refusal(first, last) -> str:
    """Why the fiscal years are out of order ("" when they are not): the one wording of the rule,
    beside the field in every form (``Initiative.clean``) and in ``services.initiative_write``."""
    if isinstance(first, int) and isinstance(last, int) and last < first:
        return f"The last fiscal year (FY {last}) comes before the first (FY {first}): put the years in order."
    return ""


def cost_refusal(cost) -> str:
    if cost is not None and not isinstance(cost, str) and cost < 0:
        return "The estimated cost cannot be negative."
    return ""
INITIATIVE_IN_FLIGHT = (InitiativeState.CONCURRENCE, InitiativeState.APPROVAL)


class Initiative(RoutedDocument, MarkingFields):
    """A significant security cooperation initiative under a campaign objective (Encl. 2, 1.e):
    the partner it builds, the program that funds it, its fiscal years and estimated cost, its
    initial assessment of the partner and its monitoring plan (``Indicator``). Owned by the
    organization whose plan holds the objective; its design is approved by the office that
    administers the program (DSCA) after the owning command's commander concurs."""

    workflow_kind = KIND
    owner_kinds = (OrganizationKind.GEOGRAPHIC_CCMD, OrganizationKind.FUNCTIONAL_CCMD)

    title = models.CharField(max_length=300)
    objective = models.ForeignKey("planning.Objective", on_delete=models.PROTECT, related_name="initiatives",
                                  help_text="The campaign objective the initiative serves.")
    partner = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="+",
                                help_text="The partner nation whose capability or capacity it builds.")
    program = models.ForeignKey("assessments.Program", on_delete=models.PROTECT, related_name="initiatives",
                                help_text="The security cooperation program (authority) that funds it.")
    start_fiscal_year = models.PositiveSmallIntegerField(help_text="First fiscal year, e.g. 2026.")
    end_fiscal_year = models.PositiveSmallIntegerField(help_text="Last fiscal year (the same or later).")
    estimated_cost = models.DecimalField("estimated cost (USD)", max_digits=14, decimal_places=2)
    description = models.TextField(blank=True, help_text="What the initiative delivers, to whom.")
    initial_assessment = models.TextField(
        blank=True, help_text="The initial assessment: the partner's baseline capability, capacity, absorptive "
                              "capacity and risks, which the design and the indicators' baselines rest on.")
    theory_of_change = models.TextField(blank=True, help_text="Why these activities should reach the objective.")

    state = FSMField(default=InitiativeState.DRAFT, choices=InitiativeState.choices, protected=True, db_index=True)
    return_reason = models.TextField(blank=True, editable=False)
    decision_note = models.TextField(blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = "security cooperation initiative"
        indexes = [models.Index(fields=["owner", "state"]), models.Index(fields=["program", "state"])]
        constraints = [
            models.CheckConstraint(condition=Q(end_fiscal_year__gte=models.F("start_fiscal_year")),
                                   name="initiative_years_in_order",
                                   violation_error_message="The last fiscal year cannot come before the first."),
            models.CheckConstraint(condition=Q(estimated_cost__gte=0), name="initiative_cost_not_negative",
                                   violation_error_message="The estimated cost cannot be negative."),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        """The years in order and the cost not negative, each beside its field (the check
        constraints below guard the table; Django reports a constraint under no field)."""
        super().clean()
        errors = {name: [message] for name, message in (
            ("end_fiscal_year", fiscal_years_refusal(self.start_fiscal_year, self.end_fiscal_year)),
            ("estimated_cost", cost_refusal(self.estimated_cost))) if message}
        if errors:
            raise ValidationError(errors)

    @property
    def is_editable(self) -> bool:
        return self.state in INITIATIVE_EDITABLE

    @property
    def administering_office(self) -> Organization | None:
        return self.program.administered_by

    def route_relation(self, relation: str) -> list[Organization]:
        if relation == "administering_office":
            return [self.program.administered_by] if self.program.administered_by_id else []
        return super().route_relation(relation)


class IndicatorKind(models.TextChoices):
    OUTPUT = "output", "Output (what the initiative delivers)"
    OUTCOME = "outcome", "Outcome (the change in the partner)"


class Indicator(models.Model):
    """One indicator of an initiative's monitoring plan: what is measured, in which unit, its
    baseline (from the initial assessment) and target, and how often it is reported."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="indicators")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=IndicatorKind.choices, default=IndicatorKind.OUTCOME)
    unit = models.CharField(max_length=60, help_text="E.g. “percent of crews certified”, “sorties per month”.")
    baseline_value = models.DecimalField(max_digits=14, decimal_places=2)
    baseline_on = models.DateField(help_text="When the baseline was measured.")
    target_value = models.DecimalField(max_digits=14, decimal_places=2)
    frequency_months = models.PositiveSmallIntegerField(
        "reported every (months)", default=3, help_text="How often a monitoring entry is due: 1 to 12 months.")

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["initiative", "name"], name="indicator_name_once_per_initiative"),
                       models.CheckConstraint(condition=Q(frequency_months__gte=1, frequency_months__lte=12),
                                              name="indicator_frequency_1_to_12_months")]

    def __str__(self) -> str:
        return f"{self.name} ({self.unit})"


class MonitoringEntry(models.Model):
    """One periodic measurement of an indicator, as of the end of a reporting period. Recorded by
    the owner's action officers once the initiative is approved (``services.monitoring_record``);
    never rewritten: a correction is a later entry with its note."""

    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="entries")
    period_end = models.DateField(help_text="The last day of the period measured.")
    value = models.DecimalField(max_digits=14, decimal_places=2)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    editable=False)
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["indicator", "period_end", "pk"]
        verbose_name_plural = "monitoring entries"
        constraints = [models.UniqueConstraint(fields=["indicator", "period_end"], name="monitoring_one_entry_per_period")]

    def __str__(self) -> str:
        return f"{self.indicator.name} on {self.period_end:%d %b %Y}: {self.value}"


class EvaluationType(models.TextChoices):
    MIDTERM = "midterm", "Mid-term performance evaluation"
    FINAL = "final", "Final performance evaluation"
    IMPACT = "impact", "Impact evaluation"


class EvaluationRating(models.TextChoices):
    MET = "met", "Objectives met"
    PARTLY_MET = "partly_met", "Objectives partly met"
    NOT_MET = "not_met", "Objectives not met"


class EvaluationState(models.TextChoices):
    DRAFT = "draft", "Draft"
    COORDINATION = "coordination", "In coordination with the command"
    APPROVAL = "approval", "Awaiting USD(P)'s approval"
    APPROVED = "approved", "Approved"
    RETURNED = "returned", "Returned for rework"
    WITHDRAWN = "withdrawn", "Withdrawn"


EVALUATION_EDITABLE = (EvaluationState.DRAFT, EvaluationState.RETURNED)


def period_refusal(start, end) -> str:
    return (f"The period ends ({end:%d %B %Y}) before it starts ({start:%d %B %Y})."
            if start and end and end < start else "")


class InitiativeEvaluation(RoutedDocument, MarkingFields):
    """An independent evaluation of an approved initiative (DoDI 5132.14 practice): written by the
    office that administers the initiative's program (DSCA's evaluators), coordinated with the
    command that owns the initiative, approved by USD(P) (Encl. 2, 1.k). Its findings are what
    program assessments read."""

    workflow_kind = EVALUATION_KIND
    owner_kinds = (OrganizationKind.DEFENSE_AGENCY,)

    initiative = models.ForeignKey(Initiative, on_delete=models.PROTECT, related_name="evaluations")
    title = models.CharField(max_length=300)
    evaluation_type = models.CharField(max_length=10, choices=EvaluationType.choices, default=EvaluationType.MIDTERM)
    period_start = models.DateField()
    period_end = models.DateField()
    evaluator = models.CharField(max_length=200, blank=True, help_text="Who evaluated: an office or a team's name.")
    findings = models.TextField(blank=True)
    recommendations = models.TextField(blank=True)
    rating = models.CharField(max_length=12, choices=EvaluationRating.choices, blank=True)

    state = FSMField(default=EvaluationState.DRAFT, choices=EvaluationState.choices, protected=True, db_index=True)
    return_reason = models.TextField(blank=True, editable=False)
    decision_note = models.TextField(blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = "initiative evaluation"
        indexes = [models.Index(fields=["owner", "state"])]
        constraints = [
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")),
                                   name="evaluation_period_in_order",
                                   violation_error_message="The period cannot end before it starts."),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValidationError({"period_end": [period_refusal(self.period_start, self.period_end)]})

    @property
    def is_editable(self) -> bool:
        return self.state in EVALUATION_EDITABLE

    def route_relation(self, relation: str) -> list[Organization]:
        if relation == "initiative_owner":
            return [self.initiative.owner]
        return super().route_relation(relation)
