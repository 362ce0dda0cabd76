"""How a campaign plan and a campaign support plan move, in one table: from which state to
which, who may move it (actors), when (conditions: ``planning.conditions``, each answering in
the users' words) and what happens then (the effect: ``planning.services``, called by the
engine). Installed on both models at start-up (``planning.apps``).

    draft → coordination → review → approved → superseded (by the next approved version)
                  ↘ (elevated non-concurrence) ↗   ↘ returned     any open state → withdrawn
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce

from organizations.models import Role
from workflow.models import OPEN_TASKER_STATES, Step, Tasker
from workflow.rules import InboxReads, OwnerRole, RouteRole, TaskedRole, Transition, WayForward, Workflow

from . import conditions, services
from .models import (
    CampaignPlan,
    CampaignPlanKind,
    CampaignSupportPlan,
    PartnerConsideration,
    PlanActivity,
    PlanState,
)

OWNER_ROLES = (Role.ACTION_OFFICER, Role.APPROVER)
ANSWER_ROLES = (Role.REVIEWER, Role.APPROVER)
SUSPENSE = ("suspense", "suspense_reason")  # the form asks for the taskers' suspense


def plan_inbox_reads(model) -> InboxReads:
    """What "My work" reads with a batch of plans so that the conditions below ask nothing more:
    the version in flight of each plan's series (``conditions.no_version_in_flight``) and a
    draft's content (``conditions.content_complete``), and whether any of its activities falls
    short (``conditions.activities_complete``: a column, not a read), and how many of its taskers
    of each answering step are open (``conditions.coordination_answers_complete``,
    ``conditions.reviews_complete``)."""
    in_flight = model.objects.filter(series=OuterRef("series"), state__in=conditions.IN_FLIGHT).order_by("version")
    draft = (Prefetch("partner_considerations", queryset=PartnerConsideration.objects.select_related("country")),
             "objectives__end_states", *model.gap_reads)
    faults = conditions.activity_faults(period_start=OuterRef("period_start"),
                                        period_end=OuterRef("period_end"))
    incomplete = (PlanActivity.objects.filter(plan_id=OuterRef("plan_ptr_id")).annotate(**faults)
                  .filter(Q(undescribed=True) | Q(partner_gone=True) | Q(outside_period=True)))
    # The open taskers of each answering step, counted (``conditions._step_outstanding``): a plan
    # whose answers are not all in is decided without reading its taskers and comments.
    on_plan = {"content_type": ContentType.objects.get_for_model(model), "object_id": OuterRef("pk"),
               "state__in": OPEN_TASKER_STATES}
    outstanding = {conditions.OUTSTANDING + step: Coalesce(Subquery(
        Tasker.objects.filter(step=step, **on_plan).order_by().values("object_id").annotate(n=Count("pk"))
        .values("n"), output_field=IntegerField()), 0) for step in (Step.COORDINATION, Step.REVIEW)}
    annotations = {"version_in_flight": Coalesce(Subquery(in_flight.values("version")[:1]), 0),
                   "activities_incomplete": Exists(incomplete), **outstanding, **plan_lock_reads(model)}
    return InboxReads(annotations=annotations, prefetch={PlanState.DRAFT: draft})


def plan_lock_reads(model) -> dict:
    """Read with a campaign plan (its lock, "My work"): the id of another theater campaign plan of
    the command for an overlapping period, routed or in force (0: none), so that
    ``conditions.one_theater_plan_per_command_and_period`` reads that plan only when there is one:
    an approval costs no statement more for it, and takes the command's lock only then
    (``services._one_theater_plan_held``)."""
    if not issubclass(model, CampaignPlan):
        return {}
    rival = model.objects.filter(owner=OuterRef("owner"), kind=CampaignPlanKind.THEATER,
                                 state__in=conditions.ROUTED_OR_IN_FORCE, period_start__lt=OuterRef("period_end"),
                                 period_end__gt=OuterRef("period_start")).exclude(series=OuterRef("series"))
    # Without the model's ordering (newest first), which would walk every plan of the database
    # backwards to find none: any rival will do, through the index "theater_plan_rival_by_period".
    return {"theater_plan_rival_id": Coalesce(Subquery(rival.order_by().values("pk")[:1]), 0)}


def plan_new_version_start(*, document, by):
    return services.plan_new_version(plan=document, by=by)

PLAN_WORKFLOW = Workflow(
    models=(CampaignPlan, CampaignSupportPlan),
    # Whose taskers may answer in which state.
    answering_steps={PlanState.COORDINATION: Step.COORDINATION, PlanState.REVIEW: Step.REVIEW},
    # When the last review answer is in, the approving organization is tasked.
    after_response=services.plan_after_response,
    # The way forward from a returned plan is a new version (``plan_new_version``, a new draft),
    # not a transition of this one: the diagram draws it as a dashed arrow.
    ways_forward=(WayForward("new_version", source=PlanState.RETURNED, target=PlanState.DRAFT,
                             label="Start a new version", actors=(OwnerRole(roles=(Role.ACTION_OFFICER,)),),
                             conditions=(conditions.no_version_in_flight,), perform=plan_new_version_start),),
    inbox_reads=plan_inbox_reads,
    lock_reads=plan_lock_reads,
    transitions=(
        Transition(
            "submit", source=PlanState.DRAFT, target=PlanState.COORDINATION, label="Submit for coordination",
            actors=[OwnerRole(roles=(Role.ACTION_OFFICER,))],
            conditions=[conditions.content_complete, conditions.activities_complete, conditions.route_configured,
                        conditions.one_theater_plan_per_command_and_period],
            effect=services.plan_enter_coordination, fields=SUSPENSE,
        ),
        Transition(
            "send_to_review", source=PlanState.COORDINATION, target=PlanState.REVIEW, label="Send to review",
            actors=[OwnerRole(roles=OWNER_ROLES)],
            conditions=[conditions.coordination_answers_complete, conditions.critical_comments_resolved],
            effect=services.plan_enter_review, fields=SUSPENSE,
        ),
        Transition(
            "elevate", source=PlanState.COORDINATION, target=PlanState.REVIEW,
            label="Elevate non-concurrence to review",
            actors=[OwnerRole(roles=(Role.APPROVER,), description="the owning organization's approver")],
            conditions=[conditions.coordination_answers_complete, conditions.has_unresolved_nonconcur],
            effect=services.plan_elevate, fields=SUSPENSE,
            comment_required=True, comment_label="Rationale for elevation",
            confirm="The reviewing authority will see the unresolved non-concurrence and your rationale.",
        ),
        Transition(
            "return_for_rework", source=PlanState.REVIEW, target=PlanState.RETURNED, label="Return for rework",
            actors=[TaskedRole(roles=ANSWER_ROLES, step=Step.REVIEW, description="a reviewing organization"),
                    RouteRole(roles=(Role.APPROVER,), step=Step.APPROVAL, description="the approving organization")],
            effect=services.plan_return, destructive=True,
            comment_required=True, comment_label="Reason for return",
        ),
        Transition(
            "approve", source=PlanState.REVIEW, target=PlanState.APPROVED, label="Approve",
            actors=[RouteRole(roles=(Role.APPROVER,), step=Step.APPROVAL, description="the approving organization")],
            conditions=[conditions.reviews_complete, conditions.overriding_considerations_accepted,
                        conditions.one_theater_plan_per_command_and_period],
            effect=services.plan_approve,
            confirm="Approval is final: this version becomes the plan of record and supersedes the previous one.",
        ),
        Transition(
            "withdraw", source=[PlanState.DRAFT, PlanState.COORDINATION, PlanState.REVIEW, PlanState.RETURNED],
            target=PlanState.WITHDRAWN, label="Withdraw",
            actors=[OwnerRole(roles=OWNER_ROLES)],
            effect=services.plan_withdraw, destructive=True,
            comment_required=True, comment_label="Reason for withdrawal",
            confirm="Withdrawal ends this version's workflow and closes its open taskers.",
        ),
        # Made by the engine when the next version is approved (``plan_approve``), never by a person.
        Transition("supersede", source=PlanState.APPROVED, target=PlanState.SUPERSEDED, label="Supersede",
                   system_only=True),
    ),
)
