"""A draft's lists (partner considerations, objectives and their end states, supporting
organizations) replaced in one service call, whoever calls it (the API's plan writes use it)."""

from __future__ import annotations

import pytest

from organizations.models import Country, Role
from planning.models import PlanState
from planning.services import plan_lists_replace
from workflow.exceptions import ActionRefused, InvalidInput
from workflow.services import transition_perform

AO = Role.ACTION_OFFICER


def test_the_owner_replaces_partners_objectives_and_supporting_organizations(world):
    plan = world.ready_plan(partners=("PL",), supporting=("DA",))
    gb, lt = Country.objects.get(code="DE"), Country.objects.get(code="IL")
    plan_lists_replace(
        plan=plan, by=world.user("EUCOM", AO),
        partners=[{"country": gb, "can_support": True}, {"country": lt}],
        objectives=[{"code": "OBJ-9", "title": "Maritime domain awareness (training data)",
                     "end_states": [world.end_state]}],
        links={"supporting_organizations": [world.orgs["DON"], world.orgs["DLA"]]},
    )
    plan.refresh_from_db()
    assert sorted(p.country.code.code for p in plan.partner_considerations.all()) == ["DE", "IL"]
    assert [(o.code, list(o.end_states.all())) for o in plan.objectives.all()] == [("OBJ-9", [world.end_state])]
    assert sorted(o.acronym for o in plan.supporting_organizations.all()) == ["DLA", "DON"]


def test_a_list_left_out_stays_as_it_is(world):
    plan = world.ready_plan(partners=("PL",))
    objectives = list(plan.objectives.values_list("code", flat=True))
    plan_lists_replace(plan=plan, by=world.user("EUCOM", AO), partners=[{"country": Country.objects.get(code="DE")}])
    assert list(plan.objectives.values_list("code", flat=True)) == objectives


def test_a_repeated_country_is_refused_and_nothing_changes(world):
    plan = world.ready_plan(partners=("PL",))
    gb = Country.objects.get(code="DE")
    with pytest.raises(InvalidInput) as refused:
        plan_lists_replace(plan=plan, by=world.user("EUCOM", AO), partners=[{"country": gb}, {"country": gb}],
                           objectives=[])
    assert refused.value.field_errors == {"partner_considerations": ["Each country once: DE repeated."]}
    assert [p.country.code.code for p in plan.partner_considerations.all()] == ["PL"]
    assert plan.objectives.exists()


def test_only_the_owners_action_officers_change_a_draft_and_only_a_draft(world):
    plan = world.ready_plan()
    gb = Country.objects.get(code="DE")
    with pytest.raises(ActionRefused):
        plan_lists_replace(plan=plan, by=world.user("DA", AO), partners=[{"country": gb}])
    plan = transition_perform(document=plan, name="submit", by=world.user("EUCOM", AO))
    assert plan.state == PlanState.COORDINATION
    with pytest.raises(ActionRefused, match="Only a draft"):
        plan_lists_replace(plan=plan, by=world.user("EUCOM", AO), partners=[{"country": gb}])
    assert [p.country.code.code for p in plan.partner_considerations.all()] != ["DE"]


def test_a_writer_replaces_the_supported_plans_they_see_and_keeps_those_they_may_not_see(world):
    from planning.models import CampaignSupportPlan, PlanState
    from planning.selectors import plans_visible_to

    tasked_on = transition_perform(document=world.ready_plan(), name="submit", by=world.user("EUCOM", AO))
    type(tasked_on).objects.filter(pk=tasked_on.pk).update(state=PlanState.APPROVED)  # supported: approved
    other_draft = world.ready_plan(owner="SOCOM", supporting=())
    writer = world.user("DA", AO)
    visible = plans_visible_to(writer, type(tasked_on))
    assert visible.filter(pk=tasked_on.pk).exists() and not visible.filter(pk=other_draft.pk).exists()
    support = CampaignSupportPlan.objects.create(title="Army support plan", owner=world.orgs["DA"], gef=world.gef,
                                                 created_by=writer)
    support.supported_plans.set([other_draft])

    plan_lists_replace(plan=support, by=writer, links={"supported_plans": [tasked_on]})
    assert set(support.supported_plans.all()) == {tasked_on, other_draft}

    plan_lists_replace(plan=support, by=writer, links={"supported_plans": []})
    assert set(support.supported_plans.all()) == {other_draft}
