"""Designated offices in routes and need-to-know (issue #14, items 2 and 4): review and approval
steps name designations, resolved when a document starts its route; reviewing authority over
every plan of a kind comes from holding a designation, never from an edit of a route; a route
edit is recorded and applies to documents that start after it."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from organizations.models import Designation, Role
from organizations.services import designation_assign
from planning.models import CampaignPlan, PlanState
from planning.selectors import plans_visible_to
from security.models import AuditEvent
from workflow.exceptions import ActionRefused, InvalidInput, NotPermitted, TransitionRefused
from workflow.models import Response, Route, RouteStep, Step
from workflow.selectors import open_taskers
from workflow.services import RouteStepSpec, route_update, tasker_respond, transition_perform

AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER
NOW = datetime.datetime(2026, 11, 18, 10, 0, tzinfo=zoneinfo.ZoneInfo("America/New_York"))


@pytest.fixture(autouse=True)
def _on_a_working_day():
    with time_machine.travel(NOW, tick=False):
        yield


def act(plan, name, user):
    return transition_perform(document=plan, name=name, by=user)


def specs(route, *, without=lambda s: False, extra=()):
    return [RouteStepSpec(step=s.step, organization=s.organization, designation=s.designation, relation=s.relation,
                          suspense_working_days=s.suspense_working_days)
            for s in route.steps.all() if not without(s)] + list(extra)


def campaign_route():
    return Route.objects.get(document_kind="campaign_plan", is_default=True)


def system_administrator(name="sysadmin"):
    return get_user_model().objects.create_superuser(username=name, password="x" * 16)


# --- reviewing authority is granted, not implied ---------------------------------------------

def test_a_socom_action_officer_who_adds_socom_as_a_review_step_still_sees_only_socoms_plan(world):
    world.ready_plan(owner="SOCOM")
    for _ in range(3):
        world.ready_plan(owner="EUCOM")
    socom_ao = world.user("SOCOM", AO)
    assert list(plans_visible_to(socom_ao, CampaignPlan).values_list("owner__acronym", flat=True)) == ["SOCOM"]

    # The route service refuses it: the route is the policy office's, not SOCOM's...
    socom_step = [RouteStepSpec(step=Step.REVIEW, organization=world.orgs["SOCOM"])]
    with pytest.raises(NotPermitted, match=r"office that owns this procedure \(the policy office"):
        route_update(route=campaign_route(), by=socom_ao, steps=specs(campaign_route(), extra=socom_step))
    # ...and the owning office itself may not name SOCOM a reviewer: it names the designation needed.
    with pytest.raises(InvalidInput) as refusal:
        route_update(route=campaign_route(), by=world.user("USD(P)", AO),
                     steps=specs(campaign_route(), extra=socom_step))
    assert ("names SOCOM: a review step must name a designated office (for a campaign plan: the Joint Staff "
            "office (J5) or the policy office (USD(P)))") in " ".join(refusal.value.reasons)
    assert not campaign_route().steps.filter(organization=world.orgs["SOCOM"]).exists()

    # ...and even a route row written past the service grants nothing.
    RouteStep.objects.create(route=campaign_route(), step=Step.REVIEW, organization=world.orgs["SOCOM"], position=9)
    assert plans_visible_to(socom_ao, CampaignPlan).count() == 1
    # The designated reviewers see every plan of the kind, tasked or not.
    assert plans_visible_to(world.user("J5", AO), CampaignPlan).count() == 4
    assert plans_visible_to(world.user("USD(P)", REV), CampaignPlan).count() == 4
    # A coordinating organization named by the route, not tasked on anything, sees nothing.
    assert plans_visible_to(world.user("USD(AT&L)", AO), CampaignPlan).count() == 0


def test_reviewing_authority_follows_the_designation_when_it_moves(world):
    world.ready_plan(owner="EUCOM")
    usdp, dla = world.user("USD(P)", REV), world.user("DLA", REV)
    assert (plans_visible_to(usdp, CampaignPlan).count(), plans_visible_to(dla, CampaignPlan).count()) == (1, 0)
    designation_assign(organization=world.orgs["DLA"], designation=Designation.POLICY_OFFICE,
                       requested_by=system_administrator("first"), approved_by=system_administrator("second"),
                       reason="Reorganization (test)")
    assert (plans_visible_to(usdp, CampaignPlan).count(), plans_visible_to(dla, CampaignPlan).count()) == (0, 1)


# --- routes name designations -----------------------------------------------------------------

def test_a_moved_designation_routes_new_plans_to_the_new_holder_and_plans_in_flight_keep_the_old(world):
    in_flight = act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    designation_assign(organization=world.orgs["DLA"], designation=Designation.POLICY_OFFICE,
                       requested_by=system_administrator("first"), approved_by=system_administrator("second"),
                       reason="Reorganization (test)")
    new = act(world.ready_plan(), "submit", world.user("EUCOM", AO))

    def reviewing(plan):
        return [(s["step"], s["organization"]) for s in plan.route_snapshot["steps"] if s["step"] != Step.COORDINATION]

    # Approval is the owning command's (Encl. 2, 10.a): a relation, resolved when the step starts.
    assert reviewing(in_flight) == [("review", "J5"), ("review", "USD(P)"), ("approval", "")]
    assert reviewing(new) == [("review", "J5"), ("review", "DLA"), ("approval", "")]

    # The plan in flight is reviewed and approved by the office that held the designation when it started.
    for acronym in ("DA", "DON", "USD(AT&L)"):
        tasker = open_taskers(in_flight, step=Step.COORDINATION).get(organization=world.orgs[acronym])
        tasker_respond(tasker=tasker, by=world.user(acronym, REV), response=Response.CONCUR)
    in_flight = act(in_flight, "send_to_review", world.user("EUCOM", AO))
    assert sorted(t.organization.acronym for t in open_taskers(in_flight, step=Step.REVIEW)) == ["J5", "USD(P)"]
    for acronym in ("J5", "USD(P)"):
        tasker = open_taskers(in_flight, step=Step.REVIEW).get(organization=world.orgs[acronym])
        tasker_respond(tasker=tasker, by=world.user(acronym, REV), response=Response.CONCUR)
    with pytest.raises(TransitionRefused):
        act(in_flight, "approve", world.user("DLA", APP))
    assert act(in_flight, "approve", world.user("EUCOM", APP)).state == PlanState.APPROVED


def test_an_approval_step_naming_an_organization_is_refused_the_owner_signs_encl2_10a(world):
    """Encl. 2, 10.a: the combatant commander develops (and signs) the plan; an approval step names
    "owner" or a designated office, never an organization picked at will."""
    route = campaign_route()
    before = [str(s) for s in route.steps.all()]
    not_approval = lambda s: s.step == Step.APPROVAL  # noqa: E731
    with pytest.raises(InvalidInput) as refusal:
        route_update(route=route, by=world.user("USD(P)", Role.APPROVER), steps=specs(
            route, without=not_approval, extra=[RouteStepSpec(step=Step.APPROVAL, organization=world.orgs["EUCOM"])]))
    assert "names EUCOM: an approval step must name a designated office" in refusal.value.reasons[0]
    assert "or “owner” for the owner's signature" in refusal.value.reasons[0]
    assert [str(s) for s in campaign_route().steps.all()] == before
    assert not AuditEvent.objects.filter(object_type="workflow.Route").exists()

    # A support plan is signed by its owning component, as the directive says.
    support = Route.objects.get(document_kind="campaign_support_plan")
    route_update(route=support, by=world.user("USD(P)", AO), steps=specs(support))
    assert support.steps.filter(step=Step.APPROVAL, relation="owner").exists()


def test_a_route_change_is_recorded_and_applies_to_plans_that_start_after_it(world):
    in_flight = act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    for outsider in (system_administrator(), world.user("EUCOM", AO), world.user("J5", AO)):
        with pytest.raises(ActionRefused, match=r"office that owns this procedure \(the policy office"):
            route_update(route=campaign_route(), by=outsider, steps=specs(campaign_route()))
    assert not AuditEvent.objects.filter(object_type="workflow.Route").exists()
    administrator = world.user("USD(P)", AO)
    route_update(route=campaign_route(), by=administrator, steps=specs(
        campaign_route(), without=lambda s: s.step == Step.REVIEW and s.designation == Designation.POLICY_OFFICE))
    event = AuditEvent.objects.get(object_type="workflow.Route")
    assert event.user_id == administrator.pk
    assert "Review: the policy office (USD(P))" in " ".join(event.detail["before"]["steps"])
    assert "Review: the policy office (USD(P))" not in " ".join(event.detail["after"]["steps"])
    assert [s["organization"] for s in in_flight.route_snapshot["steps"] if s["step"] == Step.REVIEW] == \
        ["J5", "USD(P)"]
    in_flight.refresh_from_db()
    assert [s["organization"] for s in in_flight.route_snapshot["steps"] if s["step"] == Step.REVIEW] == \
        ["J5", "USD(P)"]
    new = act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    assert [s["organization"] for s in new.route_snapshot["steps"] if s["step"] == Step.REVIEW] == ["J5"]


def _route_form(route, steps):
    data = {"document_kind": route.document_kind, "name": route.name, "is_default": "on",
            "steps-TOTAL_FORMS": str(len(steps)), "steps-INITIAL_FORMS": str(route.steps.count()),
            "steps-MIN_NUM_FORMS": "0", "steps-MAX_NUM_FORMS": "1000"}
    for index, step in enumerate(steps):
        for name, value in step.items():
            data[f"steps-{index}-{name}"] = value
    return data


def test_the_route_admin_refuses_a_command_as_approver_and_records_a_valid_change(world):
    route = campaign_route()
    # The campaign plan's procedure is the policy office's: its action officer edits the route.
    administrator = world.user("USD(P)", Role.ACTION_OFFICER)
    client = Client()
    client.force_login(administrator)
    url = reverse("admin:workflow_route_change", args=[route.pk])
    rows = [{"id": s.pk, "route": route.pk, "position": s.position, "step": s.step, "designation": s.designation,
             "organization": s.organization_id or "", "relation": s.relation,
             "suspense_working_days": s.suspense_working_days, "authority": s.authority} for s in route.steps.all()]
    approval = next(row for row in rows if row["step"] == Step.APPROVAL)

    approval.update(designation="", relation="", organization=world.orgs["EUCOM"].pk)
    page = client.post(url, _route_form(route, rows))
    assert page.status_code == 200
    assert "names EUCOM: an approval step must name a designated office" in page.content.decode()
    assert campaign_route().steps.get(step=Step.APPROVAL).relation == "owner"

    approval.update(relation="owner", organization="", suspense_working_days=3)
    page = client.post(url, _route_form(route, rows))
    assert page.status_code == 302
    assert campaign_route().steps.get(step=Step.APPROVAL).suspense_working_days == 3
    event = AuditEvent.objects.get(object_type="workflow.Route", description__contains="changed")
    assert event.user_id == administrator.pk
    assert [s for s in event.detail["after"]["steps"] if s.startswith("Approval")] == [
        "Approval: “owner” (3 working days) [DoDD 5132.03, Encl. 2, 10.a: the combatant commander develops the "
        "campaign plan; the directive names no other approver]"]
