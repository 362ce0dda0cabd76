"""Who may act on a tasker and on the comment matrix, decided by the engine whoever calls it:
the tasked organization's members acknowledge its tasker; only the owner's action officers and
approvers adjudicate comments. Each refusal writes nothing."""

from __future__ import annotations

import pytest

from workflow.exceptions import ActionRefused
from workflow.models import Decision, HistoryEntry, Step, TaskerState
from workflow.selectors import taskers_of
from workflow.services import comment_adjudicate, tasker_acknowledge

from .helpers import AO, REV, act, don_comments, in_coordination


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
