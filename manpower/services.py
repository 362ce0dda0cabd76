"""Writes on SCOs, their manning and their manpower change requests: one place each.

- ``sco_register``: an SCO of the reference data (its organization, supervised by the command
  covering its host country on the day).
- ``request_write``: a request and its requested billets, created or changed while a draft or
  returned, by the owner's action officers and approvers (admin and API alike).
- the workflow's effects and conditions (``manpower.workflows`` names them beside each
  transition): tasking each step through the engine's services, and on approval
  ``manning_apply``, which changes the SCO's authorized manning from the effective date,
  keeping the rows it replaces.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from organizations.models import Organization, OrganizationKind, Role
from organizations.selectors import acting_capacity_among, command_covering, organization_labels
from organizations.services import organization_create
from runtime.dates import date_words
from workflow.exceptions import ActionRefused, InvalidInput, NotPermitted
from workflow.models import Response, Step
from workflow.rules import TransitionContext
from workflow.selectors import critical_comment_reasons, document_taskers, route_participants
from workflow.services import (
    route_snapshot_take,
    state_label,
    taskers_cancel_open,
    taskers_close_answered,
    taskers_issue,
)

from .models import (
    EDITABLE,
    GRADES,
    BilletAction,
    ChangeType,
    ManningAuthorization,
    ManpowerChangeRequest,
    RequestedBillet,
    SecurityCooperationOrganization,
    Service,
)
from .selectors import manning_open, supervision_refusals

EDITABLE_FIELDS = ("title", "change_type", "justification", "effective_on", "proposed_name", "proposed_acronym",
                   "chief_of_mission", "sdo_datt_office", "classification", "noforn")
BILLET_FIELDS = ("action", "position", "grade", "service", "skill", "billets")
REQUESTER_ROLES = (Role.ACTION_OFFICER, Role.APPROVER)
GRADE_VALUES = {value for value, _label in GRADES}


# --- reference data ------------------------------------------------------------------------

@transaction.atomic
def sco_register(*, name: str, acronym: str, host_country, chief_of_mission: str, sdo_datt_office: str,
                 source_url: str = "", source_note: str = "", established_on: datetime.date | None = None,
                 on: datetime.date | None = None) -> tuple[SecurityCooperationOrganization, str]:
    """The SCO of the reference data named ``acronym``, with its organization (kind SCO), made to
    match; returns it and 'created', 'updated' or 'unchanged'. Its supervising command is the one
    whose area of responsibility holds ``host_country`` on ``on`` (today): refused when none does,
    or when an existing organization of that acronym is recorded under another command."""
    day = on or timezone.localdate()
    command = command_covering(country=host_country, on=day)
    if command is None:
        raise InvalidInput(supervision_refusals(country=host_country, on=day))
    organization = Organization.objects.filter(acronym__iexact=acronym, active=True).first()
    outcome = "unchanged"
    if organization is None:
        organization = organization_create(name=name, acronym=acronym, kind=OrganizationKind.SCO,
                                           supervised_by=command, notes=source_note)
        outcome = "created"
    elif organization.kind != OrganizationKind.SCO:
        raise InvalidInput(f"{acronym} is an organization of another kind ({organization.get_kind_display()}); an SCO "
                           "needs an acronym of its own.")
    elif organization.supervised_by_id != command.pk:
        raise InvalidInput(f"{acronym} is recorded as supervised by {organization.supervised_by or 'no command'}, but "
                           f"{host_country.name} is in {command}'s area of responsibility on {date_words(day)}.")
    wanted = {"host_country": host_country, "chief_of_mission": chief_of_mission, "sdo_datt_office": sdo_datt_office,
              "source_url": source_url, "source_note": source_note, "established_on": established_on}
    sco = SecurityCooperationOrganization.objects.filter(organization=organization).first()
    if sco is None:
        sco = SecurityCooperationOrganization(organization=organization, **wanted)
        outcome = "created"
    else:
        changed = [name for name, value in wanted.items() if getattr(sco, name) != value]
        for name in changed:
            setattr(sco, name, wanted[name])
        if not changed:
            return sco, outcome
        outcome = "updated" if outcome == "unchanged" else outcome
    sco.full_clean()
    sco.save()
    return sco, outcome


# --- manning -------------------------------------------------------------------------------

def _line_refusals(lines: list[dict], *, change_type: str, open_rows: Mapping[str, ManningAuthorization],
                   sco_name: str) -> tuple[list[str], dict[int, dict[str, list[str]]]]:
    """What is wrong with the requested billets, given the SCO's open authorizations: the reasons,
    and per row and field (for the admin's inline rows and the API)."""
    reasons: list[str] = []
    rows: dict[int, dict[str, list[str]]] = {}

    def refuse(index: int, field: str, message: str) -> None:
        rows.setdefault(index, {}).setdefault(field, []).append(message)
        reasons.append(f"Billet {index + 1}: {message}")

    seen: set[str] = set()
    for index, line in enumerate(lines):
        position = (line.get("position") or "").strip()
        action = line.get("action") or BilletAction.ADD
        if action not in BilletAction.values:
            refuse(index, "action", "Choose add, change or abolish.")
            continue
        if not position:
            refuse(index, "position", "Name the position.")
            continue
        if position.lower() in seen:
            refuse(index, "position", f"“{position}” is named twice; one line per position.")
        seen.add(position.lower())
        if change_type == ChangeType.ESTABLISH and action != BilletAction.ADD:
            refuse(index, "action", "A new SCO has no positions yet: every line adds one.")
            continue
        if action != BilletAction.ABOLISH:
            if line.get("grade") not in GRADE_VALUES:
                refuse(index, "grade", "Choose the grade.")
            if line.get("service") not in Service.values:
                refuse(index, "service", "Choose the Service (or DoD civilian, locally employed staff).")
            if not line.get("billets") or int(line["billets"]) < 1:
                refuse(index, "billets", "At least one billet.")
        current = open_rows.get(position)
        if action == BilletAction.ADD and current is not None:
            refuse(index, "action", f"{sco_name} already has the position “{position}”; ask to change it instead.")
        elif action in (BilletAction.CHANGE, BilletAction.ABOLISH) and current is None:
            refuse(index, "position", f"{sco_name} has no authorized position “{position}” to "
                                      f"{'change' if action == BilletAction.CHANGE else 'abolish'}.")
    return reasons, rows


def _open_rows(request: ManpowerChangeRequest) -> dict[str, ManningAuthorization]:
    return manning_open(request.sco) if request.sco_id else {}


def manning_baseline_set(*, sco: SecurityCooperationOrganization, rows: Iterable[Mapping], effective_from: datetime.date
                         ) -> int:
    """Record ``sco``'s authorized manning from ``effective_from`` when it has none yet (the
    demo's training baseline: not a real authorization); returns the rows written, 0 when the SCO
    already has manning."""
    if sco.authorizations.exists():
        return 0
    rows = [{"billets": 1, "skill": "", **row} for row in rows]
    reasons, _ = _line_refusals([{**row, "action": BilletAction.ADD} for row in rows],
                                change_type=ChangeType.ESTABLISH, open_rows={}, sco_name=str(sco))
    if reasons:
        raise InvalidInput(reasons)
    created = ManningAuthorization.objects.bulk_create([
        ManningAuthorization(sco=sco, effective_from=effective_from, position=row["position"], grade=row["grade"],
                             service=row["service"], skill=row["skill"], billets=row["billets"])
        for row in rows])
    return len(created)


def manning_refusals(*, request: ManpowerChangeRequest, on: datetime.date) -> list[str]:
    """Why the SCO's manning cannot change as ``request`` asks from ``on`` (nothing when it can):
    another approval since it was written added, changed or ended a position it names."""
    if not request.sco_id:
        return []
    lines = list(request.billets.all())
    open_rows = manning_open(request.sco)
    reasons, _ = _line_refusals([{f: getattr(line, f) for f in BILLET_FIELDS} for line in lines],
                                change_type=request.change_type, open_rows=open_rows, sco_name=str(request.sco))
    late = [row.position for line in lines if (row := open_rows.get(line.position)) and row.effective_from >= on]
    if late:
        reasons.append(f"{', '.join(late)} at {request.sco} already changes on or after {date_words(on)}.")
    if reasons:
        return ["The SCO's manning has changed since this request was written: return it for rework.", *reasons]
    return []


def manning_apply(*, request: ManpowerChangeRequest, on: datetime.date) -> list[ManningAuthorization]:
    """Change the SCO's authorized manning as the approved ``request`` asks, from ``on``: an added
    position starts a row; a changed one ends its current row on ``on`` and starts another; an
    abolished one ends its row. Earlier rows stay (the history of authorizations). To establish an
    SCO, its organization and reference row are created first. Refused, saving nothing, when the
    manning has changed since the request was written (``manning_refusals``)."""
    if request.change_type == ChangeType.ESTABLISH and not request.sco_id:
        sco, _ = sco_register(name=request.proposed_name, acronym=request.proposed_acronym,
                              host_country=request.host_country, chief_of_mission=request.chief_of_mission,
                              sdo_datt_office=request.sdo_datt_office, established_on=on,
                              source_note=f"Established by the approved request “{request.title}”.")
        request.sco = sco
    SecurityCooperationOrganization.objects.select_for_update().get(pk=request.sco_id)  # one approval at a time
    reasons = manning_refusals(request=request, on=on)
    if reasons:
        raise ActionRefused(reasons)
    open_rows = manning_open(request.sco)
    written = []
    for line in request.billets.all():
        current = open_rows.get(line.position)
        if current is not None:
            current.effective_until = on
            current.save(update_fields=["effective_until"])
        if line.action != BilletAction.ABOLISH:
            written.append(ManningAuthorization(sco=request.sco, position=line.position, grade=line.grade,
                                                service=line.service, skill=line.skill, billets=line.billets,
                                                effective_from=on, request=request))
    return ManningAuthorization.objects.bulk_create(written)


# --- the request: content ------------------------------------------------------------------

def _requester_capacity(*, owner: Organization, supervising_command: Organization | None, by):
    organizations = [owner.pk] + ([supervising_command.pk] if supervising_command else [])
    capacity = acting_capacity_among(user=by, organizations=organizations, roles=REQUESTER_ROLES)
    if capacity is None:
        labels = organization_labels([owner, supervising_command])  # today's names, the directive's beside them
        names = " or ".join(labels.get(o.pk, str(o)) for o in (owner, supervising_command) if o)
        raise NotPermitted(f"Only an action officer or approver of {names} may write this request.")
    return capacity


def request_assert_editable(*, request: ManpowerChangeRequest, by) -> None:
    """Raise unless ``by`` may change the request's content: a draft or a returned request, by the
    action officers and approvers of its owner or of its supervising command."""
    if request.state not in EDITABLE:
        raise ActionRefused(f"Only a draft or a returned request can be changed; this one is {state_label(request)}.")
    _requester_capacity(owner=request.owner, supervising_command=request.supervising_command, by=by)


@transaction.atomic
def request_write(*, by, request: ManpowerChangeRequest | None = None, sco: SecurityCooperationOrganization | None = None,
                  host_country=None, fields: Mapping, billets: list[dict] | None = None,
                  rel_to: Iterable | None = None) -> ManpowerChangeRequest:
    """Create (``request`` None) or change a request and replace its requested billets, all or
    nothing. A new request names its SCO (its owner, supervised by the command covering the host
    country today), or, to establish an SCO, the host country (owned by that command). Written by
    the action officers and approvers of the owner or of the supervising command, while a draft or
    returned. Refusals name the field or billet row."""
    errors: dict[str, list[str]] = {}
    if request is None:
        change_type = fields.get("change_type") or ""
        if change_type == ChangeType.ESTABLISH:
            if sco is not None:
                errors.setdefault("sco", []).append("To establish an SCO, leave the SCO empty and name the host country.")
            if host_country is None:
                errors.setdefault("host_country", []).append("Name the host country of the new SCO.")
        elif sco is None:
            errors.setdefault("sco", []).append("Name the SCO whose program changes.")
        else:
            host_country = sco.host_country
        if errors:
            raise InvalidInput([m for ms in errors.values() for m in ms], errors)
        refusals = supervision_refusals(country=host_country, sco=sco)
        if refusals:
            raise InvalidInput(refusals, {"sco" if sco else "host_country": refusals})
        command = command_covering(country=host_country)
        owner = sco.organization if sco is not None else command
        _requester_capacity(owner=owner, supervising_command=command, by=by)
        request = ManpowerChangeRequest(owner=owner, sco=sco, host_country=host_country, supervising_command=command,
                                        created_by=by)
    else:
        request = ManpowerChangeRequest.objects.select_for_update().get(pk=request.pk)
        request_assert_editable(request=request, by=by)
    for name in EDITABLE_FIELDS:
        if name in fields:
            value = fields[name]
            setattr(request, name, value.strip() if isinstance(value, str) else value)
    if not request.title:
        errors.setdefault("title", []).append("Give the request a title.")
    if request.change_type not in ChangeType.values:
        errors.setdefault("change_type", []).append("Choose the kind of change.")
    elif request.sco_id and request.change_type == ChangeType.ESTABLISH:
        errors.setdefault("change_type", []).append(f"{request.sco} exists already; choose another kind of change.")
    if request.change_type == ChangeType.ESTABLISH:
        for name, words in (("proposed_name", "the new SCO's name"), ("proposed_acronym", "its acronym"),
                            ("chief_of_mission", "the chief of mission"), ("sdo_datt_office", "the SDO/DATT office")):
            if not getattr(request, name):
                errors.setdefault(name, []).append(f"To establish an SCO, give {words}.")
        if request.proposed_acronym and Organization.objects.filter(acronym__iexact=request.proposed_acronym,
                                                                    active=True).exists():
            errors.setdefault("proposed_acronym", []).append(f"{request.proposed_acronym} is already in use.")
    row_errors: dict[int, dict[str, list[str]]] = {}
    if billets is not None:
        billets = [{**line, "billets": line.get("billets") or 1} for line in billets]
        lines = [{f: (line.get(f) if not isinstance(line.get(f), str) else line.get(f).strip()) for f in BILLET_FIELDS}
                 for line in billets]
        reasons, row_errors = _line_refusals(lines, change_type=request.change_type, open_rows=_open_rows(request),
                                             sco_name=request.sco_name or "The new SCO")
        if reasons:
            errors.setdefault("billets", []).extend(reasons)
    if errors:
        error = InvalidInput([m for ms in errors.values() for m in ms], errors)
        # A billet's refusal goes beside its row too (the admin inline's prefix is "billets").
        error.rows = {"billets": row_errors} if row_errors else {}
        raise error
    try:
        request.full_clean(exclude=["route", "route_snapshot", "owner", "supervising_command", "created_by", "state",
                                    "host_country", "sco"])
    except ValidationError as error:
        raise InvalidInput.from_validation(error) from error
    request.save()
    if rel_to is not None:
        request.rel_to.set(rel_to)
    _refuse_marking_beyond_reader(request=request, by=by)
    if billets is not None:
        request.billets.all().delete()
        RequestedBillet.objects.bulk_create([
            RequestedBillet(request=request, action=line.get("action") or BilletAction.ADD,
                            position=line["position"].strip(), grade=line.get("grade") or "",
                            service=line.get("service") or "", skill=(line.get("skill") or "").strip(),
                            billets=line.get("billets") or 1)
            for line in billets])
    return request


def _refuse_marking_beyond_reader(*, request: ManpowerChangeRequest, by) -> None:
    """Nobody marks a request beyond what they may read (the write would vanish from their sight)."""
    from security.access import may_see

    marking = request.marking()
    if not may_see(by, marking):
        raise InvalidInput(f"Nothing was saved. You may not mark a request {marking.banner}: it is beyond what your "
                           "clearance and citizenship let you read.", {"classification": ["Beyond your clearance."]})


# --- conditions (each returns the reasons it is not met, in the users' words) ---------------

def content_complete(request: ManpowerChangeRequest) -> list[str]:
    """The request says what changes, why and from when, and its billets fit the SCO's manning."""
    missing = [words for name, words in (("justification", "the justification"),
                                         ("effective_on", "the requested effective date")) if not getattr(request, name)]
    reasons = [f"Missing before submission: {', '.join(missing)}."] if missing else []
    lines = [{f: getattr(line, f) for f in BILLET_FIELDS} for line in request.billets.all()]
    if not lines and request.change_type != ChangeType.STRUCTURE:
        reasons.append("Add at least one requested billet.")
    reasons.extend(_line_refusals(lines, change_type=request.change_type, open_rows=_open_rows(request),
                                  sco_name=request.sco_name or "The new SCO")[0])
    return reasons


def supervision_current(request: ManpowerChangeRequest) -> list[str]:
    """A geographic combatant command covers the host country today, and supervises the SCO."""
    return supervision_refusals(country=request.host_country, sco=request.sco if request.sco_id else None)


def consultation_answered(request: ManpowerChangeRequest) -> list[str]:
    """USD(P&R) has given its input and the Joint Staff has coordinated, with no critical comment standing."""
    waiting = [t.organization.acronym for t in document_taskers(request, step=Step.CONSULTATION, open_only=True)]
    reasons = [f"Waiting for the input of {', '.join(sorted(waiting))}."] if waiting else []
    return reasons + critical_comment_reasons(request)


def manning_still_fits(request: ManpowerChangeRequest) -> list[str]:
    """No other approval has changed the positions this request names since it was written."""
    return manning_refusals(request=request, on=_approved_on(request))


def not_joint(request: ManpowerChangeRequest) -> list[str]:
    """The change is not to the SDO/DATT's grade or Military Department affiliation."""
    if request.needs_joint_approval:
        return ["A change to the SDO/DATT's grade or Military Department affiliation is approved jointly with DIA: "
                "use “Approve and send to DIA”."]
    return []


def joint(request: ManpowerChangeRequest) -> list[str]:
    """The change is to the SDO/DATT's grade or Military Department affiliation (approved jointly with DIA)."""
    if not request.needs_joint_approval:
        return ["Only a change to the SDO/DATT's grade or Military Department affiliation goes to DIA."]
    return []


# --- effects of transitions ----------------------------------------------------------------

def _office(request: ManpowerChangeRequest, designation: str) -> list[tuple[Organization, str]]:
    """The approving organization the route snapshot names by ``designation``."""
    steps = [s for s in (request.route_snapshot or {}).get("steps", [])
             if s["step"] == Step.APPROVAL and s["designation"] == designation and s["organization_id"]]
    return [(organization, "named by the route") for organization in
            Organization.objects.filter(pk__in=[s["organization_id"] for s in steps])]


def request_submit(request: ManpowerChangeRequest, context: TransitionContext) -> None:
    """Take the route, name the supervising command of the day, and task it to endorse (Encl. 2, 10.e)."""
    request.supervising_command = command_covering(country=request.host_country)
    route_snapshot_take(document=request)
    taskers_issue(document=request, step=Step.COORDINATION, participants=route_participants(request, Step.COORDINATION),
                  by=context.by, capacity=context.capacity)
    request.submitted_at = timezone.now()
    request.return_reason = ""


def request_endorse(request: ManpowerChangeRequest, context: TransitionContext) -> None:
    """Close the command's tasker as concurred, then ask USD(P&R)'s input and the Joint Staff's coordination."""
    taskers_close_answered(document=request, step=Step.COORDINATION, by=context.by, response=Response.CONCUR,
                           capacity=context.capacity)
    taskers_issue(document=request, step=Step.CONSULTATION, participants=route_participants(request, Step.CONSULTATION),
                  by=context.by, capacity=context.capacity)


def request_send_for_approval(request: ManpowerChangeRequest, context: TransitionContext) -> None:
    """Task DSCA to approve (Encl. 2, 2.f)."""
    from organizations.models import Designation

    taskers_issue(document=request, step=Step.APPROVAL,
                  participants=_office(request, Designation.SECURITY_COOPERATION_AGENCY), by=context.by,
                  capacity=context.capacity)


def _approved_on(request: ManpowerChangeRequest) -> datetime.date:
    return max(request.effective_on or timezone.localdate(), timezone.localdate())


def request_approve(request: ManpowerChangeRequest, context: TransitionContext) -> None:
    """Close the approving tasker and change the SCO's authorized manning from the later of the
    requested date and today (``manning_apply``)."""
    taskers_close_answered(document=request, step=Step.APPROVAL, by=context.by, response=Response.APPROVED,
                           capacity=context.capacity)
    taskers_cancel_open(document=request, reason="Request approved")
    request.approved_effective_on = _approved_on(request)
    manning_apply(request=request, on=request.approved_effective_on)
    request.decided_at = timezone.now()
    request.decision_note = context.comment


def request_send_to_dia(request: ManpowerChangeRequest, context: TransitionContext) -> None:
    """Record DSCA's approval and task DIA for the joint approval (Encl. 2, 2.f)."""
    from organizations.models import Designation

    taskers_close_answered(document=request, step=Step.APPROVAL, by=context.by, response=Response.APPROVED,
                           capacity=context.capacity)
    taskers_issue(document=request, step=Step.APPROVAL,
                  participants=_office(request, Designation.DEFENSE_INTELLIGENCE), by=context.by,
                  capacity=context.capacity)


def request_disapprove(request: ManpowerChangeRequest, context: TransitionContext) -> None:
    """Record the decision and close every open tasker; the manning does not change."""
    request.decision_note = context.comment
    request.decided_at = timezone.now()
    taskers_cancel_open(document=request, reason=f"Disapproved: {context.comment}")


def request_return(request: ManpowerChangeRequest, context: TransitionContext) -> None:
    """Record the reason and close every open tasker."""
    request.return_reason = context.comment
    taskers_cancel_open(document=request, reason=f"Returned for rework: {context.comment}")


def request_withdraw(request: ManpowerChangeRequest, context: TransitionContext) -> None:
    """Close every open tasker, with the reason given."""
    taskers_cancel_open(document=request, reason=f"Withdrawn: {context.comment}")
