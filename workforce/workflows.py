"""How a workforce readiness report moves, in one table: from which state to which, who may move
it, when (conditions: ``workforce.services``) and what happens then (the effect). Installed at
start-up (``workforce.apps``). Who reviews is the route (data: ``workforce.reference``).

    draft → review (DSCA submits to USD(P&R): Encl. 2, 2.b, 2.g, 6.b, 6.c) → accepted
    review → returned → (resubmitted) review;   draft, review, returned → withdrawn
"""

from __future__ import annotations

from organizations.models import Role
from workflow.models import Step
from workflow.rules import OwnerRole, TaskedRole, Transition, Workflow

from . import services
from .models import ReportState, WorkforceReadinessReport

DSCA = OwnerRole(roles=(Role.ACTION_OFFICER, Role.APPROVER), description="the security cooperation agency (DSCA)")
USD_PR = TaskedRole(roles=(Role.REVIEWER, Role.APPROVER), step=Step.REVIEW,
                    description="the personnel and readiness office (USD(P&R))")

WORKFORCE_WORKFLOW = Workflow(
    models=(WorkforceReadinessReport,),
    transitions=(
        Transition(
            "submit", source=[ReportState.DRAFT, ReportState.RETURNED], target=ReportState.REVIEW,
            label="Submit to USD(P&R)",
            actors=[OwnerRole(roles=(Role.APPROVER,), description="the security cooperation agency (DSCA)")],
            conditions=[services.content_complete, services.period_over], effect=services.report_submit,
            confirm="The readiness of every SCO is read as of the period's end and frozen in the report.",
        ),
        Transition(
            "accept", source=ReportState.REVIEW, target=ReportState.ACCEPTED, label="Accept",
            actors=[TaskedRole(roles=(Role.APPROVER,), step=Step.REVIEW,
                               description="the personnel and readiness office (USD(P&R))")],
            effect=services.report_accept, comment_label="Decision note", notice="document_outcome",
        ),
        Transition(
            "return_for_rework", source=ReportState.REVIEW, target=ReportState.RETURNED, label="Return for rework",
            actors=[USD_PR], effect=services.report_return, destructive=True, comment_required=True,
            comment_label="Reason for return",
        ),
        Transition(
            "withdraw", source=[ReportState.DRAFT, ReportState.REVIEW, ReportState.RETURNED],
            target=ReportState.WITHDRAWN, label="Withdraw", actors=[DSCA], effect=services.report_withdraw,
            destructive=True, comment_required=True, comment_label="Reason for withdrawal",
            confirm="Withdrawal ends this report and closes its open taskers.",
        ),
    ),
)
