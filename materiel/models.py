"""Materiel diversion requests (DoDD 5132.03, Encl. 2, 1.g, 9.f, 9.g): a combatant command or a
Military Department asks to divert materiel or equipment to a partner; USD(P) decides in
consultation with DSCA (1.g), and when DSCA cannot resolve competing partner needs the Chairman
recommends priorities first (9.g). The partner's force/activity designator is the Chairman's
(9.f, ``organizations.FADAssignment``). Who may move a request, when, and what happens then reads top
to bottom in ``materiel.workflows``."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django_fsm import FSMField

from organizations.models import Country, ForceActivityDesignator, OrganizationKind
from security.models import MarkingFields
from workflow.models import RoutedDocument

KIND = "materiel_diversion_request"


class Urgency(models.TextChoices):
    ROUTINE = "routine", "Routine"
    PRIORITY = "priority", "Priority"
    URGENT = "urgent", "Urgent (operational need)"


class DiversionState(models.TextChoices):
    DRAFT = "draft", "Draft"
    CONSULTATION = "consultation", "In consultation with DSCA"
    PRIORITIES = "priorities", "Awaiting the Chairman's priority recommendation"
    DECISION = "decision", "Awaiting the USD(P) decision"
    APPROVED = "approved", "Approved"
    DISAPPROVED = "disapproved", "Disapproved"
    RETURNED = "returned", "Returned for rework"
    WITHDRAWN = "withdrawn", "Withdrawn"


PARTNER_NONE = "Name the partner it goes to: a partner country or a partner organization."
PARTNER_ONE = "Name one partner: a partner country or a partner organization, not both."
PARTNER_EXACTLY_ONE = "Name the partner it goes to: one partner country or one partner organization, not both."

IN_FLIGHT = (DiversionState.CONSULTATION, DiversionState.PRIORITIES, DiversionState.DECISION)
EDITABLE = (DiversionState.DRAFT, DiversionState.RETURNED)


class MaterielDiversionRequest(RoutedDocument, MarkingFields):
    """A request to divert materiel or equipment (item, quantity, source) to a partner country or
    a partner organization (one of the two, as a FAD names its partner), with its justification and urgency. Owned by the requesting office (a combatant command or a
    Military Department); DSCA consults (1.g) and says whether competing partner needs remain
    unresolved; the Chairman then recommends priorities (9.g); USD(P) approves or disapproves
    (1.g)."""

    workflow_kind = KIND
    owner_kinds = (OrganizationKind.GEOGRAPHIC_CCMD, OrganizationKind.FUNCTIONAL_CCMD,
                   OrganizationKind.MILITARY_DEPARTMENT)

    title = models.CharField(max_length=300)
    item = models.CharField(max_length=200, help_text="The materiel or equipment, e.g. “M1151 HMMWV, armored”.")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    unit = models.CharField(max_length=40, default="each", help_text="Each, set, lot, round...")
    source = models.CharField(max_length=200, help_text="Where it is diverted from: a stock, a program, a unit, "
                                                        "an FMS case.")
    partner = models.ForeignKey(Country, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                help_text="The partner country it goes to (or name a partner organization).")
    partner_organization = models.CharField(max_length=200, blank=True,
                                            help_text="Or the partner organization it goes to (instead of a country), "
                                                      "by its name: “NATO Support and Procurement Agency”.")
    justification = models.TextField(blank=True)
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.ROUTINE)
    needed_by = models.DateField(null=True, blank=True)

    state = FSMField(default=DiversionState.DRAFT, choices=DiversionState.choices, protected=True, db_index=True)
    competing_needs = models.TextField(blank=True, editable=False,
                                       help_text="DSCA: the partners competing for the same materiel, and why it "
                                                 "cannot resolve them.")
    dsca_advice = models.TextField("DSCA advice", blank=True, editable=False)
    priority_recommendation = models.TextField(blank=True, editable=False,
                                               help_text="The Chairman's recommended priorities.")
    partner_fad_at_decision = models.CharField("partner's FAD at the decision", max_length=3, blank=True,
                                               choices=ForceActivityDesignator.choices, editable=False)
    return_reason = models.TextField(blank=True, editable=False)
    decision_note = models.TextField(blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = "materiel diversion request"
        indexes = [models.Index(fields=["owner", "state"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="diversion_quantity_positive"),
            # One partner, as a FAD names one (``organizations.FADAssignment``): a country or an organization.
            models.CheckConstraint(condition=models.Q(partner__isnull=False, partner_organization="")
                                   | models.Q(partner__isnull=True) & ~models.Q(partner_organization=""),
                                   name="diversion_names_one_partner",
                                   violation_error_message=PARTNER_EXACTLY_ONE),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE

    @property
    def partner_name(self) -> str:
        """The partner's name: the country's, or the partner organization's."""
        return self.partner.name if self.partner_id else self.partner_organization

    @property
    def partner_fad(self):
        """The partner's (country or organization) FAD assignment in force today (``organizations``), or None."""
        from organizations.selectors import fad_of_partner

        return fad_of_partner(country=self.partner_id, partner_organization=self.partner_organization)
