"""The made-up kind: draft -> coordination -> approval -> approved (or returned), and a system
step after approval. Each transition's effect calls the engine's services directly."""

from __future__ import annotations

from django.db import models
from django_fsm import ConcurrentTransitionMixin, FSMField

from organizations.models import Organization, Role
from workflow.models import Response, Step
from workflow.rules import OwnerRole, RouteRole, SystemOnly, workflow_transition
from workflow.selectors import document_taskers

KIND = "proposal"


class ProposalState(models.TextChoices):
    DRAFT = "draft", "Draft"
    COORDINATION = "coordination", "In coordination"
    APPROVAL = "approval", "Awaiting approval"
    APPROVED = "approved", "Approved"
    RETURNED = "returned", "Returned"
    ARCHIVED = "archived", "Archived"


def coordination_answered(proposal) -> list[str]:
    waiting = [t.organization.acronym for t in document_taskers(proposal, step=Step.COORDINATION, open_only=True)]
    return [f"Waiting for the answers of {', '.join(waiting)}."] if waiting else []


class Proposal(ConcurrentTransitionMixin, models.Model):
    workflow_kind = KIND

    title = models.CharField(max_length=200)
    owner = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    state = FSMField(default=ProposalState.DRAFT, choices=ProposalState.choices, protected=True)
    route = models.ForeignKey("workflow.Route", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    route_snapshot = models.JSONField(default=dict, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.title

    # --- what the engine asks of a document ------------------------------------------------

    def current_step(self) -> str | None:
        return {ProposalState.COORDINATION: Step.COORDINATION, ProposalState.APPROVAL: Step.APPROVAL}.get(self.state)

    def route_relation(self, relation: str) -> list[Organization]:
        if relation == "owner":
            return [self.owner]
        raise ValueError(f"A proposal has no relation {relation!r}")

    # --- the workflow ----------------------------------------------------------------------

    @workflow_transition(field=state, source=ProposalState.DRAFT, target=ProposalState.COORDINATION,
                         label="Submit", actors=[OwnerRole(roles=(Role.ACTION_OFFICER,))])
    def submit(self, *, by, context):
        from workflow.services import route_participants, route_snapshot_take, taskers_issue

        route_snapshot_take(document=self)
        taskers_issue(document=self, step=Step.COORDINATION, participants=route_participants(self, Step.COORDINATION),
                      by=by, capacity=context.capacity)

    @workflow_transition(field=state, source=ProposalState.COORDINATION, target=ProposalState.APPROVAL,
                         label="Send for approval", actors=[OwnerRole(roles=(Role.ACTION_OFFICER,))],
                         conditions=[coordination_answered])
    def send_for_approval(self, *, by, context):
        from workflow.services import route_participants, taskers_cancel_open, taskers_issue

        taskers_cancel_open(document=self, step=Step.COORDINATION, reason="Coordination closed")
        taskers_issue(document=self, step=Step.APPROVAL, participants=route_participants(self, Step.APPROVAL),
                      by=by, capacity=context.capacity)

    @workflow_transition(field=state, source=ProposalState.APPROVAL, target=ProposalState.APPROVED,
                         label="Approve", actors=[RouteRole(roles=(Role.APPROVER,), step=Step.APPROVAL)])
    def approve(self, *, by, context):
        from django.utils import timezone

        from workflow.services import taskers_cancel_open, taskers_close_answered

        taskers_close_answered(document=self, step=Step.APPROVAL, by=by, response=Response.APPROVED,
                               capacity=context.capacity)
        taskers_cancel_open(document=self, reason="Proposal approved")
        self.approved_at = timezone.now()

    @workflow_transition(field=state, source=[ProposalState.COORDINATION, ProposalState.APPROVAL],
                         target=ProposalState.RETURNED, label="Return",
                         actors=[OwnerRole(roles=(Role.ACTION_OFFICER, Role.APPROVER))],
                         comment_required=True, comment_label="Reason for return")
    def send_back(self, *, by, context):
        from workflow.services import taskers_cancel_open

        taskers_cancel_open(document=self, reason=f"Returned: {context.comment}")

    @workflow_transition(field=state, source=ProposalState.APPROVED, target=ProposalState.ARCHIVED,
                         label="Archive", actors=[SystemOnly()])
    def archive(self, *, by, context):
        pass
