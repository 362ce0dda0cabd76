"""Two approvers acting on the same plan at the same moment, on PostgreSQL: exactly one
succeeds, the other gets a conflict, and the history shows one approval."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from organizations.models import Membership, Role
from planning.models import CampaignPlan, PlanState
from workflow.exceptions import Conflict
from workflow.models import Response, Step
from workflow.selectors import history_of, open_taskers
from workflow.services import tasker_respond, transition_perform


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_approvers_at_the_same_moment_one_succeeds_the_other_gets_a_conflict(world):
    AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER
    plan = transition_perform(document=world.ready_plan(), name="submit", by=world.user("EUCOM", AO))
    for acronym in ("DA", "DON", "USD(AT&L)"):
        tasker_respond(tasker=open_taskers(plan).get(organization=world.orgs[acronym]),
                       by=world.user(acronym, REV), response=Response.CONCUR)
    plan = transition_perform(document=plan, name="send_to_review", by=world.user("EUCOM", AO))
    for acronym in ("J5", "USD(P)"):
        tasker_respond(tasker=open_taskers(plan, step=Step.REVIEW).get(organization=world.orgs[acronym]),
                       by=world.user(acronym, REV), response=Response.CONCUR)
    second = get_user_model().objects.create_user("usdp_second_approver", password="x" * 16)
    Membership.objects.create(user=second, organization=world.orgs["USD(P)"], role=APP,
                              start=datetime.date(2020, 1, 1))
    approvers = [world.user("USD(P)", APP), second]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(user):
        try:
            seen = CampaignPlan.objects.get(pk=plan.pk)  # what each approver has on screen
            barrier.wait(timeout=10)
            transition_perform(document=seen, name="approve", by=user, expected_state=seen.state)
            outcomes.append("approved")
        except Conflict as conflict:
            outcomes.append(f"conflict: {conflict.reasons[0]}")
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(user,)) for user in approvers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(o.split(":")[0] for o in outcomes) == ["approved", "conflict"], outcomes
    assert "Someone else changed this campaign plan" in next(o for o in outcomes if o.startswith("conflict"))
    assert CampaignPlan.objects.get(pk=plan.pk).state == PlanState.APPROVED
    assert history_of(plan).filter(action="approve").count() == 1
