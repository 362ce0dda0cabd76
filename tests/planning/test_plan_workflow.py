"""The campaign plan workflow as the directive routes it: coordination, comments, elevation,
review, approval, return, versions, seams, routing snapshot, suspense in working days."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine

from organizations.models import Delegation, Designation, Role
from planning.models import CampaignPlan, PlanState
from planning.services import plan_new_version, plan_update
from workflow.exceptions import ActionRefused, InvalidInput, TransitionRefused
from workflow.models import Decision, HistoryEntry, Response, Step, TaskerState
from workflow.selectors import comments_of, history_of, open_taskers, taskers_of
from workflow.services import (
    RouteStepSpec,
    comment_adjudicate,
    route_update,
    tasker_remove,
    tasker_respond,
    transition_perform,
)

AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER
NOW = datetime.datetime(2026, 11, 18, 10, 0, tzinfo=zoneinfo.ZoneInfo("America/New_York"))  # a Wednesday


@pytest.fixture(autouse=True)
def _wednesday_before_thanksgiving():
    with time_machine.travel(NOW, tick=False):
        yield


def act(plan, name, user, comment="", **data):
    return transition_perform(document=plan, name=name, by=user, comment=comment, data=data)


def answer(world, plan, acronym, response, rationale="", comments=None, step=Step.COORDINATION):
    tasker = open_taskers(plan, step=step).get(organization=world.orgs[acronym]) if response else None
    return tasker_respond(tasker=tasker, by=world.user(acronym, REV), response=response, rationale=rationale,
                          comments=comments or [])


def critical(text="Remove the air defense objective"):
    return [{"category": "critical", "section": "3.a", "text": text, "proposed_change": "Delete 3.a"}]


def to_review(world, plan):
    plan = act(plan, "submit", world.user("EUCOM", AO))
    for acronym in ("DA", "DON", "USD(AT&L)"):
        answer(world, plan, acronym, Response.CONCUR)
    return act(plan, "send_to_review", world.user("EUCOM", AO))


def test_submission_tasks_every_coordinating_organization_with_a_suspense_in_working_days(world):
    plan = act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    assert plan.state == PlanState.COORDINATION
    taskers = taskers_of(plan, step=Step.COORDINATION)
    assert sorted(t.organization.acronym for t in taskers) == ["DA", "DON", "USD(AT&L)"]
    # 10 working days from Wed 18 Nov 2026, skipping Thanksgiving (26 Nov) and two weekends.
    assert {t.suspense for t in taskers} == {datetime.date(2026, 12, 3)}
    assert plan.route_snapshot["route_name"].startswith("Campaign plan")


def test_submission_is_refused_with_every_missing_item_named(world):
    plan = world.ready_plan()
    plan_update(plan=plan, by=world.user("EUCOM", AO), summary="", resources_needed="")
    plan.objectives.all().delete()
    with pytest.raises(TransitionRefused) as refusal:
        act(plan, "submit", world.user("EUCOM", AO))
    reasons = " ".join(refusal.value.reasons)
    assert "a summary" in reasons and "the resources needed" in reasons
    assert "Add at least one objective." in reasons
    assert CampaignPlan.objects.get(pk=plan.pk).state == PlanState.DRAFT
    assert not taskers_of(plan).exists()


def test_a_shorter_suspense_needs_a_recorded_reason(world):
    plan = world.ready_plan()
    with pytest.raises(InvalidInput, match="shorter than the standard"):
        act(plan, "submit", world.user("EUCOM", AO), suspense="2026-11-25")
    assert CampaignPlan.objects.get(pk=plan.pk).state == PlanState.DRAFT
    plan = act(plan, "submit", world.user("EUCOM", AO), suspense="2026-11-25", suspense_reason="SecDef deadline")
    assert {t.suspense_reason for t in taskers_of(plan)} == {"SecDef deadline"}


def test_seam_command_is_added_from_the_area_of_responsibility_on_the_plan_start_date(world):
    plan = act(world.ready_plan(partners=("PL", "IL"), start=datetime.date(2027, 1, 1)), "submit",
               world.user("EUCOM", AO))
    seam = taskers_of(plan, step=Step.COORDINATION).get(organization=world.orgs["CENTCOM"])
    assert seam.is_seam and "Israel" in seam.added_reason


def test_no_seam_when_the_owner_covered_the_country_on_the_start_date(world):
    plan = act(world.ready_plan(partners=("IL",), start=datetime.date(2020, 1, 1)), "submit",
               world.user("EUCOM", AO))
    assert not taskers_of(plan).filter(organization=world.orgs["CENTCOM"]).exists()


def test_removing_a_seam_command_needs_a_reason_and_is_recorded(world):
    plan = act(world.ready_plan(partners=("IL",)), "submit", world.user("EUCOM", AO))
    seam = taskers_of(plan).get(organization=world.orgs["CENTCOM"])
    with pytest.raises(InvalidInput):
        tasker_remove(tasker=seam, by=world.user("EUCOM", AO), reason=" ")
    tasker_remove(tasker=seam, by=world.user("EUCOM", AO), reason="CENTCOM coordinates through J5 instead")
    seam.refresh_from_db()
    assert seam.state == TaskerState.CANCELLED
    assert history_of(plan).filter(action="tasker_removed", comment__contains="J5 instead").exists()


def test_coordination_is_parallel_and_leaves_only_when_every_answer_is_in(world):
    plan = act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    answer(world, plan, "DON", Response.CONCUR)
    with pytest.raises(TransitionRefused) as refusal:
        act(plan, "send_to_review", world.user("EUCOM", AO))
    assert refusal.value.reasons == ["2 of 3 coordination answers outstanding: DA, USD(AT&L)."]
    answer(world, plan, "DA", Response.CONCUR)
    answer(world, plan, "USD(AT&L)", Response.CONCUR_WITH_COMMENT,
           comments=[{"category": "administrative", "text": "Typo in 2.b"}])
    plan = act(plan, "send_to_review", world.user("EUCOM", AO))
    assert plan.state == PlanState.REVIEW
    assert sorted(t.organization.acronym for t in open_taskers(plan, step=Step.REVIEW)) == ["J5", "USD(P)"]


def test_nonconcur_needs_a_rationale_and_a_critical_comment(world):
    plan = act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    with pytest.raises(InvalidInput) as error:
        answer(world, plan, "DON", Response.NONCONCUR,
               comments=[{"category": "substantive", "text": "Expand 2.c"}])
    assert set(error.value.field_errors) == {"rationale", "comments"}
    assert not comments_of(plan).exists()


def test_nonconcur_with_critical_comment_blocks_review_until_adjudicated_and_concurred(world):
    plan = act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    answer(world, plan, "DA", Response.CONCUR)
    answer(world, plan, "USD(AT&L)", Response.CONCUR)
    answer(world, plan, "DON", Response.NONCONCUR, rationale="Navy assets double-counted", comments=critical())
    with pytest.raises(TransitionRefused) as refusal:
        act(plan, "send_to_review", world.user("EUCOM", AO))
    assert refusal.value.reasons == ["1 critical comment from DON not adjudicated."]
    comment = comments_of(plan).get()
    comment_adjudicate(comment=comment, by=world.user("EUCOM", AO), decision=Decision.REJECTED,
                       rationale="Assets are counted once; see annex C")
    with pytest.raises(TransitionRefused, match="DON.s non-concurrence stands: 1 critical comment rejected"):
        act(plan, "send_to_review", world.user("EUCOM", AO))
    tasker_respond(
        tasker=taskers_of(plan).get(organization=world.orgs["DON"]), by=world.user("DON", REV),
        response=Response.CONCUR)
    assert act(plan, "send_to_review", world.user("EUCOM", AO)).state == PlanState.REVIEW


def test_owner_elevates_an_unresolved_nonconcur_and_the_reviewer_sees_it(world):
    plan = act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    answer(world, plan, "DA", Response.CONCUR)
    answer(world, plan, "USD(AT&L)", Response.CONCUR)
    answer(world, plan, "DON", Response.NONCONCUR, rationale="Navy assets double-counted", comments=critical())
    with pytest.raises(TransitionRefused, match="Only the owning organization's approver"):
        act(plan, "elevate", world.user("EUCOM", AO), comment="Disagreement on force counts")
    with pytest.raises(TransitionRefused, match="Rationale for elevation is required"):
        act(plan, "elevate", world.user("EUCOM", APP))
    plan = act(plan, "elevate", world.user("EUCOM", APP), comment="Disagreement on force counts")
    assert plan.state == PlanState.REVIEW and plan.elevated
    assert plan.elevation_rationale == "Disagreement on force counts"
    review = open_taskers(plan, step=Step.REVIEW).get(organization=world.orgs["J5"])
    assert "elevated" in review.added_reason
    entry = history_of(plan).get(action="elevate")
    assert entry.actor == world.user("EUCOM", APP) and entry.acting_for == world.orgs["EUCOM"]


def test_elevation_is_refused_when_nobody_nonconcurs(world):
    plan = act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    for acronym in ("DA", "DON", "USD(AT&L)"):
        answer(world, plan, acronym, Response.CONCUR)
    with pytest.raises(TransitionRefused) as refusal:
        act(plan, "elevate", world.user("EUCOM", APP), comment="why")
    assert refusal.value.reasons == ["There is no unresolved non-concurrence to elevate."]


def test_review_is_parallel_and_approval_waits_for_both_reviews(world):
    plan = to_review(world, world.ready_plan())
    answer(world, plan, "J5", Response.CONCUR, step=Step.REVIEW)
    with pytest.raises(TransitionRefused) as refusal:
        act(plan, "approve", world.user("EUCOM", APP))
    assert refusal.value.reasons == ["1 of 2 review answers outstanding: USD(P)."]
    answer(world, plan, "USD(P)", Response.CONCUR, step=Step.REVIEW)
    approval = open_taskers(plan, step=Step.APPROVAL).get()
    assert approval.organization == world.orgs["EUCOM"]  # the owning combatant commander (Encl. 2, 10.a)
    with pytest.raises(TransitionRefused, match="Only the approving organization"):
        act(plan, "approve", world.user("USD(P)", APP))
    plan = act(plan, "approve", world.user("EUCOM", APP))
    assert plan.state == PlanState.APPROVED and plan.approved_at is not None
    approval.refresh_from_db()
    assert approval.response == Response.APPROVED


def test_a_reviewer_returns_for_rework_with_a_reason_and_the_owner_starts_a_new_version(world):
    plan = to_review(world, world.ready_plan())
    with pytest.raises(TransitionRefused, match="Reason for return is required"):
        act(plan, "return_for_rework", world.user("J5", REV))
    plan = act(plan, "return_for_rework", world.user("J5", REV), comment="Deconflict with SOCOM's plan")
    assert plan.state == PlanState.RETURNED and plan.return_reason == "Deconflict with SOCOM's plan"
    assert not open_taskers(plan).exists()
    v2 = plan_new_version(plan=plan, by=world.user("EUCOM", AO))
    assert (v2.version, v2.state, v2.series, v2.previous_version) == (2, PlanState.DRAFT, plan.series, plan)
    assert list(v2.objectives.values_list("code", flat=True)) == ["OBJ-1"]
    assert v2.objectives.get().end_states.get() == world.end_state
    assert sorted(v2.supporting_organizations.values_list("acronym", flat=True)) == ["DA", "DON"]
    # The returned version stays readable and unchanged.
    with pytest.raises(ActionRefused, match="Only a draft can be edited"):
        plan_update(plan=plan, by=world.user("EUCOM", AO), title="changed")
    assert CampaignPlan.objects.get(pk=plan.pk).title == plan.title
    # Resubmission goes round again.
    v2 = act(v2, "submit", world.user("EUCOM", AO))
    assert open_taskers(v2, step=Step.COORDINATION).count() == 3


def test_approving_a_new_version_supersedes_the_approved_one(world):
    v1 = to_review(world, world.ready_plan())
    for acronym in ("J5", "USD(P)"):
        answer(world, v1, acronym, Response.CONCUR, step=Step.REVIEW)
    v1 = act(v1, "approve", world.user("EUCOM", APP))
    v2 = plan_new_version(plan=v1, by=world.user("EUCOM", AO))
    with pytest.raises(ActionRefused, match="Version 2 is already draft"):
        plan_new_version(plan=v1, by=world.user("EUCOM", AO))
    v2 = to_review(world, v2)
    for acronym in ("J5", "USD(P)"):
        answer(world, v2, acronym, Response.CONCUR, step=Step.REVIEW)
    act(v2, "approve", world.user("EUCOM", APP))
    assert CampaignPlan.objects.get(pk=v1.pk).state == PlanState.SUPERSEDED
    assert CampaignPlan.objects.get(pk=v2.pk).state == PlanState.APPROVED
    assert history_of(v1).filter(action="supersede", to_state=PlanState.SUPERSEDED).count() == 1


def test_a_plan_in_flight_keeps_the_route_it_started_with(world):
    # Rewritten when review steps came to name designated offices (issue #14): the route no longer
    # names J5 itself, so the change is a route edit through the service, not a row update.
    plan = act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    # The policy office, which owns the procedure, changes the route: it no longer reviews (it still approves).
    route = plan.route
    route_update(route=route, by=world.user("USD(P)", Role.ACTION_OFFICER), steps=[
        RouteStepSpec(step=s.step, organization=s.organization, designation=s.designation, relation=s.relation,
                      suspense_working_days=s.suspense_working_days)
        for s in route.steps.all() if not (s.step == Step.REVIEW and s.designation == Designation.POLICY_OFFICE)])
    for acronym in ("DA", "DON", "USD(AT&L)"):
        answer(world, plan, acronym, Response.CONCUR)
    plan = act(plan, "send_to_review", world.user("EUCOM", AO))
    assert sorted(t.organization.acronym for t in open_taskers(plan, step=Step.REVIEW)) == ["J5", "USD(P)"]
    new_plan = act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    assert [s["organization"] for s in new_plan.route_snapshot["steps"] if s["step"] == Step.REVIEW] == ["J5"]


def test_a_delegate_approves_and_the_history_records_both_people(world):
    plan = to_review(world, world.ready_plan())
    for acronym in ("J5", "USD(P)"):
        answer(world, plan, acronym, Response.CONCUR, step=Step.REVIEW)
    approver, deputy = world.user("EUCOM", APP), world.user("EUCOM", REV)
    with pytest.raises(TransitionRefused):
        act(plan, "approve", deputy)
    Delegation.objects.create(organization=world.orgs["EUCOM"], role=APP, delegator=approver, delegate=deputy,
                              start=datetime.date(2026, 11, 16), end=datetime.date(2026, 11, 30), reason="TDY")
    plan = act(plan, "approve", deputy)
    entry = history_of(plan).get(action="approve")
    assert (entry.actor, entry.on_behalf_of, entry.acting_for) == (deputy, approver, world.orgs["EUCOM"])


def test_withdrawal_by_the_owner_closes_open_taskers(world):
    plan = act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    with pytest.raises(TransitionRefused, match="Only the owning organization"):
        act(plan, "withdraw", world.user("DA", APP), comment="not ours")
    plan = act(plan, "withdraw", world.user("EUCOM", AO), comment="Overtaken by the new GEF")
    assert plan.state == PlanState.WITHDRAWN
    assert not open_taskers(plan).exists()


def test_answers_are_closed_once_coordination_ends(world):
    plan = to_review(world, world.ready_plan())
    tasker = taskers_of(plan, step=Step.COORDINATION).get(organization=world.orgs["DA"])
    with pytest.raises(ActionRefused):
        tasker_respond(tasker=tasker, by=world.user("DA", REV), response=Response.NONCONCUR,
                       rationale="late", comments=critical())


def test_only_designated_coordinators_answer_for_their_organization(world):
    plan = act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    tasker = taskers_of(plan).get(organization=world.orgs["DA"])
    for user in (world.user("DA", AO), world.user("DON", REV)):
        with pytest.raises(ActionRefused, match="designated as a coordinator of DA"):
            tasker_respond(tasker=tasker, by=user, response=Response.CONCUR)
    tasker.refresh_from_db()
    assert tasker.state == TaskerState.OPEN


def test_every_transition_writes_exactly_one_history_entry(world):
    plan = to_review(world, world.ready_plan())
    actions = list(HistoryEntry.objects.filter(object_id=plan.pk).values_list("action", flat=True))
    assert actions.count("submit") == 1 and actions.count("send_to_review") == 1
    assert actions.count("tasker_answered") == 3


def test_the_history_names_who_made_each_transition_and_between_which_states(world):
    plan = to_review(world, world.ready_plan())
    for acronym in ("J5", "USD(P)"):
        answer(world, plan, acronym, Response.CONCUR, step=Step.REVIEW)
    plan = act(plan, "approve", world.user("EUCOM", APP))
    moves = HistoryEntry.objects.filter(object_id=plan.pk).exclude(from_state="").order_by("at", "pk")
    assert [(entry.action, entry.from_state, entry.to_state, entry.actor) for entry in moves] == [
        ("submit", "draft", "coordination", world.user("EUCOM", AO)),
        ("send_to_review", "coordination", "review", world.user("EUCOM", AO)),
        ("approve", "review", "approved", world.user("EUCOM", APP))]


def test_an_approval_costs_the_same_queries_whatever_the_plan_holds(world):
    """The rules, the conditions and the approval's own writes read the plan's taskers once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for n, supporting in enumerate((("DA",), ("DA", "DON", "DLA"))):
        # Two periods: a command has one theater campaign plan in force per period (Glossary).
        plan = act(world.ready_plan(supporting=supporting, start=datetime.date(2027 + 6 * n, 1, 1)), "submit",
                   world.user("EUCOM", AO))
        for acronym in supporting + ("USD(AT&L)",):
            answer(world, plan, acronym, Response.CONCUR)
        plan = act(plan, "send_to_review", world.user("EUCOM", AO))
        for acronym in ("J5", "USD(P)"):
            answer(world, plan, acronym, Response.CONCUR, step=Step.REVIEW)
        approver = world.user("EUCOM", APP)
        with CaptureQueriesContext(connection) as queries:
            act(CampaignPlan.objects.get(pk=plan.pk), "approve", approver)
        counts.append(len(queries))
        tasker_reads = [q for q in queries.captured_queries
                        if q["sql"].startswith("SELECT") and '"workflow_tasker"' in q["sql"].split("FROM")[1][:30]]
        assert len(tasker_reads) == 1, [q["sql"][:120] for q in tasker_reads]
    assert counts[0] == counts[1]
    # The page's read of the plan; the lock; who the approver acts for; the taskers, read once;
    # the approval tasker closed; its reminders cancelled; the plan's changed columns; the
    # history entry; its audit event (the chain's head read under its lock in that same
    # statement). The history entry is itself the event the approval's notice is raised from
    # once it commits (reminders.notices): nothing more is written for it here. With the
    # savepoint and its release (the test's transaction; outside a test they are the
    # transaction's BEGIN and COMMIT, which the bench counts as one).
    expected = 9 + 2 if connection.vendor == "postgresql" else 10 + 2
    assert counts[0] == expected, counts


def test_a_transition_writes_only_what_it_changed(world):
    """An edit of another column committed after the approver's page was read is kept."""
    plan = to_review(world, world.ready_plan())
    for acronym in ("J5", "USD(P)"):
        answer(world, plan, acronym, Response.CONCUR, step=Step.REVIEW)
    seen = CampaignPlan.objects.get(pk=plan.pk)
    CampaignPlan.objects.filter(pk=plan.pk).update(summary="Edited by the owner meanwhile (training data).")
    approved = transition_perform(document=seen, name="approve", by=world.user("EUCOM", APP),
                                  expected_state=seen.state)
    stored = CampaignPlan.objects.get(pk=plan.pk)
    assert (stored.state, stored.summary) == (PlanState.APPROVED, "Edited by the owner meanwhile (training data).")
    assert stored.approved_at == approved.approved_at is not None
