"""The proposal's conditions and effects: each calls the engine's services, as planning's do."""

from __future__ import annotations

from django.utils import timezone

from workflow.models import Response, Step
from workflow.rules import TransitionContext
from workflow.selectors import document_taskers, route_participants
from workflow.services import route_snapshot_take, taskers_cancel_open, taskers_close_answered, taskers_issue


def coordination_answered(proposal) -> list[str]:
    waiting = [t.organization.acronym for t in document_taskers(proposal, step=Step.COORDINATION, open_only=True)]
    return [f"Waiting for the answers of {', '.join(waiting)}."] if waiting else []


def proposal_submit(proposal, context: TransitionContext) -> None:
    route_snapshot_take(document=proposal)
    taskers_issue(document=proposal, step=Step.COORDINATION,
                  participants=route_participants(proposal, Step.COORDINATION), by=context.by,
                  capacity=context.capacity)


def proposal_send_for_approval(proposal, context: TransitionContext) -> None:
    taskers_cancel_open(document=proposal, step=Step.COORDINATION, reason="Coordination closed")
    taskers_issue(document=proposal, step=Step.APPROVAL, participants=route_participants(proposal, Step.APPROVAL),
                  by=context.by, capacity=context.capacity)


def proposal_approve(proposal, context: TransitionContext) -> None:
    taskers_close_answered(document=proposal, step=Step.APPROVAL, by=context.by, response=Response.APPROVED,
                           capacity=context.capacity)
    taskers_cancel_open(document=proposal, reason="Proposal approved")
    proposal.approved_at = timezone.now()


def proposal_return(proposal, context: TransitionContext) -> None:
    taskers_cancel_open(document=proposal, reason=f"Returned: {context.comment}")
