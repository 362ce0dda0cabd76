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

from manpower.models import ManningAuthorization, SecurityCooperationOrganization
from organizations.models import Designation
from organizations.selectors import active_account, designation_holder_ids, organization_ids_acting_for
from security.access import marking_q
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


def readiness_rows(scos, *, on: datetime.date | None = None) -> list[dict]:
    """One row per SCO of ``scos``, ordered by command and country: its billets authorized on
    ``on``, those filled, those filled by people qualified for them (certification level,
    training, language), the gaps (billets not filled by a qualified person) and the
    certifications or training of its billet holders expiring within ``EXPIRING_WITHIN`` days.
    Counts only: no person is named. A fixed number of queries, whatever the number of SCOs."""
    day = on or timezone.localdate()
    scos = list(scos.select_related("organization__supervised_by", "host_country")
                .order_by("organization__supervised_by__acronym", "host_country__code", "organization__name"))
    authorizations = list(ManningAuthorization.objects.filter(
        Q(effective_until__isnull=True) | Q(effective_until__gt=day), effective_from__lte=day, sco__in=scos)
        .select_related("requirement"))
    holders = _holders_on(authorizations, day)
    horizon = day + datetime.timedelta(days=EXPIRING_WITHIN)
    by_sco: dict[int, dict] = {sco.pk: {"authorized": 0, "filled": 0, "qualified": 0, "expiring": 0,
                                        "without_requirement": 0} for sco in scos}
    for row in authorizations:
        counts = by_sco[row.sco_id]
        requirement = getattr(row, "requirement", None)
        people = holders.get(row.pk, [])
        counts["authorized"] += row.billets
        counts["filled"] += min(len(people), row.billets)
        counts["qualified"] += min(sum(1 for p in people if not qualification_gaps(p, requirement, on=day)),
                                   row.billets)
        counts["without_requirement"] += requirement is None
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

def reports_visible_to(user) -> QuerySet[WorkforceReadinessReport]:
    """Reports ``user`` may see: cleared for the marking, and their organization owns it (DSCA),
    is tasked on it, or reviews every report (USD(P&R), registered with the engine)."""
    return need_to_know(WorkforceReadinessReport, user)


def reports_cleared_for(user) -> QuerySet[WorkforceReadinessReport]:
    if not active_account(user):
        return WorkforceReadinessReport.objects.none()
    return WorkforceReadinessReport.objects.filter(marking_q(user, WorkforceReadinessReport))
