"""A higher approval is a route option an authorized office sets, with its citation (issue #22,
point 1): the directive names no approver above the combatant commander (Encl. 2, 10.a); where
practice sends a plan to the Secretary, the office that owns the campaign plan procedure (the
policy office, USD(P)) chooses that route on the draft's page. Everyone who sees the plan sees the
option and its citation (plan page, diagram, help page, history); no one else may choose it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from organizations.models import Role
from planning.models import CampaignPlan
from workflow.models import HistoryEntry, Route

from .test_plan_workflow import act

AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER
SECRETARY = "Campaign plan approved by the Secretary of Defense (practice)"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _page(client, plan) -> str:
    response = client.get(reverse("admin:planning_campaignplan_change", args=[plan.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _option():
    return Route.objects.get(document_kind="campaign_plan", name=SECRETARY)


def _history(plan):
    return HistoryEntry.objects.filter(object_id=plan.pk, action="route_option_set")


def test_encl2_10a_the_policy_office_chooses_the_secretarys_approval_on_the_plan_page_with_its_citation(world):
    """Encl. 2, 10.a names no approver above the commander: the higher approval is practice, set by
    the office owning the procedure; the page offers each route with its citation, then shows the
    chosen option and its citation, the diagram's tooltip names it, the history names it and the
    office that set it."""
    plan = world.ready_plan()
    policy = _client(world.user("USD(P)", AO))
    page = _page(policy, plan)
    form = page.split('id="plan-route-option-form"')[1].split("</form>")[0]
    assert "Campaign plan (DoDD 5132.03 default) (default)" in form and "Encl. 2, 10.a" in form
    assert SECRETARY in form and "Practice (not DoDD 5132.03)" in form

    response = policy.post(reverse("admin:planning_campaignplan_route_option", args=[plan.pk]),
                           {"route": _option().pk}, follow=True)
    assert "Route option set: " + SECRETARY in response.content.decode()
    assert CampaignPlan.objects.get(pk=plan.pk).route == _option()

    owner_page = _page(_client(world.user("EUCOM", AO)), plan)
    shown = owner_page.split('id="plan-route-option"')[1].split("</div>")[0]
    assert f"Route option:</strong> {SECRETARY}" in shown and "Practice (not DoDD 5132.03)" in shown
    assert 'id="plan-route-option-form"' not in owner_page
    approved_box = owner_page.split('data-state="approved"')[1].split("</g>")[0]
    assert "Approval: the policy office" in approved_box and "Practice (not DoDD 5132.03)" in approved_box
    entry = _history(plan).get()
    assert entry.description.startswith(f"Route option set by USD(P): {SECRETARY} (Practice (not DoDD 5132.03)")
    assert entry.actor == world.user("USD(P)", AO)
    assert f"Route option set by USD(P): {SECRETARY}" in owner_page.split('id="workflow-history"')[1]

    # Back to the default: recorded too.
    policy.post(reverse("admin:planning_campaignplan_route_option", args=[plan.pk]), {"route": "default"})
    assert CampaignPlan.objects.get(pk=plan.pk).route is None
    assert _history(plan).order_by("-pk").first().description == (
        "Route option cleared by USD(P): the default route applies")


def test_encl2_10a_the_owner_neither_sees_the_choice_nor_sets_it_by_posting(world):
    """The owning command (its action officer and its approver) sees the default route, no form,
    and a post is refused by the service with its reason; nothing is saved."""
    plan = world.ready_plan()
    for user in (world.user("EUCOM", AO), world.user("EUCOM", APP)):
        client = _client(user)
        page = _page(client, plan)
        assert 'id="plan-route-option-form"' not in page and "the default route of this kind" in page
        response = client.post(reverse("admin:planning_campaignplan_route_option", args=[plan.pk]),
                               {"route": _option().pk}, follow=True)
        assert "Only the office that owns this kind&#x27;s procedure may choose the route of a plan." in (
            response.content.decode())
    assert CampaignPlan.objects.get(pk=plan.pk).route is None
    assert not _history(plan).exists()


def test_encl2_10a_the_route_is_chosen_before_submission(world):
    """Once routed, the plan keeps the route it started with: no form, and a post is refused."""
    plan = act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    policy = _client(world.user("USD(P)", AO))
    assert 'id="plan-route-option-form"' not in _page(policy, plan)
    response = policy.post(reverse("admin:planning_campaignplan_route_option", args=[plan.pk]),
                           {"route": _option().pk}, follow=True)
    assert "A route option is chosen before submission; this plan is in coordination." in response.content.decode()
    assert CampaignPlan.objects.get(pk=plan.pk).route.is_default and not _history(plan).exists()


@pytest.mark.parametrize("chosen", ["999999", "not-a-route"])
def test_an_unknown_route_is_refused_with_a_reason_and_nothing_saved(world, chosen):
    plan = world.ready_plan()
    response = _client(world.user("USD(P)", AO)).post(
        reverse("admin:planning_campaignplan_route_option", args=[plan.pk]), {"route": chosen}, follow=True)
    assert "Choose one of the routes offered." in response.content.decode()
    assert CampaignPlan.objects.get(pk=plan.pk).route is None and not _history(plan).exists()


def test_encl2_10a_the_help_page_lists_the_route_option_with_its_citation(world):
    """The help page: the option's table with each step's authority, and the diagram's approval
    tooltip names the option beside the directive's default (10.a)."""
    page = _client(world.user("EUCOM", AO)).get(
        reverse("admin:workflow_help", args=["planning", "campaignplan"])).content.decode()
    table = page.split(f"Route option: {SECRETARY}")[1].split("</table>")[0]
    assert "Approval: the policy office" in table and "Practice (not DoDD 5132.03)" in table
    assert "Review: the Joint Staff office" in table and "Encl. 2, 9.b" in table
    approved_box = page.split('id="workflow-diagram"')[1].split('data-state="approved"')[1].split("</g>")[0]
    assert "Encl. 2, 10.a" in approved_box and f"Route option “{SECRETARY}”" in approved_box
