"""The Secretary's guidance (GEF), campaign plans and campaign support plans: their data. Who
may move a plan, when, and what happens then reads top to bottom in ``planning.workflows``."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import FSMField

from organizations.models import Country, Organization, OrganizationKind, with_article
from security.markings import RANK, ClassificationLevel, combine
from security.models import DocumentMarking, MarkingFields
from workflow.kinds import KindQuerySet
from workflow.models import RoutedDocument

DIRECTIVE_VERSION = "DoDD 5132.03, 24 October 2008"


class GEFGuidance(models.Model):
    """An issuance of the Guidance for Employment of the Force by USD(P)."""

    year = models.PositiveSmallIntegerField()
    version = models.CharField(max_length=20, default="1")
    title = models.CharField(max_length=200)
    issued_on = models.DateField()
    assessment_guidance = models.TextField(blank=True)
    classification = models.CharField(max_length=5, choices=ClassificationLevel.choices,
                                      default=ClassificationLevel.UNCLASSIFIED)

    class Meta:
        ordering = ["-year", "-version"]
        verbose_name = "GEF guidance"
        verbose_name_plural = "GEF guidance"
        constraints = [models.UniqueConstraint(fields=["year", "version"], name="gef_unique_year_version")]

    def __str__(self) -> str:
        return f"GEF {self.year} v{self.version}"


class GEFEndState(models.Model):
    """A security cooperation end state (and its objectives) set by the GEF; plans trace to it."""

    gef = models.ForeignKey(GEFGuidance, on_delete=models.PROTECT, related_name="end_states")
    code = models.CharField(max_length=20)
    title = models.CharField(max_length=300)
    objectives = models.TextField(blank=True, help_text="The GEF's security cooperation objectives for this end state.")

    class Meta:
        ordering = ["gef", "code"]
        verbose_name = "GEF end state"
        constraints = [models.UniqueConstraint(fields=["gef", "code"], name="gef_end_state_unique_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class PlanState(models.TextChoices):
    DRAFT = "draft", "Draft"
    COORDINATION = "coordination", "In coordination"
    REVIEW = "review", "In review"
    APPROVED = "approved", "Approved"
    RETURNED = "returned", "Returned for rework"
    WITHDRAWN = "withdrawn", "Withdrawn"
    SUPERSEDED = "superseded", "Superseded"


IN_FLIGHT = (PlanState.DRAFT, PlanState.COORDINATION, PlanState.REVIEW)


class Plan(models.Model):
    """A plan of either kind, once: what a plan's content (partner countries, objectives,
    sections) and its assessments point at, with one foreign key. Each kind (``CampaignPlan``,
    ``CampaignSupportPlan``) is a child of it (multi-table inheritance) that keeps its own id:
    the engine's generic references (taskers, history, comments, notifications) and the audit
    trail name the kind and that id. The row holds only the key; the kinds hold the columns."""

    key = models.BigAutoField(primary_key=True)

    class Meta:
        verbose_name = "plan"

    def __str__(self) -> str:
        return str(self.document)

    @classmethod
    def kinds(cls) -> dict[type[PlanDocument], str]:
        """The kinds of plan (one child model each), each with the name of its link from a
        ``Plan`` row (``campaignplan``, ``campaignsupportplan``)."""
        return {rel.related_model: rel.get_accessor_name() for rel in Plan._meta.related_objects if rel.parent_link}

    @property
    def document(self) -> PlanDocument:
        """The plan as its kind (the one place that asks which kind a plan row is): read from the
        cache when the query selected it (``select_related(*Plan.kind_paths("plan"))``)."""
        for kind, link in Plan.kinds().items():
            try:
                return getattr(self, link)
            except kind.DoesNotExist:
                continue
        raise Plan.DoesNotExist(f"Plan {self.pk} has no kind")

    @classmethod
    def kind_paths(cls, prefix: str = "") -> list[str]:
        """The ``select_related`` paths to each kind, from a ``Plan`` (no ``prefix``) or through
        ``prefix``, a foreign key to ``Plan`` (``"plan"``, ``"objective__plan"``)."""
        return [f"{prefix}__{link}" if prefix else link for link in cls.kinds().values()]


def plan_link() -> models.OneToOneField:
    """A kind's link to its ``Plan`` row. Declared on each kind, not on ``PlanDocument``: Django
    reads a parent link declared on an abstract model as if it were the primary key."""
    return models.OneToOneField(Plan, parent_link=True, on_delete=models.CASCADE, editable=False,
                                related_name="%(class)s")


class PlanDocument(RoutedDocument, DocumentMarking):
    """What campaign plans and campaign support plans share: content, versions, and the workflow
    ``draft → coordination → review → approved`` with ``returned``, ``withdrawn``, ``superseded``
    (``planning.workflows``). Each kind is also a ``Plan`` (its ``plan_ptr``); its own ``id``
    stays its primary key."""

    # Declared, so the link to ``Plan`` (each kind's ``plan_ptr``, ``plan_link()``) does not
    # become the primary key: ids are the kind's own.
    id = models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")
    objects = KindQuerySet.as_manager()

    # How the API and exports name a reference to a plan of this kind (``campaign_plan``...).
    reference_name = ""
    # The kind's own many-to-many lists that ``planning.services.plan_lists_replace`` sets and a
    # new version copies (``supporting_organizations``, ``supported_plans``).
    link_lists: tuple[str, ...] = ()
    # The relations the kind's own ``kind_specific_gaps`` reads, prefetched with a batch of drafts.
    gap_reads: tuple[str, ...] = ()
    # Whether the owning organization signs (approves) a plan of this kind itself.
    owner_approves = False

    @classmethod
    def fields_for_owner(cls, owner: Organization) -> dict:
        """The fields a new plan of this kind takes from its owner unless given."""
        return {}

    def ownership_refusals(self, *, supported_plans=None) -> dict[str, list[str]]:
        """Why the owner may not own this plan, by field (``planning.services.plan_ownership_refusals``)."""
        return {}

    @property
    def one_per_period(self) -> bool:
        """Whether its owner has one plan of this kind per period (a theater campaign plan: Encl. 2,
        10.a); such a plan answers ``theater_plan_rival``."""
        return False

    series = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True,
                              help_text="All versions of one plan share it.")
    version = models.PositiveSmallIntegerField(default=1, editable=False)
    previous_version = models.ForeignKey("self", null=True, blank=True, editable=False, on_delete=models.PROTECT,
                                         related_name="next_versions")
    title = models.CharField(max_length=300)
    gef = models.ForeignKey(GEFGuidance, on_delete=models.PROTECT, null=True, blank=True,
                            related_name="%(class)s_set", verbose_name="GEF guidance")
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    summary = models.TextField(blank=True)
    complementary_usg_activities = models.TextField(
        "complementary U.S. Government activities considered (4.c)", blank=True,
        help_text="Directive 4.c: how the plan complements other U.S. Government activities.",
    )
    resources_needed = models.TextField(blank=True)
    risk_if_not_resourced = models.TextField("risk if resources are not provided", blank=True)
    directive_version = models.CharField(max_length=100, default=DIRECTIVE_VERSION)

    state = FSMField(default=PlanState.DRAFT, choices=PlanState.choices, protected=True, db_index=True)
    elevated = models.BooleanField(default=False, editable=False)
    elevation_rationale = models.TextField(blank=True, editable=False)
    return_reason = models.TextField(blank=True, editable=False)
    # How many partners answered "no" (4.b) still wait for the reviewing authority to accept their
    # overriding military considerations: kept by ``planning.services.plan_overrides_recount``
    # alone, so the approval reads no partner unless one waits.
    overrides_pending = models.PositiveSmallIntegerField(default=0, editable=False)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    @property
    def document(self) -> PlanDocument:
        """The plan as its kind: itself (a ``Plan`` row read through a relation asks its kind)."""
        return self

    def clean(self) -> None:
        super().clean()
        if self.period_start and self.period_end and self.period_end <= self.period_start:
            raise ValidationError({"period_end": "The period must end after it starts."})
        if self.pk:
            highest = max((p.classification for p in self.portions()), key=RANK.__getitem__, default="U")
            if RANK[highest] > RANK[self.classification]:
                raise ValidationError({"classification": "The banner cannot be lower than the highest portion "
                                                         f"({ClassificationLevel(highest).label})."})

    def portions(self) -> list:
        """The portion-marked parts of the document: its sections, objectives, activities and annexes."""
        return [*self.sections.all(), *self.objectives.all(), *self.activities.all(), *self.annexes.all()]

    @property
    def banner(self) -> str:
        return combine([self.marking(), *(p.marking() for p in self.portions())]).banner

    # --- what the plan workflow reads (planning.workflows, planning.services) ---------------

    def seam_participants(self) -> list[tuple[Organization, str]]:
        return []

    def kind_specific_gaps(self) -> list[str]:
        """What this kind of plan still lacks before it may be submitted, one sentence each."""
        return []

    @property
    def is_editable(self) -> bool:
        return self.state == PlanState.DRAFT


class Capability(models.TextChoices):
    """Directive 4.b: whether a partner can support, safeguard or sustain the capability."""

    YES = "yes", "Yes"
    PARTLY = "partly", "Partly"
    NO = "no", "No"


class PartnerConsideration(models.Model):
    """Directive 4.b for one partner country: can it support, safeguard and sustain the capability?
    Each answer is yes / partly / no with its evidence; a "no" stands only with an "overriding
    military considerations" justification, which the reviewing authority accepts explicitly
    (``planning.services.partner_override_accept``) before review can complete."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="partner_considerations")
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="+")
    support = models.CharField("can it support the capability?", max_length=10, choices=Capability.choices,
                               blank=True)
    can_support = models.TextField("evidence: support", blank=True)
    safeguard = models.CharField("can it safeguard it?", max_length=10, choices=Capability.choices, blank=True)
    can_safeguard = models.TextField("evidence: safeguard", blank=True)
    sustain = models.CharField("can it sustain it?", max_length=10, choices=Capability.choices, blank=True)
    can_sustain = models.TextField("evidence: sustain", blank=True)
    overriding_considerations = models.TextField(
        "overriding military considerations (4.b)", blank=True,
        help_text="Required where the partner cannot support, safeguard or sustain the capability: why the "
                  "plan goes ahead nonetheless. The reviewing authority must accept it.")
    override_accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, editable=False,
                                             on_delete=models.PROTECT, related_name="+")
    override_accepted_for = models.ForeignKey(Organization, null=True, blank=True, editable=False,
                                              on_delete=models.PROTECT, related_name="+",
                                              help_text="The reviewing organization that accepted it.")
    override_accepted_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["country"]
        verbose_name = "partner country and its considerations (4.b)"
        verbose_name_plural = "partner countries and their considerations (4.b)"
        constraints = [
            models.UniqueConstraint(fields=["plan", "country"], name="partner_unique_per_plan"),
        ]

    def __str__(self) -> str:
        return self.country.name

    ANSWERS = (("support", "can_support"), ("safeguard", "can_safeguard"), ("sustain", "can_sustain"))

    @property
    def is_complete(self) -> bool:
        """Each of the three answered, with its evidence."""
        return all(getattr(self, rating) and (getattr(self, evidence) or "").strip()
                   for rating, evidence in self.ANSWERS)

    @property
    def needs_override(self) -> bool:
        """A "no" to support, safeguard or sustain: it stands only on overriding military considerations."""
        return any(getattr(self, rating) == Capability.NO for rating, _ in self.ANSWERS)

    @property
    def override_accepted(self) -> bool:
        return self.override_accepted_at is not None


class ComplementaryActivity(models.Model):
    """Directive 4.c for one partner: an activity of another U.S. Government agency that the plan
    complements (unity of effort), shown to the reviewers with the partner."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="complementary_activities")
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="+",
                                help_text="One of the plan's partner countries.")
    agency = models.CharField(max_length=200, help_text="e.g. Department of State (INL)")
    program = models.CharField(max_length=300)
    point_of_contact = models.CharField(max_length=200, blank=True,
                                        help_text="An office or position, e.g. Embassy Warsaw political-military "
                                                  "section.")

    class Meta:
        ordering = ["country", "agency", "pk"]
        verbose_name = "complementary U.S. Government activity (4.c)"
        verbose_name_plural = "complementary U.S. Government activities (4.c)"

    def __str__(self) -> str:
        return f"{self.agency}: {self.program}"


class Function(models.TextChoices):
    """The functions whose command or office coordinates a plan that works in them (Encl. 2 10.b,
    7.a, 8.a): ``planning.coordination.FUNCTION_OFFICES`` names them."""

    SPECIAL_OPERATIONS = "special_operations", "Special operations"
    CYBERSPACE = "cyberspace", "Cyberspace"
    SPACE = "space", "Space"
    TRANSPORTATION_LOGISTICS = "transportation_logistics", "Transportation and logistics"
    STRATEGIC_DETERRENCE = "strategic_deterrence", "Strategic deterrence"
    INTELLIGENCE = "intelligence", "Intelligence"
    ACQUISITION_TECHNOLOGY_RELEASE = "acquisition_technology_release", "Acquisition and technology release"
    FINANCIAL_MANAGEMENT = "financial_management", "Financial management"


class ProgramUse(models.Model):
    """A program of a Military Department or Defense Agency that the plan uses (Encl. 2 7.a, 8.a):
    its organization is added to coordination."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="programs_used")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+",
                                     help_text="The Military Department or Defense Agency whose program it is.")
    program = models.CharField(max_length=300)

    class Meta:
        ordering = ["organization", "program", "pk"]
        verbose_name = "program used (7.a, 8.a)"
        verbose_name_plural = "programs used (7.a, 8.a)"

    def __str__(self) -> str:
        return f"{self.organization}: {self.program}"


class SectionPart(models.TextChoices):
    """The parts of a plan as staff write them."""

    SITUATION = "situation", "Situation"
    STRATEGIC_APPROACH = "strategic_approach", "Strategic approach"
    OBJECTIVES_EFFECTS = "objectives_effects", "Objectives and effects"
    PARTNER_PRIORITIES = "partner_priorities", "Partner priorities"
    RESOURCES = "resources", "Resources"
    RISK = "risk", "Risk"
    ASSESSMENT_APPROACH = "assessment_approach", "Assessment approach"
    OTHER = "other", "Other"


class PlanSection(MarkingFields):
    """A portion-marked section of a plan (e.g. "Situation"): rich text (sanitized HTML) whose
    paragraphs may each carry a portion mark, none above the section's marking
    (``planning.richtext``)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="sections")
    number = models.CharField(max_length=20)
    part = models.CharField(max_length=30, choices=SectionPart.choices, blank=True,
                            help_text="Which part of the plan this section is.")
    heading = models.CharField(max_length=300)
    body = models.TextField(blank=True, help_text="Rich text; start each paragraph with its portion mark, e.g. "
                                                  "(U) or (CUI).")

    class Meta:
        ordering = ["number", "pk"]

    def __str__(self) -> str:
        return f"{self.number} {self.heading}"


class Objective(MarkingFields):
    """A plan objective, traced to one or more GEF end states, with its measures."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="objectives")
    code = models.CharField(max_length=20)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    end_states = models.ManyToManyField(GEFEndState, related_name="plan_objectives", blank=True,
                                        help_text="The GEF end states this objective serves.")
    measures_of_effectiveness = models.TextField(blank=True)
    measures_of_performance = models.TextField(blank=True)
    indicators = models.TextField(blank=True)
    functions = models.JSONField(default=list, blank=True,
                                 help_text="The functions the objective and its activities work in (special "
                                           "operations, cyberspace, ...): their commands and offices coordinate.")

    class Meta:
        ordering = ["code", "pk"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class PlanActivity(MarkingFields):
    """A security cooperation activity under one of the plan's objectives: with one of the plan's
    partner countries, over dates within the plan's period, perhaps under a security cooperation
    program (``assessments.Program``, data), tagged by function as objectives are. Its functions
    and its program's administering office bring their commands and offices into coordination
    (Encl. 2, 10.b; 7.a; 8.a; ``planning.coordination``). Portion-marked as objectives and
    sections are: its marking raises the plan's banner (``PlanDocument.portions``). Written with
    the plan's lists (``planning.services.plan_lists_replace``, ``plan_activities``)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="activities")
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="activities",
                                  help_text="The plan objective the activity serves.")
    order = models.PositiveSmallIntegerField(default=0, help_text="Its place among the objective's activities.")
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    partner = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="+",
                                help_text="One of the plan's partner countries.")
    # Reference data of the assessments app, named by string as ``initiatives`` does: no import.
    program = models.ForeignKey("assessments.Program", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="plan_activities",
                                help_text="The security cooperation program it is conducted under, if any: its "
                                          "administering office coordinates (7.a, 8.a).")
    start_date = models.DateField(help_text="Within the plan's period.")
    end_date = models.DateField(help_text="Within the plan's period.")
    functions = models.JSONField(default=list, blank=True,
                                 help_text="The functions the activity works in (special operations, cyberspace, "
                                           "...): their commands and offices coordinate (10.b).")

    class Meta:
        ordering = ["objective", "order", "pk"]
        verbose_name = "activity"
        verbose_name_plural = "activities"

    def __str__(self) -> str:
        return self.title


class CampaignPlanKind(models.TextChoices):
    THEATER = "theater", "Theater campaign plan"
    FUNCTIONAL = "functional", "Functional campaign plan"
    REGIONAL = "regional", "Regional campaign plan"
    CONTINGENCY = "contingency", "Contingency plan (branch plan)"


class CampaignPlan(PlanDocument, Plan):
    """A combatant command's campaign plan."""

    workflow_kind = "campaign_plan"
    reference_name = "campaign_plan"
    link_lists = ("supporting_organizations",)
    # Approved by the owning combatant commander: the directive has the commanders develop their
    # plans (Encl. 2, 10.a) and names no other approver; USD(P)'s oversight (1.c) is a review.
    owner_approves = True
    # Who may own one: the combatant commands (organizations.authority reads it, and the admin's choices).
    owner_kinds = (OrganizationKind.GEOGRAPHIC_CCMD, OrganizationKind.FUNCTIONAL_CCMD)

    plan_ptr = plan_link()
    kind = models.CharField(max_length=20, choices=CampaignPlanKind.choices, default=CampaignPlanKind.THEATER)
    parent_plan = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="branch_plans",
                                    help_text="A contingency plan is a branch plan of a campaign plan.")
    supporting_organizations = models.ManyToManyField(Organization, blank=True, related_name="supported_campaign_plans")

    class Meta(PlanDocument.Meta):
        constraints = [
            models.UniqueConstraint(fields=["series", "version"], name="campaign_plan_unique_version"),
            models.CheckConstraint(condition=~Q(kind="contingency") | Q(parent_plan__isnull=False),
                                   name="contingency_plan_has_parent",
                                   violation_error_message="A contingency plan is a branch plan: name its parent "
                                                           "campaign plan."),
        ]
        indexes = [
            models.Index(fields=["owner", "state"]),
            # A command's theater campaign plans routed or in force, by the end of their period: the
            # rival that ``one_theater_plan_per_command_and_period`` looks for at each submission and
            # approval (``planning.workflows.plan_lock_reads``) ends after the plan starts, so the read
            # passes over the command's past plans and its other kinds and states without reading them.
            models.Index(fields=["owner", "period_end"], name="theater_plan_rival_by_period",
                         condition=Q(kind="theater", state__in=("coordination", "review", "approved"))),
        ]
        permissions = [("export_campaignplan", "Can export campaign plans")]

    def clean(self) -> None:
        super().clean()
        if self.owner_id and self.owner.kind not in (OrganizationKind.GEOGRAPHIC_CCMD,
                                                     OrganizationKind.FUNCTIONAL_CCMD):
            raise ValidationError({"owner": "A campaign plan is owned by a combatant command."})
        if self.kind == CampaignPlanKind.CONTINGENCY and not self.parent_plan_id:
            raise ValidationError({"parent_plan": "A contingency plan is a branch plan: name its parent campaign plan."})
        if self.kind != CampaignPlanKind.CONTINGENCY and self.parent_plan_id:
            raise ValidationError({"parent_plan": "Only a contingency plan has a parent campaign plan."})

    OWNER_OF_KIND = {CampaignPlanKind.THEATER: OrganizationKind.GEOGRAPHIC_CCMD,
                     CampaignPlanKind.REGIONAL: OrganizationKind.GEOGRAPHIC_CCMD,
                     CampaignPlanKind.FUNCTIONAL: OrganizationKind.FUNCTIONAL_CCMD}

    @classmethod
    def fields_for_owner(cls, owner: Organization) -> dict:
        return {"kind": CampaignPlanKind.FUNCTIONAL} if owner.kind == OrganizationKind.FUNCTIONAL_CCMD else {}

    def ownership_refusals(self, *, supported_plans=None) -> dict[str, list[str]]:
        """Glossary: theater campaign plans are developed by geographic combatant commands,
        functional campaign plans by functional ones; a command has one theater campaign plan in
        force (approved) for a period: another series may not overlap it (a new version may)."""
        owner = self.owner
        needs = self.OWNER_OF_KIND.get(self.kind)
        if needs and owner.kind != needs:
            kind_words = CampaignPlanKind(self.kind).label.lower()
            hint = " Choose “Functional campaign plan”." if owner.kind == OrganizationKind.FUNCTIONAL_CCMD else ""
            return {"kind": [f"{with_article(kind_words).capitalize()} is developed by a "
                             f"{OrganizationKind(needs).label.lower()} (DoDD 5132.03, Glossary); {owner} is "
                             f"{with_article(OrganizationKind(owner.kind).label)}.{hint}"]}
        in_force = self.theater_plan_rival(states=("approved",))
        if in_force is None:
            return {}
        return {"period_start": [
            f"{owner} already has a theater campaign plan in force from {in_force.period_start} to "
            f"{in_force.period_end} ({in_force.title}); a command has one theater campaign plan per period: "
            "write a new version of it, or choose a period that does not overlap."]}

    @property
    def one_per_period(self) -> bool:
        return self.kind == CampaignPlanKind.THEATER

    def theater_plan_rival(self, *, states) -> CampaignPlan | None:
        """Another plan (another series: not a version of this one) that is this command's theater
        campaign plan for an overlapping period, in one of ``states``; None for a plan that is not a
        theater campaign plan or has no period yet. Encl. 2, 10.a and the Glossary: one theater
        campaign plan in force per command and period."""
        if self.kind != CampaignPlanKind.THEATER or not (self.owner_id and self.period_start and self.period_end):
            return None
        return (CampaignPlan.objects.filter(owner_id=self.owner_id, kind=CampaignPlanKind.THEATER, state__in=states,
                                            period_start__lt=self.period_end, period_end__gt=self.period_start)
                .exclude(series=self.series).select_related("owner").order_by("period_start", "pk").first())

    def route_relation(self, relation: str) -> list[Organization]:
        if relation == "supporting_organizations":
            return list(self.supporting_organizations.all())
        return super().route_relation(relation)

    def seam_participants(self) -> list[tuple[Organization, str]]:
        from organizations.selectors import commands_covering

        on = self.period_start or timezone.localdate()
        countries = [p.country for p in self.partner_considerations.select_related("country")]
        covering = commands_covering(countries=countries, on=on)
        seams: dict[int, tuple[Organization, list[str]]] = {}
        for country in countries:
            command = covering.get(country.pk)
            if command and command.pk != self.owner_id:
                seams.setdefault(command.pk, (command, []))[1].append(country.name)
        return [(command, f"seam: {', '.join(names)} in its area of responsibility on {on:%d %b %Y}")
                for command, names in seams.values()]


class CampaignSupportPlan(PlanDocument, Plan):
    """A DoD Component's campaign support plan, supporting one or more campaign plans."""

    workflow_kind = "campaign_support_plan"
    reference_name = "support_plan"
    link_lists = ("supported_plans",)
    gap_reads = ("supported_plans",)
    owner_approves = True  # signed by the owning component
    # Who may own one: the DoD Components (Encl. 2, 7.b, 8.b), and a combatant command supporting
    # another command's plan (``planning.services.plan_ownership_refusals``).
    owner_kinds = (OrganizationKind.MILITARY_DEPARTMENT, OrganizationKind.DEFENSE_AGENCY,
                   OrganizationKind.FIELD_ACTIVITY, OrganizationKind.OSD_PSA, OrganizationKind.MILITARY_SERVICE,
                   OrganizationKind.GEOGRAPHIC_CCMD, OrganizationKind.FUNCTIONAL_CCMD)

    plan_ptr = plan_link()
    supported_plans = models.ManyToManyField(CampaignPlan, blank=True, related_name="support_plans")

    class Meta(PlanDocument.Meta):
        constraints = [models.UniqueConstraint(fields=["series", "version"], name="support_plan_unique_version")]
        indexes = [models.Index(fields=["owner", "state"])]
        permissions = [("export_campaignsupportplan", "Can export campaign support plans")]

    def clean(self) -> None:
        super().clean()
        if self.owner_id and self.owner.kind not in self.owner_kinds:
            raise ValidationError({"owner": "A campaign support plan is owned by a Military Department, Defense "
                                            "Agency, Field Activity, an OSD office, or a combatant command "
                                            "supporting another command's plan."})

    def ownership_refusals(self, *, supported_plans=None) -> dict[str, list[str]]:
        """Encl. 2, 10.b and the Glossary: a combatant command writes a campaign support plan only in
        support of another command's plan."""
        if self.owner.kind not in (OrganizationKind.GEOGRAPHIC_CCMD, OrganizationKind.FUNCTIONAL_CCMD):
            return {}
        if supported_plans is None:
            supported_plans = list(self.supported_plans.all()) if self.pk else []
        own = [plan.title for plan in supported_plans if plan.owner_id == self.owner_id]
        if not own:
            return {}
        return {"supported_plans": [f"A combatant command writes a campaign support plan only in support of "
                                    f"another command's plan; {self.owner} owns {', '.join(own)}."]}

    def kind_specific_gaps(self) -> list[str]:
        if not self.supported_plans.exists():
            return ["Name the campaign plans this plan supports."]
        return []

    def route_relation(self, relation: str) -> list[Organization]:
        if relation == "supported_commands":
            return list(Organization.objects.filter(campaignplan_owned__in=self.supported_plans.all()).distinct())
        return super().route_relation(relation)


class ScanResult(models.TextChoices):
    CLEAN = "clean", "Scanned: no malware found"
    NOT_SCANNED = "not_scanned", "Not scanned (no scanner configured)"


def annex_path(annex: PlanAnnex, filename: str) -> str:
    # The stored name says nothing of the plan or the file (the title and name are in the row).
    return f"annexes/{uuid.uuid4().hex}"


class PlanAnnex(MarkingFields):
    """A file attached to a plan as an annex: portion-marked, size-limited, its type read from its
    content, scanned for malware where a scanner is configured, kept through Django's storage API
    and served only to those who may see the plan (``planning.annexes``)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="annexes")
    letter = models.CharField("annex", max_length=10, help_text="e.g. A, B, C")
    title = models.CharField(max_length=300)
    file = models.FileField(upload_to=annex_path, max_length=200, editable=False)
    original_name = models.CharField(max_length=255, editable=False)
    content_type = models.CharField(max_length=100, editable=False, help_text="As read from the content.")
    size = models.PositiveBigIntegerField(editable=False)
    sha256 = models.CharField(max_length=64, editable=False)
    scan_result = models.CharField(max_length=20, choices=ScanResult.choices, editable=False)
    scan_detail = models.CharField(max_length=300, blank=True, editable=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    editable=False)
    uploaded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["letter", "pk"]
        verbose_name = "annex"
        verbose_name_plural = "annexes"
        constraints = [models.UniqueConstraint(fields=["plan", "letter"], name="annex_unique_letter_per_plan")]

    def __str__(self) -> str:
        return f"Annex {self.letter}: {self.title}"
