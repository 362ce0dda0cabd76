"""Who is who in security cooperation: organizations, countries, areas of responsibility,
memberships with roles, and delegations ("acting for")."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from django_countries.fields import CountryField


class OrganizationKind(models.TextChoices):
    OSD_PSA = "osd_psa", "OSD principal staff assistant"
    JOINT_STAFF = "joint_staff", "Joint Staff or directorate"
    GEOGRAPHIC_CCMD = "geographic_ccmd", "Geographic combatant command"
    FUNCTIONAL_CCMD = "functional_ccmd", "Functional combatant command"
    MILITARY_DEPARTMENT = "military_department", "Military Department"
    MILITARY_SERVICE = "military_service", "Military Service"
    DEFENSE_AGENCY = "defense_agency", "Defense Agency"
    FIELD_ACTIVITY = "field_activity", "DoD Field Activity"
    SCO = "sco", "Security cooperation organization"
    OTHER = "other", "Other"


COMBATANT_COMMAND_KINDS = (OrganizationKind.GEOGRAPHIC_CCMD, OrganizationKind.FUNCTIONAL_CCMD)
COMPONENT_KINDS = (
    OrganizationKind.MILITARY_DEPARTMENT,
    OrganizationKind.DEFENSE_AGENCY,
    OrganizationKind.FIELD_ACTIVITY,
    OrganizationKind.OSD_PSA,
)


class Organization(models.Model):
    name = models.CharField(max_length=200)
    acronym = models.CharField(max_length=40, help_text="Unique among active organizations.")
    kind = models.CharField(max_length=30, choices=OrganizationKind.choices, db_index=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
        help_text="Where it sits in the tree, e.g. J5 under the Joint Staff.",
    )
    supervised_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="supervises",
        help_text="For a security cooperation organization: its geographic combatant command.",
    )
    active = models.BooleanField(default=True)
    active_from = models.DateField(null=True, blank=True)
    active_until = models.DateField(null=True, blank=True, help_text="Exclusive; empty while active.")
    current_name = models.CharField(
        max_length=200, blank=True,
        help_text="Today's name where it differs from the directive's (e.g. CAPE for PA&E).",
    )
    current_acronym = models.CharField(max_length=40, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["acronym"]
        constraints = [
            models.UniqueConstraint(
                Upper("acronym"), condition=Q(active=True), name="organization_unique_active_acronym",
                violation_error_message="Another active organization already uses this acronym.",
            ),
        ]

    def __str__(self) -> str:
        return self.acronym

    @property
    def is_combatant_command(self) -> bool:
        return self.kind in COMBATANT_COMMAND_KINDS

    def ancestors(self) -> list[Organization]:
        chain, node, seen = [], self.parent, {self.pk}
        while node is not None and node.pk not in seen:
            chain.append(node)
            seen.add(node.pk)
            node = node.parent
        return chain

    def clean(self) -> None:
        errors = {}
        cycle = self._cycle_through_parent()
        if cycle:
            errors["parent"] = (
                f"{self.parent} cannot be the parent of {self.acronym or 'this organization'}: "
                f"the tree would run in a circle ({' → '.join(cycle)})."
            )
        elif self.parent_id and self.active and not self.parent.active:
            errors["parent"] = f"{self.parent} is inactive; an active organization needs an active parent."
        if self.supervised_by_id:
            if self.supervised_by_id == self.pk:
                errors["supervised_by"] = "An organization cannot supervise itself."
            elif self.supervised_by.kind != OrganizationKind.GEOGRAPHIC_CCMD:
                errors["supervised_by"] = (
                    f"{self.supervised_by} is not a geographic combatant command; only a geographic "
                    "combatant command supervises a security cooperation organization."
                )
        if self.active_from and self.active_until and self.active_until <= self.active_from:
            errors["active_until"] = "The end of the active period must be after its start."
        if self.pk is not None and self.active_from:
            earlier = self.memberships.filter(start__lt=self.active_from).count()
            if earlier:
                errors["active_from"] = (f"{earlier} memberships start before {self.active_from}; "
                                         "the organization must be active from their start.")
        if errors:
            raise ValidationError(errors)

    def _cycle_through_parent(self) -> list[str]:
        """The acronyms around the loop if ``parent`` leads back to this organization, else []."""
        if self.pk is None:
            return []
        chain, node, seen = [self.acronym], self.parent, set()
        while node is not None and node.pk not in seen:
            chain.append(node.acronym)
            if node.pk == self.pk:
                return chain
            seen.add(node.pk)
            node = node.parent
        return []


class OrganizationNameHistory(models.Model):
    """A rename keeps the earlier name: plans written under it still read as they did."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="name_history")
    name = models.CharField(max_length=200)
    acronym = models.CharField(max_length=40)
    changed_at = models.DateTimeField(auto_now_add=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, editable=False)

    class Meta:
        ordering = ["-changed_at"]
        verbose_name_plural = "organization name history"

    def __str__(self) -> str:
        return f"{self.acronym} (until {self.changed_at:%Y-%m-%d})"


class Country(models.Model):
    """An ISO 3166-1 country or area; names come from django-countries, not a hand-typed list."""

    code = CountryField(unique=True)
    exists_from = models.DateField(
        null=True, blank=True,
        help_text="The day the country came into being, where that is after the directive (South Sudan "
                  "2011-07-09); no area-of-responsibility period starts before it.")
    exists_source = models.CharField(max_length=300, blank=True, db_default="",
                                     help_text="The primary source of that date.")

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "countries"

    def __str__(self) -> str:
        return f"{self.code.name} ({self.code.code})"

    @property
    def name(self) -> str:
        return self.code.name


class AreaOfResponsibility(models.Model):
    """One period in which a geographic combatant command covered a country. Periods of one
    country never overlap; ``end`` is exclusive and empty while current."""

    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="aor_periods")
    command = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="aor_periods",
        limit_choices_to={"kind": OrganizationKind.GEOGRAPHIC_CCMD},
    )
    start = models.DateField()
    end = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["country", "start"]
        verbose_name = "area of responsibility period"
        indexes = [models.Index(fields=["country", "start", "end"])]
        constraints = [
            models.UniqueConstraint(fields=["country", "start"], name="aor_one_period_per_country_start"),
            models.CheckConstraint(condition=Q(end__isnull=True) | Q(end__gt=models.F("start")),
                                   name="aor_end_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.country.code.code}: {self.command} from {self.start}" + (f" to {self.end}" if self.end else "")

    def clean(self) -> None:
        if self.command_id and self.command.kind != OrganizationKind.GEOGRAPHIC_CCMD:
            raise ValidationError({"command": "Only a geographic combatant command has an area of responsibility."})
        if not self.country_id or not self.start:
            return
        if self.country.exists_from and self.start < self.country.exists_from:
            raise ValidationError({"start": f"{self.country.code.name} exists only from {self.country.exists_from} "
                                            f"({self.country.exists_source or 'reference data'}); a period cannot "
                                            "start before it."})
        command = self.command if self.command_id else None
        if command and command.active_from and self.start < command.active_from:
            raise ValidationError({"start": f"{command} exists only from {command.active_from}; a period of its "
                                            "area of responsibility cannot start before it."})
        command = self.command if self.command_id else None
        if command and command.active_until and (self.end is None or self.end > command.active_until):
            raise ValidationError({"end": f"{command} was deactivated on {command.active_until}; "
                                          "the period must end by then."})
        overlapping = AreaOfResponsibility.objects.filter(country_id=self.country_id).exclude(pk=self.pk)
        overlapping = overlapping.filter(Q(end__isnull=True) | Q(end__gt=self.start))
        if self.end:
            overlapping = overlapping.filter(start__lt=self.end)
        clash = overlapping.select_related("command").first()
        if clash:
            raise ValidationError(
                f"{self.country.code.name} is already covered by {clash.command} from {clash.start}"
                f"{' to ' + str(clash.end) if clash.end else ''}; periods of one country may not overlap."
            )


class OrganizationSuccession(models.Model):
    """From ``start``, ``successor`` holds (some of) the duties ``predecessor`` held: USD(AT&L)'s
    passed to USD(A&S) and USD(R&E) on 1 Feb 2018, PA&E's to CAPE in 2009, USAID's to the
    Department of State in 2025. A tasker for the predecessor issued on or after ``start`` goes to
    its successors (``organizations.selectors.successors_on``); history keeps the predecessor's
    name, used at the time. Written by the reference data loader, with ``source``."""

    predecessor = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="successions")
    successor = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="successions_from")
    start = models.DateField(help_text="The first day the successor holds the duties.")
    duties = models.CharField(max_length=300, help_text="Which of the predecessor's duties pass, in words.")
    source = models.CharField(max_length=300, help_text="The primary source of the date.")

    class Meta:
        ordering = ["predecessor", "start", "successor"]
        constraints = [
            models.UniqueConstraint(fields=["predecessor", "successor"], name="succession_once"),
            models.CheckConstraint(condition=~Q(predecessor=models.F("successor")), name="succession_not_to_self"),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor} → {self.successor} from {self.start}"

    def clean(self) -> None:
        if not (self.predecessor_id and self.successor_id and self.start):
            return
        errors = {}
        if self.successor.active_from and self.successor.active_from > self.start:
            errors["start"] = (f"{self.successor} exists only from {self.successor.active_from}; it cannot take "
                               f"over {self.predecessor}'s duties on {self.start}.")
        elif self.predecessor.active_until and self.predecessor.active_until != self.start:
            errors["start"] = (f"{self.predecessor} ended on {self.predecessor.active_until}; its successor takes "
                               "over that day (the periods are contiguous).")
        if not (self.source or "").strip():
            errors["source"] = "Cite the primary source of the date."
        if errors:
            raise ValidationError(errors)


class Role(models.TextChoices):
    ACTION_OFFICER = "action_officer", "Action officer"
    REVIEWER = "reviewer", "Reviewer"
    APPROVER = "approver", "Approver"
    ORG_ADMIN = "org_admin", "Organization administrator"
    AUDITOR = "auditor", "Auditor"


class MembershipQuerySet(models.QuerySet):
    def active(self, *, on: datetime.date | None = None) -> MembershipQuerySet:
        """The memberships current on ``on`` (today by default): started, and not ended (``end``
        is exclusive). Read through ``organizations.selectors.memberships_active``."""
        day = on or timezone.localdate()
        return self.filter(Q(end__isnull=True) | Q(end__gt=day), start__lte=day)


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    is_coordinator = models.BooleanField(
        "designated coordinator", default=False,
        help_text="Authorized in writing to answer coordination requests for the organization.",
    )
    start = models.DateField()
    end = models.DateField(null=True, blank=True, help_text="Exclusive; empty while current.")

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["organization", "role", "user"]
        permissions = [
            ("view_all_memberships", "Can see the memberships of every organization, not only its own"),
        ]
        indexes = [models.Index(fields=["user", "organization", "role"])]
        constraints = [
            models.UniqueConstraint(fields=["user", "organization", "role", "start"], name="membership_unique_start"),
            models.CheckConstraint(condition=Q(end__isnull=True) | Q(end__gt=models.F("start")),
                                   name="membership_end_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}, {self.organization}"

    def clean(self) -> None:
        if not self.organization_id or not self.start:
            return
        org = self.organization
        if not org.active and (org.active_until is None or self.start >= org.active_until):
            raise ValidationError(f"{org} is not active; a membership must fall within its active period.")
        if org.active_from and self.start < org.active_from:
            raise ValidationError({"start": f"{org} is active only from {org.active_from}."})
        if org.active_until and (self.end is None or self.end > org.active_until):
            raise ValidationError({"end": f"{org} is active only until {org.active_until}."})
        if self.end and self.end <= self.start:
            raise ValidationError({"end": "The end must be after the start."})
        if self.user_id and self._state.adding and not self.user.is_active:
            raise ValidationError({"user": f"The account of {self.user} is inactive."})
        if self.user_id and self.role:
            clash = _overlapping(
                Membership.objects.filter(user_id=self.user_id, organization_id=self.organization_id,
                                          role=self.role).exclude(pk=self.pk),
                start=self.start, end=self.end,
            ).first()
            if clash:
                raise ValidationError(
                    f"{self.user} is already {_article(clash.get_role_display())} of {org} "
                    f"{_period(clash.start, clash.end)}; memberships in the same role may not overlap."
                )


def _overlapping(queryset, *, start, end):
    """The rows of ``queryset`` whose [start, end) period meets [start, end); an empty end is open."""
    queryset = queryset.filter(Q(end__isnull=True) | Q(end__gt=start))
    return queryset.filter(start__lt=end) if end else queryset


def _period(start, end) -> str:
    return f"from {start} to {end}" if end else f"from {start} (open-ended)"


def with_article(noun: str) -> str:
    """``noun`` lower-cased after "a" or "an" as it is spoken: "an action officer", "a reviewer"."""
    noun = noun.lower()
    return ("an " if noun[:1] in ("a", "e", "i", "o", "u") else "a ") + noun


_article = with_article


class Delegation(models.Model):
    """An approver (or other role holder) lets another member act in their role for a while.
    Actions taken under it record both people."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="delegations")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.APPROVER)
    delegator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="delegations_given")
    delegate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="delegations_received")
    start = models.DateField()
    end = models.DateField(help_text="Exclusive: the first day the delegator acts again.")
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start"]
        indexes = [models.Index(fields=["delegate", "organization", "role"])]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="delegation_end_after_start"),
            models.CheckConstraint(condition=~Q(delegator=models.F("delegate")), name="delegation_not_to_self"),
        ]

    def __str__(self) -> str:
        return f"{self.delegator} → {self.delegate} ({self.get_role_display()}, {self.organization})"

    def clean(self) -> None:
        if not (self.organization_id and self.delegator_id and self.delegate_id and self.start and self.end):
            return
        if self.end <= self.start:
            raise ValidationError({"end": "The end must be after the start."})
        if self.delegator_id == self.delegate_id:
            raise ValidationError({"delegate": "A delegation must be to another person."})
        if not Membership.objects.active(on=self.start).filter(
            user_id=self.delegator_id, organization_id=self.organization_id, role=self.role
        ).exists():
            raise ValidationError({"delegator": f"The delegator is not {_article(self.get_role_display())} "
                                                f"of {self.organization} on {self.start}."})
        if not Membership.objects.active(on=self.start).filter(
            user_id=self.delegate_id, organization_id=self.organization_id
        ).exists():
            raise ValidationError({"delegate": f"The delegate is not a member of {self.organization} on "
                                               f"{self.start}; a delegation can only go to a member."})
        holding = Membership.objects.active(on=self.start).filter(
            user_id=self.delegator_id, organization_id=self.organization_id, role=self.role
        ).first()
        if holding and holding.end and holding.end < self.end:
            raise ValidationError({"end": f"The delegator is {_article(self.get_role_display())} of "
                                          f"{self.organization} only until {holding.end}; the delegation "
                                          "must end by then."})
        clash = _overlapping(
            Delegation.objects.filter(delegator_id=self.delegator_id, organization_id=self.organization_id,
                                      role=self.role).exclude(pk=self.pk),
            start=self.start, end=self.end,
        ).select_related("delegate").first()
        if clash:
            raise ValidationError(
                f"{self.delegator} already delegated the {self.get_role_display().lower()} role in "
                f"{self.organization} to {clash.delegate} {_period(clash.start, clash.end)}; "
                "delegations of one role may not overlap."
            )


class Designation(models.TextChoices):
    """The offices the directive gives a function to, held by one organization at a time. Who
    reviews, evaluates, issues guidance or owns a procedure follows from these, never from the
    text of an acronym or from an edit of a route."""

    POLICY_OFFICE = "policy_office", "Policy office (USD(P)): guidance, oversight, evaluation"
    JOINT_STAFF = "joint_staff", "Joint Staff office (CJCS, J5): plan review, assessment template and review"
    SECURITY_COOPERATION_AGENCY = "security_cooperation_agency", "Security cooperation agency (DSCA)"
    PROGRAM_ANALYSIS = "program_analysis", "Program analysis office (PA&E, today CAPE)"
    PERSONNEL_READINESS = "personnel_readiness", "Personnel and readiness office (USD(P&R))"
    DEFENSE_INTELLIGENCE = "defense_intelligence", "Defense intelligence office (DIA)"


class OrganizationDesignation(models.Model):
    """One period in which an organization holds a designation. Periods of one designation never
    overlap; ``end`` is exclusive and empty while current. Rows are written by the reference data
    loader or, after a second person approved the change, by ``designation_assign``."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="designations")
    designation = models.CharField(max_length=40, choices=Designation.choices, db_index=True)
    start = models.DateField()
    end = models.DateField(null=True, blank=True, help_text="Exclusive; empty while current.")
    reason = models.CharField(max_length=300, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", editable=False)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["designation", "-start"]
        verbose_name = "designated office"
        constraints = [
            models.CheckConstraint(condition=Q(end__isnull=True) | Q(end__gt=models.F("start")),
                                   name="designation_end_after_start"),
            models.UniqueConstraint(fields=["designation", "start"], name="designation_one_holder_per_start"),
        ]

    def __str__(self) -> str:
        return f"{self.organization}: {self.get_designation_display()} {_period(self.start, self.end)}"

    def clean(self) -> None:
        if not (self.organization_id and self.designation and self.start):
            return
        if self.end and self.end <= self.start:
            raise ValidationError({"end": "The end must be after the start."})
        clash = _overlapping(
            OrganizationDesignation.objects.filter(designation=self.designation).exclude(pk=self.pk),
            start=self.start, end=self.end,
        ).select_related("organization").first()
        if clash:
            raise ValidationError(
                f"{clash.organization} already holds the designation “{self.get_designation_display()}” "
                f"{_period(clash.start, clash.end)}; one organization holds a designation at a time."
            )


# Roles whose grant needs a second person: approving, administering people, reading the whole audit trail.
POWER_ROLES = (Role.APPROVER, Role.ORG_ADMIN, Role.AUDITOR)


class PowerRequestKind(models.TextChoices):
    GRANT_ROLE = "grant_role", "Grant the approver or organization-administrator role"
    CHANGE_DESIGNATION = "change_designation", "Change a designated office"


class PowerRequestState(models.TextChoices):
    REQUESTED = "requested", "Requested (awaiting a second person)"
    APPROVED = "approved", "Approved and applied"
    REFUSED = "refused", "Refused"
    WITHDRAWN = "withdrawn", "Withdrawn"


class PowerRequest(models.Model):
    """A request for a power: making someone an approver or organization administrator of an
    organization, or moving a designated office to another organization. One person asks, a
    second person (another administrator of that organization, or a system administrator)
    decides; only an approval applies the change, through the services. Written only by
    ``organizations.services.power_request_*``."""

    kind = models.CharField(max_length=30, choices=PowerRequestKind.choices)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="power_requests",
        help_text="Where the role is granted, or the organization to hold the designated office.",
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="power_requests_about", verbose_name="person",
                             help_text="Who receives the role (a role request only).")
    role = models.CharField(max_length=20, blank=True, choices=[(r.value, r.label) for r in POWER_ROLES])
    is_coordinator = models.BooleanField("designated coordinator", default=False)
    designation = models.CharField(max_length=40, blank=True, choices=Designation.choices,
                                   help_text="The designated office that changes hands (a designation request only).")
    start = models.DateField()
    end = models.DateField(null=True, blank=True, help_text="Exclusive; empty for open-ended (a role only).")
    reason = models.TextField()
    state = models.CharField(max_length=20, choices=PowerRequestState.choices, default=PowerRequestState.REQUESTED,
                             db_index=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    membership = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                   help_text="The membership the approval created.")
    organization_designation = models.ForeignKey(OrganizationDesignation, null=True, blank=True,
                                                 on_delete=models.PROTECT, related_name="+",
                                                 help_text="The designation period the approval created.")

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = "request for a power"
        verbose_name_plural = "requests for powers"
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="grant_role", user__isnull=False, role__in=[r.value for r in POWER_ROLES],
                             designation="")
                           | Q(kind="change_designation", user__isnull=True, role="", end__isnull=True)
                           & ~Q(designation="")),
                name="power_request_fields_of_its_kind"),
            models.CheckConstraint(condition=Q(end__isnull=True) | Q(end__gt=models.F("start")),
                                   name="power_request_end_after_start"),
            models.CheckConstraint(
                condition=Q(state="requested", decided_by__isnull=True) | ~Q(state="requested")
                & Q(decided_by__isnull=False, decided_at__isnull=False),
                name="power_request_decided_by_someone"),
            models.CheckConstraint(condition=~Q(decided_by=models.F("requested_by")) | Q(state="withdrawn"),
                                   name="power_request_second_person"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk or 'new'}: {self.subject()}"

    def subject(self) -> str:
        if self.kind == PowerRequestKind.GRANT_ROLE:
            role = dict(Role.choices).get(self.role, self.role).lower()
            return f"{self.user} as {role} of {self.organization} from {self.start}"
        designation = dict(Designation.choices).get(self.designation, self.designation)
        return f"{self.organization} to hold “{designation}” from {self.start}"


class ForceActivityDesignator(models.TextChoices):
    """The Chairman's force/activity designators (FAD I highest, V lowest) as they
    rank a partner's claim on materiel (DoDD 5132.03, Encl. 2, 9.f)."""

    FAD_I = "I", "FAD I"
    FAD_II = "II", "FAD II"
    FAD_III = "III", "FAD III"
    FAD_IV = "IV", "FAD IV"
    FAD_V = "V", "FAD V"


class FADAssignment(models.Model):
    """One period in which a partner country or a partner organization (an international or
    regional organization, by name: “NATO Support and Procurement Agency”) held a force/activity
    designator, assigned by the Chairman of the Joint Chiefs of Staff (Encl. 2, 9.f) with its
    rationale. Never rewritten: a new assignment ends the current period on its first day
    (``effective_until``, exclusive) and starts its own, so the history is kept. Written only by
    ``organizations.services.fad_assign``."""

    country = models.ForeignKey(Country, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="fad_assignments")
    partner_organization = models.CharField(max_length=200, blank=True,
                                            help_text="A partner organization (instead of a country), by its name.")
    designator = models.CharField(max_length=3, choices=ForceActivityDesignator.choices)
    effective_from = models.DateField()
    effective_until = models.DateField(null=True, blank=True, help_text="Exclusive; empty while current.")
    rationale = models.TextField()
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", help_text="Empty only for the reference data's baseline.")
    assigned_for = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                     help_text="The Chairman's office the assigner acted for.")
    assigned_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["country", "partner_organization", "-effective_from"]
        verbose_name = "force/activity designator assignment"
        indexes = [models.Index(fields=["country", "effective_from"])]
        constraints = [
            models.CheckConstraint(condition=Q(country__isnull=False, partner_organization="")
                                   | Q(country__isnull=True) & ~Q(partner_organization=""),
                                   name="fad_names_one_partner"),
            models.CheckConstraint(condition=Q(effective_until__isnull=True)
                                   | Q(effective_until__gt=models.F("effective_from")),
                                   name="fad_until_after_from"),
            models.UniqueConstraint(fields=["country"], condition=Q(effective_until__isnull=True, country__isnull=False),
                                    name="fad_one_current_per_country"),
            models.UniqueConstraint(Upper("partner_organization"),
                                    condition=Q(effective_until__isnull=True) & ~Q(partner_organization=""),
                                    name="fad_one_current_per_partner_organization"),
        ]

    def __str__(self) -> str:
        until = f" until {self.effective_until}" if self.effective_until else ""
        return f"{self.partner_name}: {self.get_designator_display()} from {self.effective_from}{until}"

    @property
    def partner_name(self) -> str:
        return self.country.name if self.country_id else self.partner_organization
