"""Security cooperation organizations (SCOs), their authorized manning over time, and the
requests that change it (SCO joint manpower programs: DoDD 5132.03, Encl. 2, 2.f, 6.a, 10.e).
Who may move a request, when, and what happens then reads top to bottom in
``manpower.workflows``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import FSMField

from organizations.models import Country, Organization, OrganizationKind
from security.models import MarkingFields
from workflow.models import RoutedDocument

KIND = "manpower_change_request"


def _grades() -> list[tuple[str, str]]:
    officers = [(f"O-{n}", f"O-{n}") for n in range(1, 11)]
    warrants = [(f"W-{n}", f"W-{n}") for n in range(1, 6)]
    enlisted = [(f"E-{n}", f"E-{n}") for n in range(1, 10)]
    civilians = [(f"GS-{n}", f"GS-{n}") for n in range(7, 16)]
    return [*officers, *warrants, *enlisted, *civilians, ("SES", "SES"), ("LE", "Locally employed staff")]


GRADES = _grades()


class Service(models.TextChoices):
    """Who fills the billet: a Military Department's Service, a DoD civilian or locally employed staff."""

    ARMY = "army", "Army"
    NAVY = "navy", "Navy"
    MARINE_CORPS = "marine_corps", "Marine Corps"
    AIR_FORCE = "air_force", "Air Force"
    SPACE_FORCE = "space_force", "Space Force"
    CIVILIAN = "civilian", "DoD civilian"
    LOCAL = "local", "Locally employed staff"


class SecurityCooperationOrganization(models.Model):
    """An SCO (glossary: a DoD organization permanently located in a foreign country, whatever
    its name) as the reference data names it: the organization its people are members of, its
    host country, the Chief of Mission it serves under (the embassy: a title, never a person), and
    its SDO/DATT office. Its supervising geographic combatant command is the organization's
    ``supervised_by``, which must be the command whose area of responsibility holds the host
    country on the day (``manpower.selectors.supervision_refusals``)."""

    organization = models.OneToOneField(Organization, on_delete=models.PROTECT,
                                        related_name="security_cooperation_organization",
                                        limit_choices_to={"kind": OrganizationKind.SCO})
    host_country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="+")
    chief_of_mission = models.CharField(max_length=200, help_text="The embassy's chief of mission, as a title: "
                                                                  "“U.S. Ambassador to Türkiye (U.S. Embassy Ankara)”.")
    sdo_datt_office = models.CharField("SDO/DATT office", max_length=200,
                                       help_text="The senior defense official / defense attaché's office.")
    source_url = models.URLField("source", max_length=300, blank=True,
                                 help_text="Where the name is published (an embassy or DSCU page).")
    source_note = models.CharField(max_length=300, blank=True)
    established_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["organization__name"]
        verbose_name = "security cooperation organization"

    def __str__(self) -> str:
        return self.organization.name

    @property
    def supervising_command(self) -> Organization | None:
        return self.organization.supervised_by


class ManningAuthorization(models.Model):
    """Billets authorized at an SCO for a period: a position with its grade, Service and skill.
    Never deleted or rewritten: a change ends the current row (``effective_until``, exclusive)
    and starts a new one, so the history of authorizations is kept. Written only by
    ``manpower.services`` (an approved request, or the demo's baseline)."""

    sco = models.ForeignKey(SecurityCooperationOrganization, on_delete=models.PROTECT, related_name="authorizations")
    position = models.CharField(max_length=120, help_text="E.g. “Chief, Office of Defense Cooperation”.")
    grade = models.CharField(max_length=5, choices=GRADES)
    service = models.CharField(max_length=20, choices=Service.choices)
    skill = models.CharField(max_length=80, blank=True, help_text="Specialty, e.g. “Foreign area officer (48G)”.")
    billets = models.PositiveSmallIntegerField(default=1)
    effective_from = models.DateField()
    effective_until = models.DateField(null=True, blank=True, help_text="Exclusive; empty while current.")
    request = models.ForeignKey("ManpowerChangeRequest", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="authorizations_made",
                                help_text="The approved request that made it (empty for the baseline).")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["sco", "position", "effective_from"]
        constraints = [
            models.CheckConstraint(condition=Q(effective_until__isnull=True) | Q(effective_until__gt=models.F("effective_from")),
                                   name="manning_until_after_from"),
            models.UniqueConstraint(fields=["sco", "position"], condition=Q(effective_until__isnull=True),
                                    name="manning_one_current_row_per_position"),
            models.CheckConstraint(condition=Q(billets__gte=1), name="manning_at_least_one_billet"),
        ]

    def __str__(self) -> str:
        return f"{self.sco.organization.acronym}: {self.position} ({self.grade}, {self.get_service_display()})"


class ChangeType(models.TextChoices):
    ESTABLISH = "establish", "Establish a new security cooperation organization"
    AUTHORIZATIONS = "authorizations", "Change manpower authorizations"
    STRUCTURE = "structure", "Change organizational structure"
    CHIEF_GRADE = "chief_grade", "Change grade, rank or Military Department affiliation of the Chief of the SCO"
    SDO_DATT_GRADE = "sdo_datt_grade", "Change grade or Military Department affiliation of the SDO/DATT"


class RequestState(models.TextChoices):
    DRAFT = "draft", "Draft"
    ENDORSEMENT = "endorsement", "Awaiting command endorsement"
    COORDINATION = "coordination", "In coordination (USD(P&R) input, Joint Staff)"
    APPROVAL = "approval", "Awaiting DSCA approval"
    JOINT_APPROVAL = "joint_approval", "Awaiting DIA joint approval"
    APPROVED = "approved", "Approved"
    DISAPPROVED = "disapproved", "Disapproved"
    RETURNED = "returned", "Returned for rework"
    WITHDRAWN = "withdrawn", "Withdrawn"


IN_FLIGHT = (RequestState.ENDORSEMENT, RequestState.COORDINATION, RequestState.APPROVAL,
             RequestState.JOINT_APPROVAL)
EDITABLE = (RequestState.DRAFT, RequestState.RETURNED)


class ManpowerChangeRequest(RoutedDocument, MarkingFields):
    """A request to change an SCO joint manpower program: establish an SCO, change its manpower
    authorizations or organizational structure, or the grade / Military Department affiliation of
    its chief or of the SDO/DATT; its requested billets are line items (``RequestedBillet``).
    Owned by the SCO (or, to establish one, by the supervising command); routed through the
    command's endorsement, USD(P&R)'s input and the Joint Staff's coordination to DSCA's approval
    (jointly with DIA for the SDO/DATT)."""

    workflow_kind = KIND
    # Who may own one: the SCO itself, or its geographic combatant command (organizations.authority).
    owner_kinds = (OrganizationKind.SCO, OrganizationKind.GEOGRAPHIC_CCMD)

    title = models.CharField(max_length=300)
    change_type = models.CharField(max_length=20, choices=ChangeType.choices)
    sco = models.ForeignKey(SecurityCooperationOrganization, null=True, blank=True, on_delete=models.PROTECT,
                            related_name="requests", verbose_name="SCO",
                            help_text="The SCO whose program changes (empty only to establish a new one).")
    host_country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="+")
    supervising_command = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+",
                                            editable=False,
                                            help_text="The geographic command covering the host country, "
                                                      "as of the request's last submission.")
    proposed_name = models.CharField(max_length=200, blank=True, help_text="To establish an SCO: its name.")
    proposed_acronym = models.CharField(max_length=40, blank=True, help_text="To establish an SCO: its acronym.")
    chief_of_mission = models.CharField(max_length=200, blank=True,
                                        help_text="To establish an SCO: the embassy's chief of mission, as a title.")
    sdo_datt_office = models.CharField("SDO/DATT office", max_length=200, blank=True,
                                       help_text="To establish an SCO: the SDO/DATT office it serves.")
    justification = models.TextField(blank=True)
    effective_on = models.DateField("requested effective date", null=True, blank=True)

    state = FSMField(default=RequestState.DRAFT, choices=RequestState.choices, protected=True, db_index=True)
    return_reason = models.TextField(blank=True, editable=False)
    decision_note = models.TextField(blank=True, editable=False)
    approved_effective_on = models.DateField(null=True, blank=True, editable=False,
                                             help_text="The date the approved authorizations take effect.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = "SCO manpower change request"
        indexes = [models.Index(fields=["owner", "state"]), models.Index(fields=["supervising_command", "state"])]
        constraints = [
            models.CheckConstraint(condition=Q(change_type="establish") | Q(sco__isnull=False),
                                   name="manpower_request_names_its_sco",
                                   violation_error_message="Name the SCO whose program changes."),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def sco_name(self) -> str:
        return self.sco.organization.name if self.sco_id else self.proposed_name

    @property
    def needs_joint_approval(self) -> bool:
        """Encl. 2, 2.f: a change to the SDO/DATT's grade or Military Department affiliation is
        approved by DSCA jointly with DIA."""
        return self.change_type == ChangeType.SDO_DATT_GRADE

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE

    def route_relation(self, relation: str) -> list[Organization]:
        if relation == "supervising_command":
            return [self.supervising_command]
        return super().route_relation(relation)


class BilletAction(models.TextChoices):
    ADD = "add", "Add a position"
    CHANGE = "change", "Change a position (grade, Service, skill or number)"
    ABOLISH = "abolish", "Abolish a position"


class RequestedBillet(models.Model):
    """One line of a request: a position to add, change or abolish, with the grade, Service,
    skill and number of billets asked for (an abolished position needs none of them)."""

    request = models.ForeignKey(ManpowerChangeRequest, on_delete=models.CASCADE, related_name="billets")
    action = models.CharField(max_length=10, choices=BilletAction.choices, default=BilletAction.ADD)
    position = models.CharField(max_length=120)
    grade = models.CharField(max_length=5, choices=GRADES, blank=True)
    service = models.CharField(max_length=20, choices=Service.choices, blank=True)
    skill = models.CharField(max_length=80, blank=True)
    billets = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["pk"]
        verbose_name = "requested billet"

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.position}"

    @property
    def net_billets(self) -> int:
        """Billets this line adds (negative: removes), before what it replaces is counted."""
        return -self.billets if self.action == BilletAction.ABOLISH else self.billets
