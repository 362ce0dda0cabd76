"""Writes on plans. Transitions go through ``workflow.services.transition_perform``; the
functions under "effects of transitions" are what a transition does, each named beside its
transition in ``planning.workflows`` (the engine calls it from there)."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from organizations.models import Role
from organizations.selectors import acting_capacity
from security.markings import Marking
from workflow.exceptions import ActionRefused, InvalidInput, NotPermitted
from workflow.models import Response, Step
from workflow.rules import TransitionContext
from workflow.selectors import document_taskers, open_taskers, route_participants, taskers_of
from workflow.services import (
    document_lock,
    history_record,
    route_snapshot_take,
    taskers_cancel_open,
    taskers_issue,
    transition_perform,
)

from .models import (
    CampaignPlan,
    CampaignSupportPlan,
    Objective,
    PartnerConsideration,
    PlanDocument,
    PlanSection,
    PlanState,
)

EDITABLE_FIELDS = {
    "title", "gef", "period_start", "period_end", "summary", "complementary_usg_activities", "resources_needed",
    "risk_if_not_resourced", "classification", "noforn", "cui_designation_indicator", "classified_by",
    "derived_from", "declassify_on", "kind", "parent_plan",
}


def _suspense_from(context: TransitionContext) -> tuple[datetime.date | None, str]:
    raw = context.data.get("suspense")
    if raw in (None, ""):
        return None, ""
    if isinstance(raw, str):
        try:
            raw = datetime.date.fromisoformat(raw)
        except ValueError as exc:
            raise InvalidInput("The suspense must be a date (YYYY-MM-DD).", {"suspense": ["Not a date."]}) from exc
    return raw, (context.data.get("suspense_reason") or "").strip()


def _owner_capacity(plan: PlanDocument, by, roles=(Role.ACTION_OFFICER,)):
    capacity = acting_capacity(user=by, organization=plan.owner, roles=roles)
    if capacity is None:
        words = " or ".join(Role(r).label.lower() for r in roles)
        raise NotPermitted(f"Only an {words} of {plan.owner} may do this.")
    return capacity


def _references_checked(fields: dict, by) -> None:
    """A plan may name only a parent plan its author may see; the refusal is the same whether the
    plan exists or not, so it confirms nothing."""
    parent = fields.get("parent_plan")
    if parent is None:
        return
    from .selectors import plans_visible_to

    if not plans_visible_to(by, CampaignPlan).filter(pk=parent.pk).exists():
        raise InvalidInput("Choose a parent plan among the campaign plans you may see.",
                           {"parent_plan": ["Not one of the available choices."]})


def _validated(plan: PlanDocument) -> None:
    try:
        plan.full_clean(exclude=["state"])
    except ValidationError as exc:
        raise InvalidInput([m for ms in exc.message_dict.values() for m in ms], exc.message_dict) from exc


# --- create and edit ---------------------------------------------------------------------

def plan_create(*, model: type[PlanDocument], by, owner, title: str, **fields) -> PlanDocument:
    """Create a draft plan for ``owner``; only its action officers (or their delegates) may."""
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise InvalidInput(f"Unknown fields: {', '.join(sorted(unknown))}.")
    _references_checked(fields, by)
    with transaction.atomic():
        plan = model(owner=owner, title=title, created_by=by, **fields)
        capacity = _owner_capacity(plan, by)
        _validated(plan)
        plan.save()
        plan_banner_sync(plan=plan, by=by)
        history_record(document=plan, action="created", description=f"Draft created (version {plan.version})",
                       actor=by, capacity=capacity, to_state=plan.state)
    return plan


def campaign_plan_create(*, by, owner, title: str, **fields) -> CampaignPlan:
    return plan_create(model=CampaignPlan, by=by, owner=owner, title=title, **fields)


def support_plan_create(*, by, owner, title: str, **fields) -> CampaignSupportPlan:
    return plan_create(model=CampaignSupportPlan, by=by, owner=owner, title=title, **fields)


def plan_update(*, plan: PlanDocument, by, **fields) -> PlanDocument:
    """Edit a draft: only while it is a draft, only by the owner's action officers and approvers."""
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise InvalidInput(f"Unknown fields: {', '.join(sorted(unknown))}.")
    if fields.get("parent_plan") is not None and fields["parent_plan"].pk != getattr(plan, "parent_plan_id", None):
        _references_checked(fields, by)  # an unchanged parent stays, whoever edits
    with transaction.atomic():
        locked = document_lock(model=type(plan), pk=plan.pk).document
        plan_assert_editable(plan=locked, by=by)
        for name, value in fields.items():
            setattr(locked, name, value)
        _validated(locked)
        locked.save()
        plan_banner_sync(plan=locked, by=by)
    return locked


# The marking's parts kept as lists (REL TO countries, CUI categories, dissemination controls).
MARKING_PARTS = {"rel_to", "cui_categories", "dissemination_controls"}
LINKS = {CampaignPlan: {"supporting_organizations", *MARKING_PARTS},
         CampaignSupportPlan: {"supported_plans", *MARKING_PARTS}}


def partner_list_errors(partners: list[dict]) -> list[str]:
    """What is wrong with a plan's list of partner considerations (empty: nothing)."""
    if any(p.get("country") is None for p in partners):
        return ["Each partner consideration needs its country."]
    codes = [p["country"].code.code for p in partners]
    repeated = sorted({c for c in codes if codes.count(c) > 1})
    return [f"Each country once: {', '.join(repeated)} repeated."] if repeated else []


def objective_list_errors(objectives: list[dict]) -> list[str]:
    """What is wrong with a plan's list of objectives (empty: nothing)."""
    if any(not o.get("code") or not o.get("title") for o in objectives):
        return ["Each objective needs its code and title."]
    return []


def section_list_errors(sections: list[dict]) -> list[str]:
    """What is wrong with a plan's list of sections (empty: nothing)."""
    if any(not s.get("number") or not s.get("heading") for s in sections):
        return ["Each section needs its number and heading."]
    numbers = [s["number"] for s in sections]
    repeated = sorted({n for n in numbers if numbers.count(n) > 1})
    return [f"Each section number once: {', '.join(repeated)} repeated."] if repeated else []


def _portions_replace(manager, model, link: dict, items: list[dict], many: tuple[str, ...]) -> None:
    manager.all().delete()
    for item in items:
        portion = model.objects.create(**link, **{k: v for k, v in item.items() if k not in many})
        for name in many:
            getattr(portion, name).set(item.get(name, []))


def plan_lists_replace(*, plan: PlanDocument, by, partners: list[dict] | None = None,
                       objectives: list[dict] | None = None, sections: list[dict] | None = None,
                       links: dict[str, list] | None = None) -> PlanDocument:
    """Replace a draft's lists, as the admin's inlines do: its partner considerations (4.b; one
    dict per country), its portion-marked sections (number, heading, body, classification,
    noforn, ``rel_to``) and objectives (code, title, ..., ``end_states``, ``rel_to``) and its
    many-to-many links (a campaign plan's ``supporting_organizations``, a support plan's
    ``supported_plans``, and the marking's parts: ``rel_to``, ``cui_categories``,
    ``dissemination_controls``). A list left ``None`` stays as it is. Drafts only, by the owner's
    action officers; the banner is raised to the highest portion and refused beyond the writer's
    clearance (``plan_banner_sync``); all or nothing."""
    links = links or {}
    unknown = set(links) - LINKS[type(plan)]
    if unknown:
        raise InvalidInput(f"Unknown lists: {', '.join(sorted(unknown))}.")
    errors = {}
    if partners is not None and partner_list_errors(partners):
        errors["partner_considerations"] = partner_list_errors(partners)
    if objectives is not None and objective_list_errors(objectives):
        errors["objectives"] = objective_list_errors(objectives)
    if sections is not None and section_list_errors(sections):
        errors["sections"] = section_list_errors(sections)
    if errors:
        raise InvalidInput([m for messages in errors.values() for m in messages], errors)
    with transaction.atomic():
        locked = document_lock(model=type(plan), pk=plan.pk).document
        plan_assert_editable(plan=locked, by=by)
        link = "campaign_plan" if isinstance(locked, CampaignPlan) else "support_plan"
        for name, values in links.items():
            getattr(locked, name).set([*values, *_links_hidden_from(locked, name, by)])
        if partners is not None:
            locked.partner_considerations.all().delete()
            PartnerConsideration.objects.bulk_create([PartnerConsideration(**{link: locked}, **p) for p in partners])
        if objectives is not None:
            _portions_replace(locked.objectives, Objective, {link: locked}, objectives, ("end_states", "rel_to"))
        if sections is not None:
            _portions_replace(locked.sections, PlanSection, {link: locked}, sections, ("rel_to",))
        plan_banner_sync(plan=locked, by=by)
    return locked


def _links_hidden_from(plan: PlanDocument, name: str, by) -> list:
    """The documents ``plan`` links to under ``name`` that ``by`` may not see: a writer replaces
    the links they see and keeps the others (they cannot choose what they cannot see)."""
    field = type(plan)._meta.get_field(name)
    target = field.related_model
    if not hasattr(target, "workflow_kind"):
        return []  # organizations, not documents
    from .selectors import plans_visible_to

    return list(getattr(plan, name).exclude(pk__in=plans_visible_to(by, target).values("pk")))


def plan_marking_refusal(*, by, own: Marking, portions=()) -> str | None:
    """Why ``by`` may not store a plan marked ``own`` with ``portions`` (their markings): the banner
    the plan would then carry is beyond what their clearance and citizenship let them read; None
    when they may. The one rule ``plan_banner_sync`` enforces; forms ask it before saving."""
    from security.access import may_see
    from security.services import banner_to_store

    banner = banner_to_store(own=own, portions=list(portions))
    if may_see(by, banner):
        return None
    return (f"You may not mark a plan {banner.banner}: it is beyond what your clearance and citizenship let "
            "you read.")


def plan_banner_sync(*, plan: PlanDocument, by=None) -> bool:
    """Raise the plan's stored banner to its highest portion (level, NOFORN, shared REL TO), in the
    same transaction as the write that changed a portion. Every service that writes a plan or its
    portions calls it, so no caller can store a banner lower than a portion. With ``by``, refuses
    (and the caller's transaction saves nothing) a banner the writer's own clearance does not
    reach: nobody marks content beyond what they may read. Returns whether the banner changed."""
    from security.services import document_banner_sync

    changed = document_banner_sync(document=plan)
    refusal = plan_marking_refusal(by=by, own=plan.marking()) if by is not None else None
    if refusal:
        raise InvalidInput(f"Nothing was saved. {refusal}", {"classification": ["Beyond your clearance."]})
    return changed


def plan_assert_editable(*, plan: PlanDocument, by) -> None:
    """Raise unless ``by`` may edit the plan's content: a draft, by the owner's action officers and
    approvers. The admin's and the API's permission to change a plan is this rule."""
    if plan.state != PlanState.DRAFT:
        raise ActionRefused(f"Only a draft can be edited; this version is {plan.get_state_display().lower()}. "
                            "Start a new version to change it.")
    _owner_capacity(plan, by, roles=(Role.ACTION_OFFICER, Role.APPROVER))


# --- effects of transitions ---------------------------------------------------------------

def plan_enter_coordination(plan: PlanDocument, context: TransitionContext) -> None:
    """Freeze the route, then task every coordinating organization, adding seam commands."""
    route_snapshot_take(document=plan)
    participants = route_participants(plan, Step.COORDINATION)
    seen = {org.pk for org, _ in participants}
    seams = [(org, reason) for org, reason in plan.seam_participants() if org.pk not in seen]
    suspense, reason = _suspense_from(context)
    taskers_issue(document=plan, step=Step.COORDINATION, participants=participants + seams, by=context.by,
                  capacity=context.capacity, suspense=suspense, suspense_reason=reason,
                  seam_ids={org.pk for org, _ in seams})
    plan.submitted_at = timezone.now()


def plan_enter_review(plan: PlanDocument, context: TransitionContext, added_reason: str = "") -> None:
    """Close coordination, then task every reviewing organization."""
    taskers_cancel_open(document=plan, step=Step.COORDINATION, reason="Coordination closed")
    participants = [(org, added_reason or why) for org, why in route_participants(plan, Step.REVIEW)]
    suspense, reason = _suspense_from(context)
    taskers_issue(document=plan, step=Step.REVIEW, participants=participants, by=context.by,
                  capacity=context.capacity, suspense=suspense, suspense_reason=reason)


def plan_elevate(plan: PlanDocument, context: TransitionContext) -> None:
    """Record the elevation and its rationale, then enter review as ``plan_enter_review``."""
    plan.elevated = True
    plan.elevation_rationale = context.comment
    plan_enter_review(plan, context, added_reason="elevated non-concurrence: see the rationale")


def plan_return(plan: PlanDocument, context: TransitionContext) -> None:
    """Record the reason and close every open tasker."""
    plan.return_reason = context.comment
    taskers_cancel_open(document=plan, reason=f"Returned for rework: {context.comment}")


def plan_approve(plan: PlanDocument, context: TransitionContext) -> None:
    """Close the approval tasker and supersede the version approved before this one."""
    for tasker in document_taskers(plan, open_only=True):
        if tasker.step == Step.APPROVAL:
            tasker.mark_answered()
            tasker.response = Response.APPROVED
            tasker.answered_by, tasker.answered_at = context.by, timezone.now()
            tasker.answered_on_behalf_of_id = context.capacity.on_behalf_of_id if context.capacity else None
            tasker.save(update_fields=["state", "response", "answered_by", "answered_at", "answered_on_behalf_of"])
        else:
            tasker.mark_cancelled()
            tasker.closed_reason = "Plan approved"
            tasker.save(update_fields=["state", "closed_reason"])
    plan.approved_at = timezone.now()
    if plan.version == 1:
        return  # nothing earlier to supersede
    for previous in type(plan).objects.filter(series=plan.series, state=PlanState.APPROVED).exclude(pk=plan.pk):
        transition_perform(document=previous, name="supersede", by=context.by, system=True,
                           comment=f"Superseded by version {plan.version}")


def plan_withdraw(plan: PlanDocument, context: TransitionContext) -> None:
    """Close every open tasker, with the reason given."""
    taskers_cancel_open(document=plan, reason=f"Plan withdrawn: {context.comment}")


def plan_after_response(plan: PlanDocument, *, tasker, by) -> None:
    """When the last review answer is in, task the approving organization."""
    if tasker.step != Step.REVIEW or open_taskers(plan, step=Step.REVIEW).exists():
        return
    if taskers_of(plan, step=Step.APPROVAL).exists():
        return
    # The system tasks the approver, on behalf of the reviewer whose answer completed the review.
    taskers_issue(document=plan, step=Step.APPROVAL, participants=route_participants(plan, Step.APPROVAL),
                  by=None, caused_by=by)


# --- versions -----------------------------------------------------------------------------

def plan_new_version(*, plan: PlanDocument, by) -> PlanDocument:
    """Start a new draft version of a returned or approved plan. The earlier version stays as it
    is (readable, unchanged); approving the new one supersedes the approved one."""
    model = type(plan)
    with transaction.atomic():
        plan = document_lock(model=model, pk=plan.pk).document
        capacity = _owner_capacity(plan, by)
        if plan.state not in (PlanState.RETURNED, PlanState.APPROVED):
            raise ActionRefused(f"A new version starts from a returned or approved plan; this one is "
                                f"{plan.get_state_display().lower()}.")
        in_flight = model.objects.filter(series=plan.series, state__in=(PlanState.DRAFT, PlanState.COORDINATION,
                                                                         PlanState.REVIEW))
        if in_flight.exists():
            current = in_flight.first()
            raise ActionRefused(f"Version {current.version} is already {current.get_state_display().lower()}; "
                                "work on it instead.")
        latest = model.objects.filter(series=plan.series).order_by("-version").first()
        copy = model.objects.get(pk=plan.pk)
        copy.pk = copy.id = None
        copy._state.adding = True
        copy.version = latest.version + 1
        copy.previous_version = plan
        for name in ("route_snapshot",):
            setattr(copy, name, {})
        copy.route = None
        copy.elevated, copy.elevation_rationale, copy.return_reason = False, "", ""
        copy.submitted_at = copy.approved_at = None
        copy.created_by, copy.created_at = by, timezone.now()
        # A new row starts as a draft; the protected state field is set before the first save.
        copy.__dict__["state"] = PlanState.DRAFT
        copy.save(force_insert=True)
        for m2m in ("supporting_organizations", "supported_plans"):
            if hasattr(plan, m2m):
                getattr(copy, m2m).set(getattr(plan, m2m).all())
        for partner in plan.partner_considerations.all():
            partner.pk = None
            setattr(partner, "campaign_plan" if isinstance(plan, CampaignPlan) else "support_plan", copy)
            partner.save()
        for objective in plan.objectives.prefetch_related("end_states", "rel_to"):
            end_states, released_to = list(objective.end_states.all()), list(objective.rel_to.all())
            objective.pk = None
            objective._prefetched_objects_cache = {}
            setattr(objective, "campaign_plan" if isinstance(plan, CampaignPlan) else "support_plan", copy)
            objective.save()
            objective.end_states.set(end_states)
            objective.rel_to.set(released_to)
        for section in plan.sections.prefetch_related("rel_to"):
            released_to = list(section.rel_to.all())
            section.pk = None
            section._prefetched_objects_cache = {}
            setattr(section, "campaign_plan" if isinstance(plan, CampaignPlan) else "support_plan", copy)
            section.save()
            section.rel_to.set(released_to)
        copy.rel_to.set(plan.rel_to.all())
        copy.cui_categories.set(plan.cui_categories.all())
        copy.dissemination_controls.set(plan.dissemination_controls.all())
        plan_banner_sync(plan=copy)
        history_record(document=copy, action="new_version",
                       description=f"Version {copy.version} started from version {plan.version}", actor=by,
                       capacity=capacity, to_state=PlanState.DRAFT)
        history_record(document=plan, action="new_version_started",
                       description=f"Version {copy.version} started from this version", actor=by, capacity=capacity)
    return copy
