"""Encl. 2, 10.a and the Glossary (issue #22, point 3): a geographic combatant command has one
theater campaign plan in force per period. Checked where a plan is written (create, edit), and
again where it moves: at submission no other plan of the command for an overlapping period is
being routed or in force; at approval none is in force. A new version of the plan in force is the
same plan and supersedes it."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.test import Client
from django.urls import reverse

from organizations.models import Role
from planning.models import CampaignPlan, CampaignPlanKind, PlanState
from planning.services import plan_new_version
from workflow.exceptions import TransitionRefused
from workflow.models import HistoryEntry, Response, Step, Tasker
from workflow.selectors import open_taskers
from workflow.services import transitions_available

from .test_plan_workflow import act, answer, to_review

AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER
START = datetime.date(2027, 1, 1)


def _approved(world, plan):
    plan = to_review(world, plan)
    for acronym in ("J5", "USD(P)"):
        answer(world, plan, acronym, Response.CONCUR, step=Step.REVIEW)
    return act(plan, "approve", world.user("EUCOM", APP))


def _titled(plan, title):
    CampaignPlan.objects.filter(pk=plan.pk).update(title=title)
    return CampaignPlan.objects.get(pk=plan.pk)


def _side_by_side_in_review(world):
    """Two theater plans of EUCOM in review side by side, as plans routed before Encl. 2, 10.a was
    checked are (the second's period moved into the first's afterwards), every review answered."""
    first = to_review(world, _titled(world.ready_plan(start=START), "EUCOM TCP 2027"))
    second = to_review(world, _titled(world.ready_plan(start=datetime.date(2040, 1, 1)), "EUCOM TCP 2030"))
    CampaignPlan.objects.filter(pk=second.pk).update(period_start=datetime.date(2030, 1, 1),
                                                     period_end=datetime.date(2035, 1, 1))
    for plan in (first, second):
        for acronym in ("J5", "USD(P)"):
            answer(world, plan, acronym, Response.CONCUR, step=Step.REVIEW)
    return first, second


def test_encl2_10a_a_second_theater_plan_for_an_overlapping_period_is_not_submitted_while_one_is_routed(world):
    """Encl. 2, 10.a: one theater campaign plan per command and period. The refusal names the plan
    being routed, its period and its state; the second draft stays a draft with no tasker."""
    first = act(_titled(world.ready_plan(start=START), "EUCOM TCP 2027"), "submit", world.user("EUCOM", AO))
    second = _titled(world.ready_plan(start=datetime.date(2029, 1, 1)), "EUCOM TCP rival")
    with pytest.raises(TransitionRefused) as refused:
        act(second, "submit", world.user("EUCOM", AO))
    reason = " ".join(refused.value.reasons)
    assert "EUCOM already has a theater campaign plan for an overlapping period: “EUCOM TCP 2027”" in reason
    assert "01 Jan 2027 to 01 Jan 2032" in reason and "in coordination" in reason.lower()
    assert "Encl. 2, 10.a" in reason
    assert CampaignPlan.objects.get(pk=second.pk).state == PlanState.DRAFT
    assert not Tasker.objects.filter(object_id=second.pk).exclude(object_id=first.pk).exists()
    assert not HistoryEntry.objects.filter(object_id=second.pk, action="submit").exists()


def test_encl2_10a_the_plan_page_and_the_api_say_why_the_submission_waits(world):
    """The same sentence on the transitions list (admin "Why can't I…?", API ``transitions``)."""
    act(world.ready_plan(start=START), "submit", world.user("EUCOM", AO))
    second = world.ready_plan(start=datetime.date(2031, 6, 1))
    submit = next(t for t in transitions_available(document=second, user=world.user("EUCOM", AO))
                  if t.name == "submit")
    assert not submit.allowed and any("overlapping period" in r for r in submit.reasons)
    client = Client()
    client.force_login(world.user("EUCOM", AO))
    page = client.get(reverse("admin:planning_campaignplan_change", args=[second.pk])).content.decode()
    assert "already has a theater campaign plan for an overlapping period" in page


def test_encl2_10a_approval_is_refused_while_another_theater_plan_of_the_command_is_in_force(world):
    """Encl. 2, 10.a: two plans routed side by side before the rule held (the second's period
    moved into the first's afterwards) cannot both be approved: the second is refused, naming the
    plan in force, and stays in review."""
    first, second = _side_by_side_in_review(world)
    first = act(CampaignPlan.objects.get(pk=first.pk), "approve", world.user("EUCOM", APP))  # neither is in force yet
    assert first.state == PlanState.APPROVED
    second = CampaignPlan.objects.get(pk=second.pk)
    with pytest.raises(TransitionRefused) as refused:
        act(second, "approve", world.user("EUCOM", APP))
    assert "“EUCOM TCP 2027” (version 1), 01 Jan 2027 to 01 Jan 2032, approved" in " ".join(refused.value.reasons)
    assert CampaignPlan.objects.get(pk=second.pk).state == PlanState.REVIEW


def test_encl2_10a_a_new_version_of_the_plan_in_force_is_submitted_approved_and_supersedes_it(world):
    """Encl. 2, 10.a: the plan in force is revised by a new version of it (same series), which is
    routed and approved over the same period and supersedes the version in force."""
    first = _approved(world, world.ready_plan(start=START))
    second = plan_new_version(plan=first, by=world.user("EUCOM", AO))
    assert (second.period_start, second.period_end) == (first.period_start, first.period_end)
    second = _approved(world, second)
    assert second.state == PlanState.APPROVED and second.version == 2
    assert CampaignPlan.objects.get(pk=first.pk).state == PlanState.SUPERSEDED


def test_encl2_10a_other_commands_later_periods_withdrawn_plans_and_other_kinds_do_not_conflict(world):
    """Encl. 2, 10.a counts theater campaign plans of one command whose periods overlap and that
    are routed or in force: another command's, the next period's, a withdrawn plan and a regional
    plan of the same command and period go ahead."""
    first = act(world.ready_plan(start=START), "submit", world.user("EUCOM", AO))
    assert act(world.ready_plan(owner="CENTCOM", partners=("IL",), start=START), "submit",
               world.user("CENTCOM", AO)).state == PlanState.COORDINATION
    assert act(world.ready_plan(start=datetime.date(2032, 1, 1)), "submit",
               world.user("EUCOM", AO)).state == PlanState.COORDINATION  # periods end and start on one day
    regional = world.ready_plan(start=START)
    CampaignPlan.objects.filter(pk=regional.pk).update(kind=CampaignPlanKind.REGIONAL)
    assert act(CampaignPlan.objects.get(pk=regional.pk), "submit",
               world.user("EUCOM", AO)).state == PlanState.COORDINATION
    act(first, "withdraw", world.user("EUCOM", AO), comment="Replaced by a rewritten plan")
    assert act(world.ready_plan(start=START), "submit", world.user("EUCOM", AO)).state == PlanState.COORDINATION


def _one_each(items):
    """A function handing each of ``items`` out once, whichever thread asks first."""
    remaining, lock = iter(list(items)), threading.Lock()

    def take():
        with lock:
            return next(remaining)

    return take


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_encl2_10a_two_overlapping_theater_plans_submitted_at_the_same_moment_one_goes_ahead(world):
    """Encl. 2, 10.a under concurrency: each submission locks only its own plan, so the command's
    theater plans are taken one at a time and the second is read again after the first commits:
    exactly one is routed, the other refused with the reason, still a draft."""
    from tests.concurrency import at_once

    draft = _one_each([world.ready_plan(start=START), world.ready_plan(start=datetime.date(2029, 1, 1))])
    officer = world.user("EUCOM", AO)
    outcomes = at_once(2, lambda: act(CampaignPlan.objects.get(pk=draft().pk), "submit", officer))
    refused = [o for o in outcomes if isinstance(o, TransitionRefused)]
    assert len(refused) == 1, outcomes
    assert "already has a theater campaign plan for an overlapping period" in " ".join(refused[0].reasons)
    states = sorted(CampaignPlan.objects.filter(owner=world.orgs["EUCOM"]).values_list("state", flat=True))
    assert states == [PlanState.COORDINATION, PlanState.DRAFT]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_encl2_10a_two_overlapping_theater_plans_approved_at_the_same_moment_one_comes_into_force(world):
    """Encl. 2, 10.a under concurrency: one theater campaign plan in force per command and period.
    Two plans of one command routed side by side before the rule held are approved at the same
    moment, each by its own connection: exactly one is approved, the other is refused with the
    rule's sentence naming the plan now in force, stays in review and keeps its approval tasker."""
    from tests.concurrency import at_once

    plan = _one_each(_side_by_side_in_review(world))
    approver = world.user("EUCOM", APP)
    outcomes = at_once(2, lambda: act(CampaignPlan.objects.get(pk=plan().pk), "approve", approver))
    refused = [o for o in outcomes if isinstance(o, TransitionRefused)]
    approved = [o for o in outcomes if isinstance(o, CampaignPlan)]
    assert len(refused) == 1 and len(approved) == 1, outcomes
    reason = " ".join(refused[0].reasons)
    assert f"already has a theater campaign plan for an overlapping period: “{approved[0].title}”" in reason
    assert "approved" in reason and "Encl. 2, 10.a" in reason
    states = dict(CampaignPlan.objects.filter(owner=world.orgs["EUCOM"]).values_list("title", "state"))
    assert sorted(states.values()) == [PlanState.APPROVED, PlanState.REVIEW]
    assert states[approved[0].title] == PlanState.APPROVED
    waiting = CampaignPlan.objects.get(state=PlanState.REVIEW, owner=world.orgs["EUCOM"])
    assert open_taskers(waiting, step=Step.APPROVAL).count() == 1
    assert not HistoryEntry.objects.filter(object_id=waiting.pk, action="approve").exists()
