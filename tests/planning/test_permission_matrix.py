"""Every (state, transition, role, organization relation): exactly the right people may make each
transition of a campaign plan; everyone else is refused with a reason, and nothing changes."""

from __future__ import annotations

import pytest

from organizations.models import Role
from planning.models import CampaignPlan
from workflow.exceptions import TransitionRefused
from workflow.models import Response, Step
from workflow.selectors import open_taskers
from workflow.services import tasker_respond, transition_perform, transitions_available

AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER
PEOPLE = {
    "owner action officer": ("EUCOM", AO), "owner approver": ("EUCOM", APP), "owner reviewer": ("EUCOM", REV),
    "coordinating reviewer": ("DA", REV), "Joint Staff reviewer": ("J5", REV), "USD(P) reviewer": ("USD(P)", REV),
    "USD(P) approver": ("USD(P)", APP), "unrelated approver": ("SOCOM", APP),
}
OWNERS = {"owner action officer", "owner approver"}
EXPECTED = {
    "draft": {"submit": {"owner action officer"}, "withdraw": OWNERS},
    "coordination": {"send_to_review": OWNERS, "withdraw": OWNERS},
    "review": {"return_for_rework": {"Joint Staff reviewer", "USD(P) reviewer", "USD(P) approver", "owner approver"},
               "withdraw": OWNERS},
    "review, reviews complete": {"approve": {"owner approver"}, "return_for_rework": {"owner approver"},
                                 "withdraw": OWNERS},
    "returned": {"withdraw": OWNERS},
    "approved": {},
}


def _plan_in(world, situation: str) -> CampaignPlan:
    plan = world.ready_plan()
    if situation == "draft":
        return plan
    plan = transition_perform(document=plan, name="submit", by=world.user("EUCOM", AO))
    for acronym in ("DA", "DON", "USD(AT&L)"):
        tasker_respond(tasker=open_taskers(plan).get(organization=world.orgs[acronym]),
                       by=world.user(acronym, REV), response=Response.CONCUR)
    if situation == "coordination":
        return plan
    plan = transition_perform(document=plan, name="send_to_review", by=world.user("EUCOM", AO))
    if situation == "review":
        return plan
    if situation == "returned":
        return transition_perform(document=plan, name="return_for_rework", by=world.user("J5", REV), comment="x")
    for acronym in ("J5", "USD(P)"):
        tasker_respond(tasker=open_taskers(plan, step=Step.REVIEW).get(organization=world.orgs[acronym]),
                       by=world.user(acronym, REV), response=Response.CONCUR)
    if situation == "review, reviews complete":
        return plan
    return transition_perform(document=plan, name="approve", by=world.user("EUCOM", APP))


@pytest.mark.parametrize("situation", list(EXPECTED))
def test_exactly_the_right_people_may_make_each_transition(world, situation):
    plan = _plan_in(world, situation)
    names = [option.name for option in transitions_available(document=plan, user=world.user("EUCOM", AO))]
    assert names == ["submit", "send_to_review", "elevate", "return_for_rework", "approve", "withdraw"]
    for person, (acronym, role) in PEOPLE.items():
        user = world.user(acronym, role)
        for option in transitions_available(document=plan, user=user):
            should = person in EXPECTED[situation].get(option.name, set())
            assert option.allowed is should, (situation, person, option.name, option.reasons)
            if should:
                continue
            assert option.reasons, (situation, person, option.name)
            with pytest.raises(TransitionRefused) as refusal:
                transition_perform(document=plan, name=option.name, by=user, comment="a reason")
            assert refusal.value.reasons == option.reasons or set(option.reasons) <= set(refusal.value.reasons)
            assert CampaignPlan.objects.get(pk=plan.pk).state == plan.state


SUPPORT_PEOPLE = {
    "owner action officer": ("DA", AO), "owner approver": ("DA", APP), "owner reviewer": ("DA", REV),
    "USD(P) reviewer": ("USD(P)", REV), "supported command reviewer": ("EUCOM", REV),
    "Joint Staff reviewer": ("J5", REV), "unrelated approver": ("DON", APP),
}
SUPPORT_EXPECTED = {
    "draft": {"submit": {"owner action officer"}, "withdraw": OWNERS},
    "coordination": {"send_to_review": OWNERS, "withdraw": OWNERS},
    "review": {"return_for_rework": {"Joint Staff reviewer", "owner approver"}, "withdraw": OWNERS},
    "review, reviews complete": {"approve": {"owner approver"}, "return_for_rework": {"owner approver"},
                                 "withdraw": OWNERS},
    "returned": {"withdraw": OWNERS},
    "approved": {},
}


def _support_plan_in(world, situation: str):
    from organizations.models import Country
    from planning.models import Objective, PartnerConsideration
    from planning.services import support_plan_create

    supported = world.ready_plan()
    plan = support_plan_create(
        by=world.user("DA", AO), owner=world.orgs["DA"], title="Army campaign support plan", gef=world.gef,
        period_start=supported.period_start, period_end=supported.period_end, summary="s",
        complementary_usg_activities="c", resources_needed="r", risk_if_not_resourced="k")
    plan.supported_plans.set([supported])
    PartnerConsideration.objects.create(plan=plan, country=Country.objects.get(code="PL"),
                                        support="yes", can_support="y", safeguard="yes",
                                        can_safeguard="y", sustain="yes", can_sustain="y")
    Objective.objects.create(plan=plan, code="OBJ-1", title="t").end_states.add(world.end_state)
    if situation == "draft":
        return plan
    plan = transition_perform(document=plan, name="submit", by=world.user("DA", AO))
    for acronym in ("USD(P)", "EUCOM"):
        tasker_respond(tasker=open_taskers(plan).get(organization=world.orgs[acronym]),
                       by=world.user(acronym, REV), response=Response.CONCUR)
    if situation == "coordination":
        return plan
    plan = transition_perform(document=plan, name="send_to_review", by=world.user("DA", AO))
    if situation == "review":
        return plan
    if situation == "returned":
        return transition_perform(document=plan, name="return_for_rework", by=world.user("J5", REV), comment="x")
    tasker_respond(tasker=open_taskers(plan, step=Step.REVIEW).get(organization=world.orgs["J5"]),
                   by=world.user("J5", REV), response=Response.CONCUR)
    if situation == "review, reviews complete":
        return plan
    return transition_perform(document=plan, name="approve", by=world.user("DA", APP))


@pytest.mark.parametrize("situation", list(SUPPORT_EXPECTED))
def test_exactly_the_right_people_may_move_a_campaign_support_plan(world, situation):
    from planning.models import CampaignSupportPlan

    plan = _support_plan_in(world, situation)
    for person, (acronym, role) in SUPPORT_PEOPLE.items():
        user = world.user(acronym, role)
        for option in transitions_available(document=plan, user=user):
            should = person in SUPPORT_EXPECTED[situation].get(option.name, set())
            assert option.allowed is should, (situation, person, option.name, option.reasons)
            if should:
                continue
            with pytest.raises(TransitionRefused):
                transition_perform(document=plan, name=option.name, by=user, comment="a reason")
            assert CampaignSupportPlan.objects.get(pk=plan.pk).state == plan.state
