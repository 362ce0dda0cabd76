"""Demo security cooperation workforce, for training: the requirements of the billets of the
manpower demo's two SCOs, their billet holders (personnel records with role-like identifiers,
"SCO billet holder 0001, training record", never a person's name) with certifications, training,
languages and regions, and a year of readiness reports (each quarter of the last fiscal year,
accepted, returned and resubmitted; this quarter's draft), all through the services staff use,
by log-ins named for their roles. Idempotent: a second run finds them and changes nothing."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from manpower.demo import _user
from manpower.models import SecurityCooperationOrganization
from manpower.selectors import manning_current
from organizations.models import Designation, Role
from organizations.selectors import designated_organization
from workflow.services import transition_perform

from .models import CertificationLevel, PersonnelRecord, QualificationKind, Region, WorkforceReadinessReport
from .services import personnel_write, report_write, requirement_set

TRAINING = "(TRAINING DATA)"
IDENTIFIER = "SCO billet holder {:04d}, training record"
SCOS = {"ODC-TURKEY": ("Turkish", Region.EUROPE_EURASIA), "JUSMAG-PHILIPPINES": ("Tagalog", Region.INDO_PACIFIC)}
SCM_O = "Security Cooperation Management Overseas (SCM-O)"
# What each kind of position requires (training data): a certification level, and for the
# leading positions the SCO course and the host language.
LEVELS = {"Chief": CertificationLevel.ADVANCED, "Deputy": CertificationLevel.ADVANCED,
          "Foreign military sales": CertificationLevel.INTERMEDIATE, "Training": CertificationLevel.INTERMEDIATE,
          "Armaments": CertificationLevel.INTERMEDIATE}


def _requirement(position: str) -> dict:
    level = next((lvl for prefix, lvl in LEVELS.items() if position.startswith(prefix)), CertificationLevel.BASIC)
    leading = position.startswith(("Chief", "Deputy"))
    return {"certification_level": level, "training": SCM_O if level >= CertificationLevel.INTERMEDIATE else "",
            "leading": leading}


def _people(sco, *, by, today: datetime.date, number: int) -> int:
    """One record per billet of ``sco`` in force, but the last billet of each position of more
    than one left vacant; qualifications spread so that some lapse within the year."""
    language, region = SCOS[sco.organization.acronym]
    made = 0
    for row in manning_current(sco, on=today).order_by("position"):
        requirement = _requirement(row.position)
        requirement_set(by=by["DSCA"], authorization=row, certification_level=requirement["certification_level"],
                        training=requirement["training"], language=language if requirement["leading"] else "",
                        language_level="2" if requirement["leading"] else "", region=region)
        filled = row.billets - 1 if row.billets > 1 else 1
        for seat in range(filled):
            number += 1
            made += 1
            # Every fourth holder is one level short; expiries from two months ago to 14 months ahead.
            level = requirement["certification_level"] - (1 if number % 4 == 0 else 0)
            earned = today - datetime.timedelta(days=700 - 37 * (number % 9))
            expires = today + datetime.timedelta(days=-60 + 47 * (number % 10))
            qualifications = [{"kind": QualificationKind.CERTIFICATION, "name": "SC workforce certification",
                               "level": max(level, CertificationLevel.BASIC), "completed_on": earned,
                               "expires_on": max(expires, earned + datetime.timedelta(days=30))}]
            if requirement["training"] and number % 5 != 0:
                qualifications.append({"kind": QualificationKind.TRAINING, "name": SCM_O,
                                       "completed_on": earned - datetime.timedelta(days=90), "expires_on": None})
            languages = [{"language": language, "listening": "2+", "reading": "2", "speaking": "2" if number % 3 else "1+",
                          "tested_on": earned}] if row.grade.startswith(("O-", "W-")) or row.grade == "LE" else []
            if row.grade == "LE":
                languages = [{"language": language, "listening": "5", "reading": "5", "speaking": "5", "tested_on": None},
                             {"language": "English", "listening": "3", "reading": "3", "speaking": "3", "tested_on": earned}]
            personnel_write(
                by=by[sco.organization.acronym], owner=sco.organization, billet=row,
                fields={"identifier": IDENTIFIER.format(number), "grade": row.grade, "service": row.service,
                        "assigned_on": max(row.effective_from, today - datetime.timedelta(days=300 + 20 * seat)),
                        "assignment_ends_on": today + datetime.timedelta(days=400 + 30 * (number % 7)),
                        "notes": f"Training record for {row.position} {TRAINING}"},
                qualifications=qualifications, languages=languages,
                regions=[{"region": region, "years": 1 + number % 6}])
    return made


def _quarters(fiscal_start: datetime.date) -> list[tuple[datetime.date, datetime.date]]:
    starts = [datetime.date(fiscal_start.year, 10, 1), datetime.date(fiscal_start.year + 1, 1, 1),
              datetime.date(fiscal_start.year + 1, 4, 1), datetime.date(fiscal_start.year + 1, 7, 1),
              datetime.date(fiscal_start.year + 1, 10, 1)]
    return [(starts[i], starts[i + 1] - datetime.timedelta(days=1)) for i in range(4)]


def _report(*, by, start, end, label, assessment):
    return report_write(by=by, fields={"title": f"SC workforce readiness, {label} {TRAINING}", "period_start": start,
                                       "period_end": end, "assessment": assessment})


@transaction.atomic
def load(*, stdout) -> None:
    """Requirements and holders at the demo SCOs, then the readiness reports of the last fiscal
    year (quarters 1 and 2 accepted, 3 returned and accepted on resubmission, 4 resubmitted and in
    review) and this quarter's draft."""
    acronyms = list(SCOS)
    scos = {s.organization.acronym: s for s in SecurityCooperationOrganization.objects.filter(
        organization__acronym__in=acronyms).select_related("organization")}
    if len(scos) < len(acronyms) or designated_organization(Designation.SECURITY_COOPERATION_AGENCY) is None \
            or designated_organization(Designation.PERSONNEL_READINESS) is None:
        stdout.write("SC workforce: skipped (needs the reference data: SCOs and designated offices)")
        return
    today = timezone.localdate()
    by = {"P&R": _user("USD(P&R)", Role.APPROVER), "DSCA": _user("DSCA", Role.ACTION_OFFICER),
          **{a: _user(a, Role.ACTION_OFFICER) for a in acronyms}}
    if PersonnelRecord.objects.filter(identifier__endswith=", training record").exists():
        stdout.write("SC workforce personnel records: unchanged")
    else:
        made = 0
        for acronym in acronyms:
            made += _people(scos[acronym], by=by, today=today, number=made)
        stdout.write(f"SC workforce personnel records: {made} created (training records, no names)")
    if WorkforceReadinessReport.objects.filter(title__endswith=TRAINING).exists():
        stdout.write("SC workforce readiness reports: unchanged")
        return
    dsca_ao, dsca, pr = _user("DSCA", Role.ACTION_OFFICER), _user("DSCA", Role.APPROVER), by["P&R"]
    fiscal_start = datetime.date(today.year - (today.month < 10), 10, 1)
    last_year = _quarters(datetime.date(fiscal_start.year - 1, 10, 1))
    fy = fiscal_start.year  # the fiscal year that ended on 30 September is named for its calendar year
    for number, (start, end) in enumerate(last_year, start=1):
        report = _report(by=dsca_ao, start=start, end=end, label=f"FY{fy % 100:02d} Q{number}",
                         assessment="Most billets are filled by certified people; the gaps are intermediate "
                                    "certifications and the SCO course for new arrivals (training data).")
        report = transition_perform(document=report, name="submit", by=dsca)
        if number >= 3:
            report = transition_perform(document=report, name="return_for_rework", by=pr,
                                        comment="Give the plan to close the language gaps (training data).")
            report = report_write(by=dsca_ao, report=report, fields={
                "assessment": report.assessment + " Language gaps close by the summer rotation: two officers "
                                                  "start host-language training (training data)."})
            report = transition_perform(document=report, name="submit", by=dsca)
        if number <= 3:
            transition_perform(document=report, name="accept", by=pr,
                               comment="Accepted for the department's readiness reporting (training data).")
    quarter = _quarters(fiscal_start)[0]
    _report(by=dsca_ao, start=quarter[0], end=quarter[1], label=f"FY{(fy + 1) % 100:02d} Q1",
            assessment="")
    stdout.write("SC workforce readiness reports: 5 created (3 accepted, 1 in review after return, 1 draft)")
