"""What the system does by itself (tasking the approver once the reviews are in, superseding the
version approved before) is recorded as the system acting on behalf of the person whose action
caused it, in the admin's history and the API's."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from planning.models import CampaignPlan, PlanState
from planning.services import plan_new_version
from security.models import AuditAction, AuditEvent
from workflow.models import Response, Step
from workflow.selectors import history_of

from .helpers import AO, APP, REV, act, answer, to_review

V1 = "/api/v1"


def approved(world, plan):
    for acronym in ("J5", "USD(P)"):
        answer(world, plan, acronym, Response.CONCUR, step=Step.REVIEW)
    return act(plan, "approve", world.user("EUCOM", APP))


def test_the_approver_is_tasked_by_the_system_on_behalf_of_the_last_reviewer(world, as_member):
    plan = to_review(world, world.ready_plan())
    answer(world, plan, "J5", Response.CONCUR, step=Step.REVIEW)
    answer(world, plan, "USD(P)", Response.CONCUR, step=Step.REVIEW)
    entry = history_of(plan).get(action="approval_taskers_issued")
    assert (entry.actor, entry.caused_by) == (None, world.user("USD(P)", REV))
    assert entry.actor_label == "System (on behalf of usdp_reviewer)"
    rows = as_member("EUCOM", AO).get(f"{V1}/campaign-plans/{plan.pk}/history/").json()
    row = next(r for r in rows if r["action"] == "approval_taskers_issued")
    assert (row["actor"], row["caused_by"], row["actor_label"]) == (
        None, "usdp_reviewer", "System (on behalf of usdp_reviewer)")
    answered = next(r for r in rows if r["action"] == "tasker_answered" and "USD(P)" in r["description"])
    assert (answered["actor"], answered["caused_by"]) == ("usdp_reviewer", None)
    owner = Client()
    owner.force_login(world.user("EUCOM", AO))
    page = owner.get(reverse("admin:planning_campaignplan_change", args=[plan.pk])).content.decode()
    assert "Approval taskers issued to EUCOM" in page and "System (on behalf of usdp_reviewer)" in page
    audited = AuditEvent.objects.get(action=AuditAction.WORKFLOW, description__startswith="Approval taskers issued")
    assert (audited.user, audited.detail["caused_by"]) == (None, world.user("USD(P)", REV).pk)


def test_supersession_is_recorded_as_the_system_on_behalf_of_the_approver(world):
    first = approved(world, to_review(world, world.ready_plan()))
    second = plan_new_version(plan=first, by=world.user("EUCOM", AO))
    approved(world, to_review(world, second))
    assert CampaignPlan.objects.get(pk=first.pk).state == PlanState.SUPERSEDED
    entry = history_of(first).get(action="supersede")
    assert (entry.actor, entry.caused_by) == (None, world.user("EUCOM", APP))
    assert entry.actor_label == "System (on behalf of eucom_approver)"
    assert history_of(second).get(action="approve").actor_label == "eucom_approver for EUCOM"


def test_nobody_supersedes_an_approved_version_by_hand(world):
    from workflow.exceptions import TransitionRefused

    plan = approved(world, to_review(world, world.ready_plan()))
    history_before = history_of(plan).count()
    for person in (world.user("EUCOM", AO), world.user("EUCOM", APP)):
        with pytest.raises(TransitionRefused) as refused:
            act(plan, "supersede", person)
        assert refused.value.reasons == ["This step happens automatically; nobody makes it by hand."]
    assert CampaignPlan.objects.get(pk=plan.pk).state == PlanState.APPROVED
    assert history_of(plan).count() == history_before
