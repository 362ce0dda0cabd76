"""The security cooperation workforce (DoDD 5132.03, Encl. 2, 4.e, 2.b, 2.g, 6.b, 6.c, 8.j): the
training and certification each SCO billet requires, the people who fill the billets, with their
certifications, training, languages (ILR proficiency) and regional experience, and the periodic
readiness report DSCA submits to USD(P&R) (a routed kind: ``workforce.workflows``).

A personnel record is about a person: it is need-to-know (``workforce.selectors``): the owning
office, its supervising command, USD(P&R) and DSCA, on every channel. Demo records carry
role-like identifiers ("SCO billet holder 0001, training record"), never a name."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import FSMField

from manpower.models import ManningAuthorization
from organizations.models import Organization, OrganizationKind
from security.models import MarkingFields
from workflow.models import RoutedDocument

KIND = "workforce_readiness_report"


class CertificationLevel(models.IntegerChoices):
    """The security cooperation workforce certification levels (DSCU's program)."""

    BASIC = 1, "Basic"
    INTERMEDIATE = 2, "Intermediate"
    ADVANCED = 3, "Advanced"
    EXPERT = 4, "Expert"


class Region(models.TextChoices):
    """Regions of expertise, as the geographic combatant commands' areas divide the world."""

    AFRICA = "africa", "Africa"
    EUROPE_EURASIA = "europe_eurasia", "Europe and Eurasia"
    MIDDLE_EAST = "middle_east", "Middle East, Central and South Asia"
    INDO_PACIFIC = "indo_pacific", "Indo-Pacific"
    WESTERN_HEMISPHERE = "western_hemisphere", "Western Hemisphere"


ILR_LEVELS = [("0", "0"), ("0+", "0+"), ("1", "1"), ("1+", "1+"), ("2", "2"), ("2+", "2+"), ("3", "3"),
              ("3+", "3+"), ("4", "4"), ("4+", "4+"), ("5", "5")]
ILR_ORDER = {value: index for index, (value, _label) in enumerate(ILR_LEVELS)}


class BilletRequirement(models.Model):
    """What a billet of an SCO's authorized manning requires of whoever fills it: a workforce
    certification level, a training course, and optionally a language at an ILR level and a
    region. Written by ``workforce.services.requirement_set`` (one per authorization row)."""

    authorization = models.OneToOneField(ManningAuthorization, on_delete=models.PROTECT, related_name="requirement")
    certification_level = models.PositiveSmallIntegerField(choices=CertificationLevel.choices,
                                                           default=CertificationLevel.BASIC)
    training = models.CharField(max_length=120, blank=True,
                                help_text="A course the billet requires, e.g. “Security Cooperation Management "
                                          "Overseas (SCM-O)”.")
    language = models.CharField(max_length=60, blank=True, help_text="A language the billet requires, if any.")
    language_level = models.CharField("ILR level (speaking)", max_length=2, choices=ILR_LEVELS, blank=True)
    region = models.CharField(max_length=30, choices=Region.choices, blank=True)

    class Meta:
        ordering = ["authorization"]
        constraints = [
            models.CheckConstraint(condition=Q(language="") | ~Q(language_level=""),
                                   name="requirement_language_has_level",
                                   violation_error_message="A required language needs its ILR level."),
        ]

    def __str__(self) -> str:
        return f"{self.authorization}: {self.get_certification_level_display()}"


class PersonnelRecord(models.Model):
    """A person of the security cooperation workforce (personally identifiable: need-to-know).
    Owned by the office that keeps the record (an SCO, a command, an agency), supervised by that
    office's geographic command; may fill a billet of an SCO (an authorization row)."""

    identifier = models.CharField(max_length=120, unique=True,
                                  help_text="The record's identifier in the personnel system; demo records use "
                                            "role-like identifiers, never names.")
    owner = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+",
                              help_text="The office that keeps the record.")
    supervising_command = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.PROTECT,
                                            related_name="+", editable=False,
                                            help_text="The owning office's geographic command (need-to-know).")
    billet = models.ForeignKey(ManningAuthorization, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="holders", help_text="The SCO billet the person fills.")
    assigned_on = models.DateField(null=True, blank=True)
    assignment_ends_on = models.DateField(null=True, blank=True)
    grade = models.CharField(max_length=5, blank=True)
    service = models.CharField(max_length=20, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["identifier"]
        verbose_name = "personnel record"
        indexes = [models.Index(fields=["owner"]), models.Index(fields=["supervising_command"])]
        constraints = [
            models.CheckConstraint(condition=Q(assignment_ends_on__isnull=True) | Q(assigned_on__isnull=True)
                                   | Q(assignment_ends_on__gt=models.F("assigned_on")),
                                   name="personnel_assignment_ends_after_it_starts",
                                   violation_error_message="The assignment ends after it starts."),
        ]

    def __str__(self) -> str:
        return self.identifier


class QualificationKind(models.TextChoices):
    CERTIFICATION = "certification", "Workforce certification"
    TRAINING = "training", "Training course"


class Qualification(models.Model):
    """A certification (with its level) or a completed training course of a person, with the
    date it expires (certifications lapse; reminders go out before: ``services.expiry_reminders_send``)."""

    person = models.ForeignKey(PersonnelRecord, on_delete=models.CASCADE, related_name="qualifications")
    kind = models.CharField(max_length=20, choices=QualificationKind.choices)
    name = models.CharField(max_length=120)
    level = models.PositiveSmallIntegerField(choices=CertificationLevel.choices, null=True, blank=True)
    completed_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["person", "kind", "-completed_on"]
        constraints = [
            models.CheckConstraint(condition=Q(kind="training") | Q(level__isnull=False),
                                   name="certification_has_level",
                                   violation_error_message="A certification needs its level."),
            models.CheckConstraint(condition=Q(expires_on__isnull=True) | Q(expires_on__gt=models.F("completed_on")),
                                   name="qualification_expires_after_completion",
                                   violation_error_message="It expires after it was completed."),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class LanguageProficiency(models.Model):
    """A language a person speaks, with ILR levels (Interagency Language Roundtable, 0 to 5)."""

    person = models.ForeignKey(PersonnelRecord, on_delete=models.CASCADE, related_name="languages")
    language = models.CharField(max_length=60)
    listening = models.CharField(max_length=2, choices=ILR_LEVELS)
    reading = models.CharField(max_length=2, choices=ILR_LEVELS)
    speaking = models.CharField(max_length=2, choices=ILR_LEVELS)
    tested_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["person", "language"]
        constraints = [models.UniqueConstraint(fields=["person", "language"], name="one_proficiency_per_language")]

    def __str__(self) -> str:
        return f"{self.language} {self.listening}/{self.reading}/{self.speaking}"


class RegionalExpertise(models.Model):
    """A region a person knows, with years of experience there (regional and cultural expertise)."""

    person = models.ForeignKey(PersonnelRecord, on_delete=models.CASCADE, related_name="regions")
    region = models.CharField(max_length=30, choices=Region.choices)
    years = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["person", "region"]
        constraints = [models.UniqueConstraint(fields=["person", "region"], name="one_expertise_per_region")]

    def __str__(self) -> str:
        return f"{self.get_region_display()} ({self.years} years)"


class ReportState(models.TextChoices):
    DRAFT = "draft", "Draft"
    REVIEW = "review", "Submitted to USD(P&R)"
    ACCEPTED = "accepted", "Accepted by USD(P&R)"
    RETURNED = "returned", "Returned for rework"
    WITHDRAWN = "withdrawn", "Withdrawn"


EDITABLE = (ReportState.DRAFT, ReportState.RETURNED)


class WorkforceReadinessReport(RoutedDocument, MarkingFields):
    """The periodic readiness report of the security cooperation workforce that DSCA submits to
    USD(P&R) (Encl. 2, 2.b, 2.g, 6.b, 6.c): for a period, the readiness rows (by command, SCO and
    region: billets, filled, filled by qualified people, gaps, certifications expiring) frozen when
    it is submitted, and DSCA's assessment. Rows hold counts, never a person."""

    workflow_kind = KIND
    owner_kinds = (OrganizationKind.DEFENSE_AGENCY,)

    title = models.CharField(max_length=300)
    period_start = models.DateField()
    period_end = models.DateField()
    assessment = models.TextField("DSCA's assessment", blank=True)
    rows = models.JSONField(default=list, blank=True, editable=False,
                            help_text="The readiness rows as of submission (counts by SCO).")
    as_of = models.DateField(null=True, blank=True, editable=False, help_text="The day the rows were read.")
    state = FSMField(default=ReportState.DRAFT, choices=ReportState.choices, protected=True, db_index=True)
    return_reason = models.TextField(blank=True, editable=False)
    decision_note = models.TextField(blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-period_end", "-updated_at"]
        verbose_name = "workforce readiness report"
        constraints = [
            models.CheckConstraint(condition=Q(period_end__gt=models.F("period_start")),
                                   name="readiness_report_period_ends_after_it_starts",
                                   violation_error_message="The period ends after it starts."),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE

