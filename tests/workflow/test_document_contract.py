"""The document contract as code: every routed kind is a ``RoutedDocument`` whose workflow is
one declared table, and what the table says is what the admin and the API offer."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from assessments.models import Assessment, AssessmentCycle, ProgramAssessment, Template
from planning.models import CampaignPlan, CampaignSupportPlan, PlanState
from planning.workflows import PLAN_WORKFLOW
from workflow.models import RoutedDocument
from workflow.registry import registered_documents
from workflow.rules import Transition, Workflow, workflow_install
from workflow.services import declared_transitions, transitions_available

from .helpers import AO, APP, to_review
from .test_system_actor import approved

V1 = "/api/v1"


def test_plans_templates_cycles_and_assessments_sign_one_contract():
    kinds = {CampaignPlan, CampaignSupportPlan, Template, AssessmentCycle, Assessment, ProgramAssessment}
    assert kinds <= {*registered_documents(), Template}
    for model in kinds:
        assert issubclass(model, RoutedDocument), model
        assert model.workflow is not None and model.workflow_kind, model
        # The engine runs exactly the rows of the kind's table, in the table's order.
        assert [rules.name for rules, _sources in declared_transitions(model)] == [
            row.name for row in model.workflow.transitions]


def test_who_moves_a_campaign_plan_out_of_coordination_and_what_happens_then_is_one_table():
    leaving = [row for row in PLAN_WORKFLOW.transitions
               if row.source == PlanState.COORDINATION or PlanState.COORDINATION in row.source]
    assert [(row.name, row.target, row.effect.__name__) for row in leaving] == [
        ("send_to_review", PlanState.REVIEW, "plan_enter_review"),
        ("elevate", PlanState.REVIEW, "plan_elevate"),
        ("withdraw", PlanState.WITHDRAWN, "plan_withdraw"),
    ]
    assert [a.description for a in leaving[1].actors] == ["the owning organization's approver"]
    assert [c.__name__ for c in leaving[1].conditions] == ["coordination_answers_complete",
                                                          "has_unresolved_nonconcur"]


def test_a_system_only_transition_is_offered_to_nobody(world, as_member):
    plan = approved(world, to_review(world, world.ready_plan()))
    assert PLAN_WORKFLOW.transition("supersede").system_only
    for person in (world.user("EUCOM", AO), world.user("USD(P)", APP)):
        assert "supersede" not in [o.name for o in transitions_available(document=plan, user=person)]
    offered = as_member("EUCOM", AO).get(f"{V1}/campaign-plans/{plan.pk}/transitions/").json()
    assert offered and "supersede" not in [o["name"] for o in offered]


def test_a_transition_may_not_take_the_name_of_something_the_model_has():
    taken = Workflow(models=(CampaignPlan,), transitions=(
        Transition("title", source=PlanState.DRAFT, target=PlanState.COORDINATION, label="Clash"),))
    with pytest.raises(ImproperlyConfigured, match="CampaignPlan.title already exists"):
        workflow_install(taken)
    assert not hasattr(CampaignPlan.title, "workflow_rules")
