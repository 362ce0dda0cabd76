"""Writes on materiel diversion requests: one place each.

- ``request_write``: a request created or changed while a draft or returned, by the action
  officers and approvers of the requesting office (a combatant command or a Military
  Department); admin and API alike.
- the workflow's effects and conditions (``materiel.workflows`` names them beside each
  transition): tasking DSCA's consultation (Encl. 2, 1.g), the Chairman's priority recommendation
  when DSCA cannot resolve competing partner needs (9.g), and USD(P)'s decision (1.g), through
  the engine's services; the decision records the partner's FAD in force on the day.

The FADs themselves are the Chairman's reference data (``organizations.services.fad_assign``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from organizations.models import Designation, Organization, Role
from organizations.selectors import (
    acting_capacity_among,
    fad_of_partner,
    organization_ids_acting_for,
    organization_label,
)
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

from .models import EDITABLE, PARTNER_NONE, PARTNER_ONE, MaterielDiversionRequest, Urgency

EDITABLE_FIELDS = ("title", "item", "quantity", "unit", "source", "justification", "urgency", "needed_by",
                   "classification", "noforn")
REQUESTER_ROLES = (Role.ACTION_OFFICER, Role.APPROVER)
KEEP = None  # a partner argument not given: the request keeps its partner


# --- the request: content ------------------------------------------------------------------

def _requester_capacity(*, owner: Organization, by):
    capacity = acting_capacity_among(user=by, organizations=[owner.pk], roles=REQUESTER_ROLES)
    if capacity is None:
        raise NotPermitted(f"Only an action officer or approver of {organization_label(owner)} may write this request.")
    return capacity


def request_assert_editable(*, request: MaterielDiversionRequest, by) -> None:
    """Raise unless ``by`` may change the request's content: a draft or a returned request, by the
    action officers and approvers of the requesting office."""
    if request.state not in EDITABLE:
        raise ActionRefused(f"Only a draft or a returned request can be changed; this one is {state_label(request)}.")
    _requester_capacity(owner=request.owner, by=by)


def requesting_offices(user):
    """The organizations ``user`` may write diversion requests for: the combatant commands and
    Military Departments they act for as an action officer or approver."""
    ids = organization_ids_acting_for(user, role=REQUESTER_ROLES, kinds=MaterielDiversionRequest.owner_kinds)
    return Organization.objects.filter(pk__in=ids)


@transaction.atomic
def request_write(*, by, request: MaterielDiversionRequest | None = None, owner: Organization | None = None,
                  partner=KEEP, partner_organization: str | None = KEEP, fields: Mapping,
                  rel_to: Iterable | None = None) -> MaterielDiversionRequest:
    """Create (``request`` None) or change a request, all or nothing. A new one names its
    requesting office (``owner``: one the writer acts for; the only one, when they act for one).
    Its partner is one of two, as a FAD names one: a partner country (``partner``) or a partner
    organization by name (``partner_organization``); naming one replaces the other, naming both
    is refused, and so is neither. Written by the owner's action officers and approvers, while a
    draft or returned. Refusals name their field."""
    errors: dict[str, list[str]] = {}
    if request is None:
        if owner is None:
            offices = list(requesting_offices(by)[:2])
            if len(offices) == 1:
                owner = offices[0]
            else:
                errors["owner"] = ["Name the requesting office: a combatant command or Military Department you act "
                                   "for." if offices else "Only an action officer or approver of a combatant "
                                   "command or Military Department writes a diversion request."]
        elif owner.kind not in MaterielDiversionRequest.owner_kinds:
            errors["owner"] = [f"{owner} is not a combatant command or Military Department; a diversion request is "
                               "theirs to write."]
        if errors:
            raise InvalidInput([m for ms in errors.values() for m in ms], errors)
        _requester_capacity(owner=owner, by=by)
        request = MaterielDiversionRequest(owner=owner, created_by=by)
    else:
        request = MaterielDiversionRequest.objects.select_for_update().get(pk=request.pk)
        request_assert_editable(request=request, by=by)
    _partner_apply(request, partner=partner, partner_organization=partner_organization, errors=errors)
    for name in EDITABLE_FIELDS:
        if name in fields:
            value = fields[name]
            setattr(request, name, value.strip() if isinstance(value, str) else value)
    if not request.title:
        errors.setdefault("title", []).append("Give the request a title.")
    if not request.item:
        errors.setdefault("item", []).append("Name the materiel or equipment to divert.")
    if request.quantity is None or not isinstance(request.quantity, int) or request.quantity < 1:
        errors.setdefault("quantity", []).append("Give a quantity of at least 1.")
    if not request.source:
        errors.setdefault("source", []).append("Say where the materiel is diverted from (a stock, a program, a unit).")
    if not errors.get("partner_organization") and not request.partner_id and not request.partner_organization:
        errors.setdefault("partner", []).append(PARTNER_NONE)
    if request.urgency not in Urgency.values:
        errors.setdefault("urgency", []).append("Choose routine, priority or urgent.")
    if errors:
        raise InvalidInput([m for ms in errors.values() for m in ms], errors)
    try:
        request.full_clean(exclude=["route", "route_snapshot", "owner", "created_by", "state", "partner"])
    except ValidationError as error:
        raise InvalidInput.from_validation(error) from error
    request.save()
    if rel_to is not None:
        request.rel_to.set(rel_to)
    _refuse_marking_beyond_reader(request=request, by=by)
    return request


def _partner_apply(request: MaterielDiversionRequest, *, partner, partner_organization: str | None,
                   errors: dict[str, list[str]]) -> None:
    """Name the request's partner: a country, or a partner organization (``KEEP``: not given).
    ``partner_organization`` given blank, with no country, clears only the organization."""
    name = (partner_organization or "").strip() if partner_organization is not KEEP else KEEP
    if partner is not KEEP and name:
        errors.setdefault("partner_organization", []).append(PARTNER_ONE)
        return
    if partner is not KEEP:
        request.partner, request.partner_organization = partner, ""
    elif name:
        request.partner, request.partner_organization = None, name
    elif name is not KEEP:
        request.partner_organization = ""


def _refuse_marking_beyond_reader(*, request: MaterielDiversionRequest, by) -> None:
    """Nobody marks a request beyond what they may read (the write would vanish from their sight)."""
    from security.access import may_see

    marking = request.marking()
    if not may_see(by, marking):
        raise InvalidInput(f"Nothing was saved. You may not mark a request {marking.banner}: it is beyond what your "
                           "clearance and citizenship let you read.", {"classification": ["Beyond your clearance."]})


# --- conditions (each returns the reasons it is not met, in the users' words) ---------------

def content_complete(request: MaterielDiversionRequest) -> list[str]:
    """The request says why, and by when an urgent one is needed."""
    missing = ["the justification"] if not request.justification else []
    if request.urgency == Urgency.URGENT and not request.needed_by:
        missing.append("the date an urgent diversion is needed by")
    return [f"Missing before submission: {', '.join(missing)}."] if missing else []


# --- effects of transitions ----------------------------------------------------------------

def _office(request: MaterielDiversionRequest, step: str, designation: str) -> list[tuple[Organization, str]]:
    """The organization the route snapshot names for ``step`` by ``designation``."""
    ids = [s["organization_id"] for s in (request.route_snapshot or {}).get("steps", [])
           if s["step"] == step and s["designation"] == designation and s["organization_id"]]
    return [(organization, "named by the route") for organization in Organization.objects.filter(pk__in=ids)]


def request_submit(request: MaterielDiversionRequest, context: TransitionContext) -> None:
    """Take the route and task DSCA to consult (Encl. 2, 1.g)."""
    route_snapshot_take(document=request)
    taskers_issue(document=request, step=Step.CONSULTATION, participants=route_participants(request, Step.CONSULTATION),
                  by=context.by, capacity=context.capacity)
    request.submitted_at = timezone.now()
    request.return_reason = ""
    request.competing_needs = request.dsca_advice = request.priority_recommendation = ""


def _task_decision(request: MaterielDiversionRequest, context: TransitionContext) -> None:
    taskers_issue(document=request, step=Step.APPROVAL,
                  participants=_office(request, Step.APPROVAL, Designation.POLICY_OFFICE), by=context.by,
                  capacity=context.capacity)


def request_advise(request: MaterielDiversionRequest, context: TransitionContext) -> None:
    """Record DSCA's advice, close its tasker and task USD(P) to decide (Encl. 2, 1.g)."""
    taskers_close_answered(document=request, step=Step.CONSULTATION, by=context.by, response=Response.CONCUR,
                           capacity=context.capacity)
    request.dsca_advice = context.comment
    _task_decision(request, context)


def request_refer_competing_needs(request: MaterielDiversionRequest, context: TransitionContext) -> None:
    """DSCA cannot resolve the competing partner needs: record them, close its tasker and task the
    Chairman's office to recommend priorities (Encl. 2, 9.g)."""
    taskers_close_answered(document=request, step=Step.CONSULTATION, by=context.by, response=Response.CONCUR,
                           capacity=context.capacity)
    request.competing_needs = context.comment
    taskers_issue(document=request, step=Step.REVIEW,
                  participants=_office(request, Step.REVIEW, Designation.JOINT_STAFF), by=context.by,
                  capacity=context.capacity)


def request_recommend_priorities(request: MaterielDiversionRequest, context: TransitionContext) -> None:
    """Record the Chairman's recommended priorities and task USD(P) to decide."""
    taskers_close_answered(document=request, step=Step.REVIEW, by=context.by, response=Response.CONCUR,
                           capacity=context.capacity)
    request.priority_recommendation = context.comment
    _task_decision(request, context)


def _decide(request: MaterielDiversionRequest, context: TransitionContext) -> None:
    assignment = fad_of_partner(country=request.partner_id, partner_organization=request.partner_organization)
    request.partner_fad_at_decision = assignment.designator if assignment is not None else ""
    request.decision_note = context.comment
    request.decided_at = timezone.now()


def request_approve(request: MaterielDiversionRequest, context: TransitionContext) -> None:
    """Close USD(P)'s tasker as approved and record the decision with the partner's FAD of the day."""
    taskers_close_answered(document=request, step=Step.APPROVAL, by=context.by, response=Response.APPROVED,
                           capacity=context.capacity)
    taskers_cancel_open(document=request, reason="Request approved")
    _decide(request, context)


def request_disapprove(request: MaterielDiversionRequest, context: TransitionContext) -> None:
    """Record the decision and close every open tasker."""
    _decide(request, context)
    taskers_cancel_open(document=request, reason=f"Disapproved: {context.comment}")


def request_return(request: MaterielDiversionRequest, context: TransitionContext) -> None:
    """Record the reason and close every open tasker."""
    request.return_reason = context.comment
    taskers_cancel_open(document=request, reason=f"Returned for rework: {context.comment}")


def request_withdraw(request: MaterielDiversionRequest, context: TransitionContext) -> None:
    """Close every open tasker, with the reason given."""
    taskers_cancel_open(document=request, reason=f"Withdrawn: {context.comment}")
