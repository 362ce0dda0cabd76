"""Reads on the security cooperation workforce: who may see which personnel record (need-to-know:
personal data, in one place), the readiness of SCO billets by command, SCO and region, and who may
see which readiness report.

Need-to-know of a personnel record (``personnel_visible_to``): the office that keeps it, that
office's supervising geographic command, USD(P&R) (which identifies, tracks and assesses the
workforce: Encl. 2, 6.b, 6.c) and DSCA (which manages it: 2.b, 2.g). No one else, not even the
other offices that read SCO manning: every list, filter, export, API answer and notice reads here."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db.models import Q, QuerySet
from django.utils import timezone

from manpower.models import ManningAuthorization, SecurityCooperationOrganization, Service
from organizations.models import Designation, Role
from organizations.selectors import active_account, designation_holder_ids, organization_ids_acting_for
from security.access import marking_q
from security.capacity import per_capacity
from workflow.selectors import need_to_know

from .models import (
    ILR_ORDER,
    PersonnelRecord,
    Qualification,
    QualificationKind,
    Region,
    WorkforceReadinessReport,
)

# The offices that see every personnel record and every SCO's readiness.
WORKFORCE_READERS = (Designation.PERSONNEL_READINESS, Designation.SECURITY_COOPERATION_AGENCY)
# Days before expiry when the owning office is reminded (once each).
EXPIRY_THRESHOLDS = (90, 30, 7)
EXPIRING_WITHIN = EXPIRY_THRESHOLDS[0]
# The region of each geographic command's area (the readiness view groups SCOs by it).
COMMAND_REGIONS = {"AFRICOM": Region.AFRICA, "EUCOM": Region.EUROPE_EURASIA, "CENTCOM": Region.MIDDLE_EAST,
                   "INDOPACOM": Region.INDO_PACIFIC, "SOUTHCOM": Region.WESTERN_HEMISPHERE,
                   "NORTHCOM": Region.WESTERN_HEMISPHERE}


def _reads_all(user, organizations: list[int]) -> bool:
    return bool(designation_holder_ids(WORKFORCE_READERS).intersection(organizations))


@per_capacity
def personnel_visible_to(user) -> QuerySet[PersonnelRecord]:
    """Personnel records ``user`` has need-to-know for: kept by their office, or by an office their
    command supervises; every record for USD(P&R), DSCA and system administrators."""
    records = PersonnelRecord.objects.all()
    if not active_account(user):
        return records.none()
    if user.is_superuser:
        return records
    organizations = organization_ids_acting_for(user)
    if not organizations:
        return records.none()
    if _reads_all(user, organizations):
        return records
    return records.filter(Q(owner__in=organizations) | Q(supervising_command__in=organizations))


@per_capacity
def scos_readiness_visible_to(user) -> QuerySet[SecurityCooperationOrganization]:
    """SCOs whose workforce readiness ``user`` may read: their own SCO, those their command
    supervises, every SCO for USD(P&R), DSCA and system administrators."""
    scos = SecurityCooperationOrganization.objects.all()
    if not active_account(user):
        return scos.none()
    if user.is_superuser:
        return scos
    organizations = organization_ids_acting_for(user)
    if not organizations:
        return scos.none()
    if _reads_all(user, organizations):
        return scos
    return scos.filter(Q(organization__in=organizations) | Q(organization__supervised_by__in=organizations))


# Who sets what a billet requires (DoDD 5132.03, Encl. 2, 2.b: DSCA identifies the requirements and
# criteria for the selection and training of security assistance personnel), with the geographic
# command that supervises the SCO (it endorses the SCO's manning). Action officers and approvers.
REQUIREMENT_SETTERS = (Designation.SECURITY_COOPERATION_AGENCY,)
REQUIREMENT_ROLES = (Role.ACTION_OFFICER, Role.APPROVER)


def requirement_setter_ids(sco: SecurityCooperationOrganization) -> list[int]:
    """The offices whose action officers and approvers set what ``sco``'s billets require: DSCA
    and the SCO's supervising command (not the SCO itself, not USD(P&R), which tracks readiness)."""
    offices = [sco.organization.supervised_by_id, *designation_holder_ids(REQUIREMENT_SETTERS)]
    return [office for office in offices if office]


def scos_requirements_settable_by(user) -> QuerySet[SecurityCooperationOrganization]:
    """SCOs whose billets' requirements ``user`` may set (``requirement_setter_ids`` read the other
    way): every SCO for DSCA's action officers and approvers, the SCOs a command supervises for its."""
    scos = SecurityCooperationOrganization.objects.all()
    if not active_account(user):
        return scos.none()
    organizations = organization_ids_acting_for(user, role=REQUIREMENT_ROLES)
    if not organizations:
        return scos.none()
    if designation_holder_ids(REQUIREMENT_SETTERS).intersection(organizations):
        return scos
    return scos.filter(organization__supervised_by__in=organizations)


def billets_requirement_settable_by(user, *, on: datetime.date | None = None) -> QuerySet[ManningAuthorization]:
    """Billets in force on ``on`` at the SCOs whose requirements ``user`` may set."""
    day = on or timezone.localdate()
    return (ManningAuthorization.objects.filter(Q(effective_until__isnull=True) | Q(effective_until__gt=day),
                                                sco__in=scos_requirements_settable_by(user))
            .select_related("sco__organization").order_by("sco__organization__acronym", "position"))


def billet_in_force(scos: QuerySet[SecurityCooperationOrganization], *, sco: str, position: str,
                    on: datetime.date | None = None) -> ManningAuthorization | None:
    """The billet of ``position`` in force on ``on`` at the SCO of acronym ``sco`` among ``scos``
    (the API names billets this way), or None."""
    day = on or timezone.localdate()
    return (ManningAuthorization.objects.filter(sco__in=scos, sco__organization__acronym__iexact=sco.strip(),
                                                position__iexact=position.strip())
            .filter(Q(effective_until__isnull=True) | Q(effective_until__gt=day))
            .select_related("sco__organization").order_by("-effective_from").first())


def sco_region(sco) -> str:
    command = sco.organization.supervised_by
    return COMMAND_REGIONS.get(command.acronym, "") if command is not None else ""


def _valid_on(qualification: Qualification, day: datetime.date) -> bool:
    return qualification.completed_on <= day and (qualification.expires_on is None or qualification.expires_on > day)


def qualification_gaps(person: PersonnelRecord, requirement, *, on: datetime.date) -> list[str]:
    """What ``person`` lacks for the billet's ``requirement`` on ``on``, in words (nothing: qualified).
    Reads the person's prefetched qualifications and languages."""
    if requirement is None:
        return []
    gaps = []
    valid = [q for q in person.qualifications.all() if _valid_on(q, on)]
    level = max((q.level or 0 for q in valid if q.kind == QualificationKind.CERTIFICATION), default=0)
    if level < requirement.certification_level:
        gaps.append(f"certification {requirement.get_certification_level_display()} required")
    if requirement.training and not any(q.kind == QualificationKind.TRAINING
                                        and q.name.strip().lower() == requirement.training.strip().lower()
                                        for q in valid):
        gaps.append(f"training “{requirement.training}” required")
    if requirement.language:
        spoken = {p.language.strip().lower(): p.speaking for p in person.languages.all()}
        have = spoken.get(requirement.language.strip().lower())
        if have is None or ILR_ORDER[have] < ILR_ORDER[requirement.language_level]:
            gaps.append(f"{requirement.language} at ILR {requirement.language_level} required")
    return gaps


def _holders_on(authorizations: list[ManningAuthorization], day: datetime.date) -> dict[int, list[PersonnelRecord]]:
    holders: dict[int, list[PersonnelRecord]] = defaultdict(list)
    people = (PersonnelRecord.objects.filter(billet__in=authorizations)
              .filter(Q(assigned_on__isnull=True) | Q(assigned_on__lte=day))
              .filter(Q(assignment_ends_on__isnull=True) | Q(assignment_ends_on__gt=day))
              .prefetch_related("qualifications", "languages").order_by("identifier"))
    for person in people:
        holders[person.billet_id].append(person)
    return holders


def _in_force(authorizations: QuerySet[ManningAuthorization], day: datetime.date) -> QuerySet[ManningAuthorization]:
    return authorizations.filter(Q(effective_until__isnull=True) | Q(effective_until__gt=day), effective_from__lte=day)


def _billet_counts(row: ManningAuthorization, people: list[PersonnelRecord], day: datetime.date) -> dict:
    requirement = getattr(row, "requirement", None)
    filled = min(len(people), row.billets)
    qualified = min(sum(1 for p in people if not qualification_gaps(p, requirement, on=day)), row.billets)
    return {"authorized": row.billets, "filled": filled, "qualified": qualified, "requirement": requirement}


def readiness_rows(scos, *, on: datetime.date | None = None) -> list[dict]:
    """One row per SCO of ``scos``, ordered by command and country: its billets authorized on
    ``on``, those filled, those filled by people qualified for them (certification level,
    training, language), the gaps (billets not filled by a qualified person) and the
    certifications or training of its billet holders expiring within ``EXPIRING_WITHIN`` days.
    Counts only: no person is named. A fixed number of queries, whatever the number of SCOs."""
    day = on or timezone.localdate()
    scos = list(scos.select_related("organization__supervised_by", "host_country")
                .order_by("organization__supervised_by__acronym", "host_country__code", "organization__name"))
    authorizations = list(_in_force(ManningAuthorization.objects.filter(sco__in=scos), day)
                          .select_related("requirement"))
    holders = _holders_on(authorizations, day)
    horizon = day + datetime.timedelta(days=EXPIRING_WITHIN)
    by_sco: dict[int, dict] = {sco.pk: {"authorized": 0, "filled": 0, "qualified": 0, "expiring": 0,
                                        "without_requirement": 0} for sco in scos}
    for row in authorizations:
        counts = by_sco[row.sco_id]
        people = holders.get(row.pk, [])
        billet = _billet_counts(row, people, day)
        for key in ("authorized", "filled", "qualified"):
            counts[key] += billet[key]
        counts["without_requirement"] += billet["requirement"] is None
        counts["expiring"] += sum(1 for p in people for q in p.qualifications.all()
                                  if q.expires_on and day < q.expires_on <= horizon)
    rows = []
    for sco in scos:
        counts = by_sco[sco.pk]
        region = sco_region(sco)
        rows.append({
            "command": sco.organization.supervised_by.acronym if sco.organization.supervised_by else "",
            "region": str(Region(region).label) if region else "", "country": sco.host_country.name,
            "sco": sco.organization.name, "acronym": sco.organization.acronym, "sco_id": sco.pk,
            "billets_authorized": counts["authorized"], "billets_filled": counts["filled"],
            "filled_qualified": counts["qualified"], "gaps": counts["authorized"] - counts["qualified"],
            "vacant": counts["authorized"] - counts["filled"], "expiring_90_days": counts["expiring"],
            "billets_without_requirement": counts["without_requirement"],
        })
    return rows


# --- fills due from the Military Departments (Encl. 2, 8.j) -----------------------------------

# The Military Department that provides the holder of a billet of each Service (Encl. 2, 8.j): the
# acronym of the Department in the reference data. A DoD civilian billet names no Department;
# locally employed staff are hired in the host country.
MILITARY_DEPARTMENTS = {Service.ARMY: "DA", Service.NAVY: "DON", Service.MARINE_CORPS: "DON",
                        Service.AIR_FORCE: "DAF", Service.SPACE_FORCE: "DAF"}
NO_DEPARTMENT = {Service.CIVILIAN: "DoD civilian (no Department named)",
                 Service.LOCAL: "Locally employed (host country)"}


def providing_department(service: str) -> str:
    """Who provides the holder of a billet of ``service``: a Military Department's acronym, or words."""
    return MILITARY_DEPARTMENTS.get(service) or NO_DEPARTMENT.get(service, "—")


def departments_acting_for(user) -> list[str]:
    """Acronyms of the Military Departments ``user`` works for (their staff see the fills due)."""
    from organizations.models import Organization, OrganizationKind

    organizations = organization_ids_acting_for(user)
    if not organizations:
        return []
    return list(Organization.objects.filter(pk__in=organizations, kind=OrganizationKind.MILITARY_DEPARTMENT)
                .values_list("acronym", flat=True))


def billets_provided_visible_to(user, *, on: datetime.date | None = None) -> QuerySet[ManningAuthorization]:
    """Billets in force on ``on`` whose fill ``user`` may read: those of the SCOs whose readiness
    they read, and, for a Military Department's staff, every billet their Department provides."""
    day = on or timezone.localdate()
    rows = Q(sco__in=scos_readiness_visible_to(user))
    departments = departments_acting_for(user) if active_account(user) else []
    services = [service for service, department in MILITARY_DEPARTMENTS.items() if department in departments]
    if services:
        rows |= Q(service__in=services)
    return _in_force(ManningAuthorization.objects.filter(rows), day)


def billet_rows(authorizations: QuerySet[ManningAuthorization], *, on: datetime.date | None = None) -> list[dict]:
    """One row per billet of ``authorizations`` (in force on ``on``), ordered by command, SCO and
    position: who is to provide its holder (``providing_department``), the billets authorized,
    filled and filled by qualified people, and those owed (not filled by a qualified person).
    Counts only: no person is named. A fixed number of queries."""
    day = on or timezone.localdate()
    rows = list(authorizations.select_related("requirement", "sco__organization__supervised_by")
                .order_by("sco__organization__supervised_by__acronym", "sco__organization__acronym", "position",
                          "pk"))
    holders = _holders_on(rows, day)
    result = []
    for row in rows:
        counts = _billet_counts(row, holders.get(row.pk, []), day)
        command = row.sco.organization.supervised_by
        result.append({
            "command": command.acronym if command else "", "acronym": row.sco.organization.acronym,
            "position": row.position, "grade": row.grade, "service": row.get_service_display(),
            "military_department": providing_department(row.service), "billets_authorized": counts["authorized"],
            "billets_filled": counts["filled"], "filled_qualified": counts["qualified"],
            "vacant": counts["authorized"] - counts["filled"], "unqualified": counts["filled"] - counts["qualified"],
            "owed": counts["authorized"] - counts["qualified"],
        })
    return result


def fills_due(rows: list[dict]) -> list[dict]:
    """``billet_rows`` summed by the Military Department to provide the holders (Departments first)."""
    keys = ("billets_authorized", "billets_filled", "filled_qualified", "vacant", "unqualified", "owed")
    totals: dict[str, dict] = {}
    for row in rows:
        total = totals.setdefault(row["military_department"], {"military_department": row["military_department"],
                                                               **dict.fromkeys(keys, 0)})
        for key in keys:
            total[key] += row[key]
    departments = sorted(set(MILITARY_DEPARTMENTS.values()), key=list(MILITARY_DEPARTMENTS.values()).index)
    return sorted(totals.values(), key=lambda t: (departments.index(t["military_department"])
                                                  if t["military_department"] in departments else len(departments),
                                                  t["military_department"]))


def readiness_totals(rows: list[dict], by: str) -> list[dict]:
    """``rows`` summed by ``by`` ("command" or "region")."""
    keys = ("billets_authorized", "billets_filled", "filled_qualified", "gaps", "vacant", "expiring_90_days")
    totals: dict[str, dict] = {}
    for row in rows:
        total = totals.setdefault(row[by] or "—", {by: row[by] or "—", **dict.fromkeys(keys, 0)})
        for key in keys:
            total[key] += row[key]
    return list(totals.values())


def expiring_qualifications(user, *, on: datetime.date | None = None, within: int = EXPIRING_WITHIN
                            ) -> QuerySet[Qualification]:
    """Certifications and training of the personnel ``user`` may see that expire within ``within``
    days of ``on``, soonest first."""
    day = on or timezone.localdate()
    return (Qualification.objects.filter(person__in=personnel_visible_to(user), expires_on__gt=day,
                                         expires_on__lte=day + datetime.timedelta(days=within))
            .select_related("person__owner").order_by("expires_on", "pk"))


def expiring_for_reminders(*, on: datetime.date) -> QuerySet[Qualification]:
    """Every qualification expiring within the first reminder threshold of ``on`` (the sweep's read)."""
    return (Qualification.objects.filter(expires_on__gt=on,
                                         expires_on__lte=on + datetime.timedelta(days=EXPIRY_THRESHOLDS[0]))
            .select_related("person__owner").order_by("expires_on", "pk"))


# --- the readiness report (a routed kind) ---------------------------------------------------

@per_capacity
def reports_visible_to(user) -> QuerySet[WorkforceReadinessReport]:
    """Reports ``user`` may see: cleared for the marking, and their organization owns it (DSCA),
    is tasked on it, or reviews every report (USD(P&R), registered with the engine)."""
    return need_to_know(WorkforceReadinessReport, user)


@per_capacity
def reports_cleared_for(user) -> QuerySet[WorkforceReadinessReport]:
    if not active_account(user):
        return WorkforceReadinessReport.objects.none()
    return WorkforceReadinessReport.objects.filter(marking_q(user, WorkforceReadinessReport))
