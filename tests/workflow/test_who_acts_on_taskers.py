"""Who may act on a tasker and on the comment matrix, decided by the engine whoever calls it:
the tasked organization's members acknowledge its tasker; only the owner's action officers and
approvers adjudicate comments. Each refusal writes nothing."""

from __future__ import annotations

import datetime

import pytest

from workflow.exceptions import ActionRefused, InvalidInput
from workflow.models import Decision, HistoryEntry, Step, TaskerState
from workflow.selectors import history_of, taskers_of
from workflow.services import (
    comment_adjudicate,
    tasker_acknowledge,
    tasker_change_suspense,
    tasker_reassign,
    tasker_remove,
    tasker_return_misrouted,
)

from .helpers import AO, APP, REV, act, don_comments, in_coordination


def recorded(plan, action):
    """Who the plan's history says did ``action``, and for which organization."""
    entry = history_of(plan).filter(action=action).latest("pk")
    return entry.actor, entry.acting_for


def test_only_a_member_of_the_tasked_organization_acknowledges_its_tasker(world):
    plan = act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    tasker = taskers_of(plan, step=Step.COORDINATION).get(organization=world.orgs["DA"])
    history_before = HistoryEntry.objects.count()

    for outsider in (world.user("DON", REV), world.user("EUCOM", AO)):
        with pytest.raises(ActionRefused, match="of DA may do this"):
            tasker_acknowledge(tasker=tasker, by=outsider)
    tasker.refresh_from_db()
    assert tasker.state == TaskerState.OPEN and tasker.acknowledged_by is None
    assert HistoryEntry.objects.count() == history_before

    member = world.user("DA", AO)
    tasker_acknowledge(tasker=tasker, by=member)
    tasker.refresh_from_db()
    assert tasker.state == TaskerState.ACKNOWLEDGED and tasker.acknowledged_by == member
    assert recorded(plan, "tasker_acknowledged") == (member, world.orgs["DA"])


def test_only_the_owners_action_officers_and_approvers_adjudicate_a_comment(world):
    plan = in_coordination(world)
    comment = don_comments(plan)[0]

    for outsider in (world.user("DON", REV), world.user("DA", AO), world.user("EUCOM", REV)):
        with pytest.raises(ActionRefused, match="adjudicates comments"):
            comment_adjudicate(comment=comment, by=outsider, decision=Decision.ACCEPTED, rationale="")
    comment.refresh_from_db()
    assert comment.decision == "" and comment.adjudicated_by is None

    owner = world.user("EUCOM", AO)
    comment_adjudicate(comment=comment, by=owner, decision=Decision.ACCEPTED, rationale="")
    comment.refresh_from_db()
    assert comment.decision == Decision.ACCEPTED and comment.adjudicated_by == owner


def test_only_a_member_of_the_tasked_organization_reassigns_its_tasker_and_only_to_a_member(world):
    plan = act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    tasker = taskers_of(plan, step=Step.COORDINATION).get(organization=world.orgs["DA"])
    colleague = world.user("DA", REV)
    history_before = HistoryEntry.objects.count()

    for outsider in (world.user("DON", REV), world.user("EUCOM", AO)):
        with pytest.raises(ActionRefused, match="of DA may do this"):
            tasker_reassign(tasker=tasker, by=outsider, assignee=colleague)
    with pytest.raises(InvalidInput, match="not a member of DA"):
        tasker_reassign(tasker=tasker, by=world.user("DA", AO), assignee=world.user("DON", REV))
    tasker.refresh_from_db()
    assert tasker.assignee is None
    assert HistoryEntry.objects.count() == history_before

    tasker_reassign(tasker=tasker, by=world.user("DA", AO), assignee=colleague)
    tasker.refresh_from_db()
    assert tasker.assignee == colleague
    assert recorded(plan, "tasker_reassigned") == (world.user("DA", AO), world.orgs["DA"])


def test_only_a_reviewer_or_approver_of_the_tasked_organization_returns_its_tasker_as_misrouted(world):
    plan = act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    tasker = taskers_of(plan, step=Step.COORDINATION).get(organization=world.orgs["DA"])
    history_before = HistoryEntry.objects.count()

    # The owner, another tasked organization, and the tasked organization's action officer.
    for outsider in (world.user("EUCOM", AO), world.user("DON", REV), world.user("DA", AO)):
        with pytest.raises(ActionRefused, match="Only a reviewer or approver of DA may do this"):
            tasker_return_misrouted(tasker=tasker, by=outsider, reason="Not an Army matter")
    tasker.refresh_from_db()
    assert tasker.state == TaskerState.OPEN and tasker.closed_reason == ""
    assert HistoryEntry.objects.count() == history_before

    tasker_return_misrouted(tasker=tasker, by=world.user("DA", REV), reason="Not an Army matter")
    tasker.refresh_from_db()
    assert tasker.state == TaskerState.MISROUTED and tasker.closed_reason == "Not an Army matter"
    assert recorded(plan, "tasker_misrouted") == (world.user("DA", REV), world.orgs["DA"])


def test_only_the_owners_action_officers_and_approvers_remove_a_participant(world):
    plan = act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    tasker = taskers_of(plan, step=Step.COORDINATION).get(organization=world.orgs["DA"])
    history_before = HistoryEntry.objects.count()

    # The tasked organization itself, another one, and the owner's reviewer.
    for outsider in (world.user("DA", REV), world.user("DON", REV), world.user("EUCOM", REV)):
        with pytest.raises(ActionRefused, match="of EUCOM may remove a participant"):
            tasker_remove(tasker=tasker, by=outsider, reason="Army not needed")
    tasker.refresh_from_db()
    assert tasker.state == TaskerState.OPEN
    assert HistoryEntry.objects.count() == history_before

    tasker_remove(tasker=tasker, by=world.user("EUCOM", APP), reason="Army not needed")
    tasker.refresh_from_db()
    assert tasker.state == TaskerState.CANCELLED
    assert recorded(plan, "tasker_removed") == (world.user("EUCOM", APP), world.orgs["EUCOM"])


def test_only_the_owners_action_officers_and_approvers_move_a_suspense(world):
    plan = act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    tasker = taskers_of(plan, step=Step.COORDINATION).get(organization=world.orgs["DA"])
    original = tasker.suspense
    later = original + datetime.timedelta(days=14)
    history_before = HistoryEntry.objects.count()

    for outsider in (world.user("DA", REV), world.user("DON", REV), world.user("EUCOM", REV)):
        with pytest.raises(ActionRefused, match="of EUCOM may move a suspense"):
            tasker_change_suspense(tasker=tasker, by=outsider, suspense=later, reason="More time needed")
    tasker.refresh_from_db()
    assert tasker.suspense == original
    assert HistoryEntry.objects.count() == history_before

    tasker_change_suspense(tasker=tasker, by=world.user("EUCOM", AO), suspense=later, reason="More time needed")
    tasker.refresh_from_db()
    assert tasker.suspense >= later
    assert recorded(plan, "suspense_changed") == (world.user("EUCOM", AO), world.orgs["EUCOM"])
