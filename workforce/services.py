"""Writes on the security cooperation workforce: one place each.

- ``requirement_set``: what a billet of an SCO's manning requires (certification level, training,
  language at an ILR level, region), by DSCA (Encl. 2, 2.b) or the SCO's supervising command.
- ``personnel_write``: a personnel record with its certifications, training, languages and
  regions, all or nothing, by the office that keeps it; every write is an audit event.
- ``expiry_reminders_send``: reminders before a certification or course expires (90, 30 and 7
  days), through the reminders outbox, each exactly once (``reminders.notices.notices_tell``).
- ``report_write`` and the readiness report's workflow effects and conditions
  (``workforce.workflows`` names them beside each transition).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from manpower.models import GRADES, ManningAuthorization, SecurityCooperationOrganization, Service
from organizations.models import Designation, Organization, Role
from organizations.selectors import acting_capacity_among, memberships_active, organization_label
from reminders.models import NoticeKind
from reminders.notices import Tell, notices_tell
from runtime.dates import date_words
from security.audit import audit_record
from security.models import AuditAction
from workflow.exceptions import ActionRefused, InvalidInput, NotPermitted
from workflow.models import Response, Step
from workflow.rules import TransitionContext
from workflow.selectors import route_participants
from workflow.services import (
    route_snapshot_take,
    state_label,
    taskers_cancel_open,
    taskers_close_answered,
    taskers_issue,
)

from .models import (
    EDITABLE,
    ILR_LEVELS,
    BilletRequirement,
    CertificationLevel,
    LanguageProficiency,
    PersonnelRecord,
    Qualification,
    QualificationKind,
    Region,
    RegionalExpertise,
    WorkforceReadinessReport,
)
from .selectors import (
    EXPIRY_THRESHOLDS,
    REQUIREMENT_ROLES,
    expiring_for_reminders,
    readiness_rows,
    requirement_setter_ids,
)

WRITER_ROLES = (Role.ACTION_OFFICER, Role.APPROVER)
TOLD_ROLES = (Role.ACTION_OFFICER, Role.APPROVER)
PERSON_FIELDS = ("identifier", "grade", "service", "assigned_on", "assignment_ends_on", "notes")
REQUIREMENT_FIELDS = ("certification_level", "training", "language", "language_level", "region")
REPORT_FIELDS = ("title", "period_start", "period_end", "assessment", "classification", "noforn")
ILR_VALUES = {value for value, _ in ILR_LEVELS}
GRADE_VALUES = {value for value, _ in GRADES}


def _invalid(errors: dict[str, list[str]], rows: dict | None = None) -> InvalidInput:
    error = InvalidInput(["Nothing was saved.", *[m for ms in errors.values() for m in ms]], errors)
    error.rows = rows or {}
    return error


# --- billet requirements --------------------------------------------------------------------

def requirement_capacity(*, by, authorization: ManningAuthorization):
    """The capacity in which ``by`` sets what ``authorization`` requires: an action officer or
    approver of DSCA or of the SCO's supervising command (``selectors.requirement_setter_ids``)."""
    sco = authorization.sco
    capacity = acting_capacity_among(user=by, organizations=requirement_setter_ids(sco), roles=REQUIREMENT_ROLES)
    if capacity is None:
        command = sco.organization.supervised_by
        raise NotPermitted(f"Only an action officer or approver of DSCA or of {command or 'the SCO’s command'} sets "
                           f"what the billets of {sco} require (DoDD 5132.03, Encl. 2, 2.b).")
    return capacity


def requirement_errors(*, certification_level, training: str = "", language: str = "", language_level: str = "",
                       region: str = "") -> dict[str, list[str]]:
    """What is wrong with a billet requirement's values, by field (the admin's form says it beside
    each field before ``requirement_set``, which applies it again, is asked)."""
    errors: dict[str, list[str]] = {}
    if certification_level not in CertificationLevel.values:
        errors["certification_level"] = ["Choose a certification level: basic, intermediate, advanced or expert."]
    language, training = (language or "").strip(), (training or "").strip()
    if language and language_level not in ILR_VALUES:
        errors["language_level"] = [f"Give the ILR level required in {language} (0 to 5)."]
    if language_level and not language:
        errors["language"] = ["Name the language the ILR level is for."]
    for name, value, limit in (("training", training, 120), ("language", language, 60)):
        if len(value) > limit:
            errors.setdefault(name, []).append(f"At most {limit} characters (this has {len(value)}).")
    if region and region not in Region.values:
        errors["region"] = ["Choose a region of the list."]
    return errors


@transaction.atomic
def requirement_set(*, by, authorization: ManningAuthorization, certification_level: int | None, training: str = "",
                    language: str = "", language_level: str = "", region: str = "") -> BilletRequirement:
    """Set what ``authorization`` (a billet of an SCO's manning) requires of its holders; by an
    action officer or approver of DSCA or of the SCO's supervising command (``requirement_capacity``).
    Refusals name the field; nothing is saved then. Audited."""
    authorization = (ManningAuthorization.objects.select_for_update(of=("self",))
                     .select_related("sco__organization__supervised_by").get(pk=authorization.pk))
    requirement_capacity(by=by, authorization=authorization)
    language, training = (language or "").strip(), (training or "").strip()
    errors = requirement_errors(certification_level=certification_level, training=training, language=language,
                                language_level=language_level, region=region)
    if authorization.effective_until is not None and authorization.effective_until <= timezone.localdate():
        errors["authorization"] = [f"{authorization} ended on {date_words(authorization.effective_until)}: set "
                                   "the requirement of the billet in force."]
    if errors:
        raise _invalid(errors)
    requirement, created = BilletRequirement.objects.update_or_create(
        authorization=authorization,
        defaults={"certification_level": certification_level, "training": training, "language": language,
                  "language_level": language_level if language else "", "region": region})
    audit_record(action=AuditAction.ADMIN_CHANGE, user=by, obj=requirement,
                 description=f"Billet requirement {'set' if created else 'changed'} for {authorization}: "
                             f"{requirement.get_certification_level_display()}"
                             f"{', ' + training if training else ''}"
                             f"{f', {language} at ILR {language_level}' if language else ''}"
                             f"{', ' + requirement.get_region_display() if region else ''}.")
    return requirement


# --- personnel records ----------------------------------------------------------------------

def _writer_capacity(*, owner: Organization, by):
    capacity = acting_capacity_among(user=by, organizations=[owner.pk], roles=WRITER_ROLES)
    if capacity is None:
        raise NotPermitted(f"Only an action officer or approver of {organization_label(owner)} may write the personnel records it keeps.")
    return capacity


def _supervising_command(owner: Organization) -> Organization | None:
    from organizations.models import OrganizationKind

    if owner.kind == OrganizationKind.GEOGRAPHIC_CCMD:
        return owner
    return owner.supervised_by


def _billet_refusals(*, billet: ManningAuthorization | None, owner: Organization, record: PersonnelRecord | None,
                     assigned_on: datetime.date | None) -> list[str]:
    if billet is None:
        return []
    sco = billet.sco
    if owner.pk not in (sco.organization_id, sco.organization.supervised_by_id):
        return [f"{billet} is a billet of {sco}: only {sco} or its command keep the records of its holders."]
    if billet.effective_until is not None and billet.effective_until <= timezone.localdate():
        return [f"{billet} ended on {date_words(billet.effective_until)}; choose a billet in force."]
    day = assigned_on or timezone.localdate()
    holders = (PersonnelRecord.objects.filter(billet=billet).exclude(pk=getattr(record, "pk", None))
               .exclude(assignment_ends_on__lte=day).count())
    if holders >= billet.billets:
        return [f"{billet} is authorized {billet.billets} billet{'s' if billet.billets != 1 else ''}, all filled "
                "already; end an assignment first."]
    return []


def _line_errors(lines: list[dict], required: Mapping[str, str], check) -> tuple[list[str], dict[int, dict]]:
    reasons, rows = [], {}
    for index, line in enumerate(lines):
        for field, words in required.items():
            if line.get(field) in (None, ""):
                rows.setdefault(index, {}).setdefault(field, []).append(f"Give {words}.")
        for field, message in check(line):
            rows.setdefault(index, {}).setdefault(field, []).append(message)
        for field, messages in rows.get(index, {}).items():
            reasons.extend(f"Row {index + 1} ({field.replace('_', ' ')}): {m}" for m in messages)
    return reasons, rows


def _qualification_checks(line: dict):
    kind, level = line.get("kind"), line.get("level")
    if kind not in QualificationKind.values:
        yield "kind", "Choose certification or training course."
    if kind == QualificationKind.CERTIFICATION and level not in CertificationLevel.values:
        yield "level", "A certification needs its level (basic, intermediate, advanced or expert)."
    completed, expires = line.get("completed_on"), line.get("expires_on")
    if completed and expires and expires <= completed:
        yield "expires_on", f"It cannot expire ({date_words(expires)}) before it was completed ({date_words(completed)})."
    if completed and completed > timezone.localdate():
        yield "completed_on", "A completion date in the future: record it once completed."


def _language_checks(line: dict):
    for field in ("listening", "reading", "speaking"):
        if line.get(field) not in ILR_VALUES:
            yield field, "An ILR level from 0 to 5 (with + between levels)."


def _region_checks(line: dict):
    if line.get("region") not in Region.values:
        yield "region", "Choose a region of the list."
    years = line.get("years")
    if years is not None and (not isinstance(years, int) or years < 0 or years > 60):
        yield "years", "Years of experience: a whole number from 0 to 60."


@transaction.atomic
def personnel_write(*, by, record: PersonnelRecord | None = None, owner: Organization | None = None,
                    fields: Mapping, billet: ManningAuthorization | None = None, billet_given: bool = True,
                    qualifications: list[dict] | None = None, languages: list[dict] | None = None,
                    regions: list[dict] | None = None) -> PersonnelRecord:
    """Create (``record`` None, kept by ``owner``) or change a personnel record and replace the
    lists given, all or nothing; by an action officer or approver of the office that keeps it.
    Refusals name the field or the row. Audited (what changed, never the person's data)."""
    errors: dict[str, list[str]] = {}
    if record is None:
        if owner is None:
            raise _invalid({"owner": ["Name the office that keeps the record."]})
        _writer_capacity(owner=owner, by=by)
        record = PersonnelRecord(owner=owner, supervising_command=_supervising_command(owner))
    else:
        record = PersonnelRecord.objects.select_for_update().get(pk=record.pk)
        _writer_capacity(owner=record.owner, by=by)
    for name in PERSON_FIELDS:
        if name in fields:
            value = fields[name]
            setattr(record, name, value.strip() if isinstance(value, str) else value)
    if billet_given:
        record.billet = billet
    if not record.identifier:
        errors.setdefault("identifier", []).append("Give the record's identifier.")
    elif PersonnelRecord.objects.filter(identifier__iexact=record.identifier).exclude(pk=record.pk).exists():
        errors.setdefault("identifier", []).append(f"Another record has the identifier “{record.identifier}”.")
    if record.grade and record.grade not in GRADE_VALUES:
        errors.setdefault("grade", []).append("Choose a grade of the list (O-4, E-7, GS-12, …).")
    if record.service and record.service not in Service.values:
        errors.setdefault("service", []).append("Choose the Service, DoD civilian or locally employed staff.")
    if record.assigned_on and record.assignment_ends_on and record.assignment_ends_on <= record.assigned_on:
        errors.setdefault("assignment_ends_on", []).append("The assignment ends after it starts.")
    if record.billet_id and billet_given:
        refusals = _billet_refusals(billet=record.billet, owner=record.owner, record=record,
                                    assigned_on=record.assigned_on)
        if refusals:
            errors.setdefault("billet", []).extend(refusals)
    rows: dict[str, dict] = {}
    for prefix, lines, required, check in (
            ("qualifications", qualifications, {"kind": "the kind", "name": "the name", "completed_on": "the date completed"},
             _qualification_checks),
            ("languages", languages, {"language": "the language"}, _language_checks),
            ("regions", regions, {"region": "the region"}, _region_checks)):
        if lines is None:
            continue
        reasons, line_rows = _line_errors(lines, required, check)
        if prefix == "languages":
            seen = [str(line.get("language") or "").strip().lower() for line in lines]
            reasons += [f"{line.get('language')} is listed twice." for i, line in enumerate(lines)
                        if seen[i] and seen[i] in seen[:i]]
        if reasons:
            errors.setdefault(prefix, []).extend(reasons)
            rows[prefix] = line_rows
    if errors:
        raise _invalid(errors, rows)
    try:
        record.full_clean(exclude=["owner", "supervising_command", "billet"])
    except ValidationError as error:
        raise InvalidInput(["Nothing was saved.", *error.messages],
                           error.message_dict if hasattr(error, "error_dict") else {}) from error
    created = record.pk is None
    record.save()
    if qualifications is not None:
        record.qualifications.all().delete()
        Qualification.objects.bulk_create([
            Qualification(person=record, kind=line["kind"], name=line["name"].strip(),
                          level=line.get("level") if line["kind"] == QualificationKind.CERTIFICATION else None,
                          completed_on=line["completed_on"], expires_on=line.get("expires_on"))
            for line in qualifications])
    if languages is not None:
        record.languages.all().delete()
        LanguageProficiency.objects.bulk_create([
            LanguageProficiency(person=record, language=line["language"].strip(), listening=line["listening"],
                                reading=line["reading"], speaking=line["speaking"], tested_on=line.get("tested_on"))
            for line in languages])
    if regions is not None:
        record.regions.all().delete()
        RegionalExpertise.objects.bulk_create([
            RegionalExpertise(person=record, region=line["region"], years=line.get("years") or 0) for line in regions])
    changed = [name for name in (*PERSON_FIELDS, "billet") if name in fields or name == "billet"]
    lists = [name for name, given in (("qualifications", qualifications), ("languages", languages),
                                      ("regions", regions)) if given is not None]
    audit_record(action=AuditAction.ADMIN_CHANGE, user=by, obj=record,
                 description=f"Personnel record {'created' if created else 'changed'} (kept by {record.owner.acronym}): "
                             f"fields {', '.join(changed)}; lists {', '.join(lists) or 'none'}.")
    return record


# --- reminders before expiry ----------------------------------------------------------------

def _threshold(days_left: int) -> int | None:
    """The reminder due for an expiry ``days_left`` away: the nearest threshold not yet passed."""
    due = [t for t in EXPIRY_THRESHOLDS if days_left <= t]
    return min(due) if due else None


@transaction.atomic
def expiry_reminders_send(*, on: datetime.date | None = None) -> int:
    """Remind the office that keeps each personnel record of a certification or training course
    expiring in 90, 30 or 7 days (the nearest threshold reached), through the reminders outbox:
    each (qualification, expiry date, threshold, recipient) exactly once, whatever the number of
    sweeps. Told: the action officers and approvers of the owning office (their need-to-know);
    the e-mail names no person, the in-app notice names the record. Returns the rows written."""
    day = on or timezone.localdate()
    due = list(expiring_for_reminders(on=day))
    owners = {q.person.owner_id for q in due}
    members: dict[int, set[int]] = {}
    for organization_id, user_id in (memberships_active(on=day).filter(organization_id__in=owners, role__in=TOLD_ROLES)
                                     .values_list("organization_id", "user_id")):
        members.setdefault(organization_id, set()).add(user_id)
    tells = []
    for qualification in due:
        days_left = (qualification.expires_on - day).days
        threshold = _threshold(days_left)
        users = members.get(qualification.person.owner_id)
        if threshold is None or not users:
            continue
        what = qualification.get_kind_display().lower()
        when = date_words(qualification.expires_on)
        link = reverse("admin:workforce_personnelrecord_change", args=[qualification.person_id])
        tells.append(Tell(
            kind=NoticeKind.CERTIFICATION_EXPIRING,
            key=f"workforce-expiry:{qualification.pk}:{qualification.expires_on.isoformat()}:{threshold}",
            user_ids=tuple(sorted(users)),
            subject=f"A {what} expires within {threshold} days ({when})",
            text=f"{qualification.person.identifier}: {qualification.name} ({what}) expires on {when}, in "
                 f"{days_left} day{'s' if days_left != 1 else ''}.",
            mail_text=f"A {what} of a person whose record {qualification.person.owner.acronym} keeps expires on "
                      f"{when}, in {days_left} day{'s' if days_left != 1 else ''}. This e-mail carries no personal "
                      "data: open the link to see whose.",
            link=link))
    return notices_tell(tells)


# --- the readiness report: content ----------------------------------------------------------

def _report_capacity(*, owner: Organization, by):
    capacity = acting_capacity_among(user=by, organizations=[owner.pk], roles=WRITER_ROLES)
    if capacity is None:
        raise NotPermitted(f"Only an action officer or approver of {organization_label(owner)} may write its readiness report.")
    return capacity


def report_assert_editable(*, report: WorkforceReadinessReport, by) -> None:
    if report.state not in EDITABLE:
        raise ActionRefused(f"Only a draft or a returned report can be changed; this one is {state_label(report)}.")
    _report_capacity(owner=report.owner, by=by)


@transaction.atomic
def report_write(*, by, report: WorkforceReadinessReport | None = None, fields: Mapping,
                 rel_to: Iterable | None = None) -> WorkforceReadinessReport:
    """Create (owned by DSCA, the security cooperation agency) or change a readiness report while
    a draft or returned, by DSCA's action officers and approvers. Refusals name the field."""
    if report is None:
        from organizations.selectors import designated_organization

        owner = designated_organization(Designation.SECURITY_COOPERATION_AGENCY)
        if owner is None:
            raise InvalidInput("No organization is designated the security cooperation agency (DSCA) today: the "
                               "readiness report has no owner.")
        _report_capacity(owner=owner, by=by)
        report = WorkforceReadinessReport(owner=owner, created_by=by)
    else:
        report = WorkforceReadinessReport.objects.select_for_update().get(pk=report.pk)
        report_assert_editable(report=report, by=by)
    for name in REPORT_FIELDS:
        if name in fields:
            value = fields[name]
            setattr(report, name, value.strip() if isinstance(value, str) else value)
    errors: dict[str, list[str]] = {}
    if not report.title:
        errors["title"] = ["Give the report a title."]
    if not report.period_start:
        errors["period_start"] = ["Give the first day of the period."]
    if not report.period_end:
        errors["period_end"] = ["Give the last day of the period."]
    elif report.period_start and report.period_end <= report.period_start:
        errors["period_end"] = [f"The period ends after it starts ({date_words(report.period_start)})."]
    if errors:
        raise _invalid(errors)
    try:
        report.full_clean(exclude=["route", "route_snapshot", "owner", "created_by", "state"])
    except ValidationError as error:
        raise InvalidInput.from_validation(error) from error
    report.save()
    if rel_to is not None:
        report.rel_to.set(rel_to)
    from security.access import may_see

    marking = report.marking()
    if not may_see(by, marking):
        raise InvalidInput(f"Nothing was saved. You may not mark a report {marking.banner}: it is beyond what your "
                           "clearance and citizenship let you read.", {"classification": ["Beyond your clearance."]})
    return report


# --- conditions -----------------------------------------------------------------------------

def content_complete(report: WorkforceReadinessReport) -> list[str]:
    """The report gives DSCA's assessment of the workforce's readiness for its period."""
    return [] if report.assessment.strip() else ["Missing before submission: DSCA's assessment of readiness."]


def period_over(report: WorkforceReadinessReport) -> list[str]:
    """The period has begun (the rows read are of a day within it or after it)."""
    if report.period_start > timezone.localdate():
        return [f"The period starts on {date_words(report.period_start)}: submit the report once it has begun."]
    return []


# --- effects --------------------------------------------------------------------------------

def _rows_day(report: WorkforceReadinessReport) -> datetime.date:
    return min(report.period_end, timezone.localdate())


def report_submit(report: WorkforceReadinessReport, context: TransitionContext) -> None:
    """Freeze the readiness rows of every SCO as of the period's end (or today, if sooner), take
    the route and task USD(P&R) to review (Encl. 2, 6.b, 6.c)."""
    report.as_of = _rows_day(report)
    report.rows = readiness_rows(SecurityCooperationOrganization.objects.all(), on=report.as_of)
    route_snapshot_take(document=report)
    taskers_issue(document=report, step=Step.REVIEW, participants=route_participants(report, Step.REVIEW),
                  by=context.by, capacity=context.capacity)
    report.submitted_at = timezone.now()
    report.return_reason = ""


def report_accept(report: WorkforceReadinessReport, context: TransitionContext) -> None:
    """Close USD(P&R)'s tasker as approved and record the decision."""
    taskers_close_answered(document=report, step=Step.REVIEW, by=context.by, response=Response.APPROVED,
                           capacity=context.capacity)
    taskers_cancel_open(document=report, reason="Report accepted")
    report.decision_note = context.comment
    report.decided_at = timezone.now()


def report_return(report: WorkforceReadinessReport, context: TransitionContext) -> None:
    report.return_reason = context.comment
    taskers_cancel_open(document=report, reason=f"Returned for rework: {context.comment}")


def report_withdraw(report: WorkforceReadinessReport, context: TransitionContext) -> None:
    taskers_cancel_open(document=report, reason=f"Withdrawn: {context.comment}")
