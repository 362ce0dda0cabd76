"""A non-concurrence as the staffs practise it: it stands until the non-concurring
organization withdraws it (answers again) or every one of its critical comments is accepted; a
partially accepted or rejected critical comment keeps it standing until the commenter agrees or
the owner elevates. The transition reasons and the comment matrix (admin and API) say which
non-concurrence stands and why."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from planning.models import CampaignPlan, PlanState
from workflow.exceptions import ActionRefused, TransitionRefused
from workflow.models import Decision, Response, Step
from workflow.selectors import comment_resolution, comments_of, history_of
from workflow.services import comment_adjudicate, comment_agree, transitions_available

from .helpers import AO, APP, REV, act, answer, critical, don_comments, in_coordination

V1 = "/api/v1"


def adjudicate(world, comment, decision, rationale="Counted once; see annex C"):
    return comment_adjudicate(comment=comment, by=world.user("EUCOM", AO), decision=decision, rationale=rationale)


def send_to_review_reasons(world, plan) -> list[str]:
    options = transitions_available(document=CampaignPlan.objects.get(pk=plan.pk), user=world.user("EUCOM", AO))
    return next(o.reasons for o in options if o.name == "send_to_review")


def test_a_nonconcurrence_withdrawn_by_a_new_answer_no_longer_blocks_review(world):
    plan = in_coordination(world)
    adjudicate(world, don_comments(plan)[0], Decision.REJECTED)
    assert send_to_review_reasons(world, plan) == [
        "DON's non-concurrence stands: 1 critical comment rejected, DON has not agreed."]
    answer(world, plan, "DON", Response.CONCUR_WITH_COMMENT, rationale="Withdrawn after the annex C briefing",
           comments=[{"category": "administrative", "text": "Fix the acronym list"}])
    plan = act(plan, "send_to_review", world.user("EUCOM", AO))
    assert plan.state == PlanState.REVIEW and not plan.elevated


def test_a_nonconcurrence_with_every_critical_comment_accepted_no_longer_blocks_review(world):
    plan = in_coordination(world, nonconcur_comments=critical("Remove 3.a") + critical("Recount 4.b", "4.b"))
    first, second = don_comments(plan)
    adjudicate(world, first, Decision.ACCEPTED, rationale="")
    assert send_to_review_reasons(world, plan) == ["1 critical comment from DON not adjudicated."]
    adjudicate(world, second, Decision.ACCEPTED, rationale="")
    with pytest.raises(TransitionRefused, match="There is no unresolved non-concurrence to elevate"):
        act(plan, "elevate", world.user("EUCOM", APP), comment="Nothing to elevate")
    plan = act(plan, "send_to_review", world.user("EUCOM", AO))
    assert plan.state == PlanState.REVIEW and not plan.elevated


def test_a_partially_accepted_critical_comment_blocks_review_until_the_commenter_agrees(world):
    plan = in_coordination(world)
    comment = don_comments(plan)[0]
    adjudicate(world, comment, Decision.PARTIALLY_ACCEPTED, rationale="3.a shortened, not removed")
    with pytest.raises(TransitionRefused) as refusal:
        act(plan, "send_to_review", world.user("EUCOM", AO))
    assert refusal.value.reasons == ["DON's non-concurrence stands: 1 critical comment partially accepted, "
                                     "DON has not agreed."]
    assert CampaignPlan.objects.get(pk=plan.pk).state == PlanState.COORDINATION
    comment_agree(comment=comment, by=world.user("DON", REV))
    assert send_to_review_reasons(world, plan) == []
    plan = act(plan, "send_to_review", world.user("EUCOM", AO))
    assert plan.state == PlanState.REVIEW and not plan.elevated
    entry = history_of(plan).get(action="comment_agreed")
    assert entry.actor == world.user("DON", REV) and entry.acting_for == world.orgs["DON"]


def test_a_rejected_critical_comment_blocks_review_until_the_owner_elevates(world):
    plan = in_coordination(world)
    adjudicate(world, don_comments(plan)[0], Decision.REJECTED)
    with pytest.raises(TransitionRefused, match="DON's non-concurrence stands: 1 critical comment rejected"):
        act(plan, "send_to_review", world.user("EUCOM", AO))
    plan = act(plan, "elevate", world.user("EUCOM", APP), comment="Force counts disputed; USD(P) to decide")
    assert plan.state == PlanState.REVIEW and plan.elevated


def test_the_reasons_name_each_cause_of_a_standing_nonconcurrence(world):
    plan = in_coordination(world, nonconcur_comments=critical("Remove 3.a") + critical("Recount 4.b", "4.b")
                           + critical("Drop annex D", "D"))
    first, second, third = don_comments(plan)
    adjudicate(world, first, Decision.PARTIALLY_ACCEPTED)
    adjudicate(world, second, Decision.REJECTED)
    assert send_to_review_reasons(world, plan) == [
        "1 critical comment from DON not adjudicated.",
        "DON's non-concurrence stands: 1 critical comment partially accepted and 1 rejected, DON has not agreed."]
    adjudicate(world, third, Decision.REJECTED)
    assert send_to_review_reasons(world, plan) == [
        "DON's non-concurrence stands: 1 critical comment partially accepted and 2 rejected, DON has not agreed."]


def test_a_changed_adjudication_needs_the_commenter_to_agree_again(world):
    plan = in_coordination(world)
    comment = don_comments(plan)[0]
    adjudicate(world, comment, Decision.PARTIALLY_ACCEPTED, rationale="3.a shortened")
    comment_agree(comment=comment, by=world.user("DON", REV))
    assert send_to_review_reasons(world, plan) == []
    adjudicate(world, comment, Decision.REJECTED, rationale="On reflection 3.a stays")
    assert send_to_review_reasons(world, plan) == [
        "DON's non-concurrence stands: 1 critical comment rejected, DON has not agreed."]


def test_only_a_coordinator_of_the_commenting_organization_agrees_and_only_with_an_adjudication(world):
    plan = in_coordination(world)
    comment = don_comments(plan)[0]
    with pytest.raises(ActionRefused, match="not adjudicated yet"):
        comment_agree(comment=comment, by=world.user("DON", REV))
    adjudicate(world, comment, Decision.REJECTED)
    for user in (world.user("DA", REV), world.user("EUCOM", AO), world.user("DON", APP, coordinator=False)):
        with pytest.raises(ActionRefused, match="designated as a coordinator of DON"):
            comment_agree(comment=comment, by=user)
    comment_agree(comment=comment, by=world.user("DON", REV))
    comment_agree(comment=comment, by=world.user("DON", REV))  # the same agreement again writes nothing
    assert history_of(plan).filter(action="comment_agreed").count() == 1
    accepted = comments_of(plan).create(
        content_type=comment.content_type, object_id=plan.pk, tasker=comment.tasker, organization=comment.organization,
        author=comment.author, category="critical", text="Add the DON liaison", decision=Decision.ACCEPTED)
    with pytest.raises(ActionRefused, match="accepted: it needs no agreement"):
        comment_agree(comment=accepted, by=world.user("DON", REV))


def test_agreement_is_closed_once_coordination_ends(world):
    plan = in_coordination(world)
    comment = don_comments(plan)[0]
    adjudicate(world, comment, Decision.REJECTED)
    act(plan, "elevate", world.user("EUCOM", APP), comment="USD(P) to decide")
    with pytest.raises(ActionRefused, match="coordination answers are closed"):
        comment_agree(comment=comment, by=world.user("DON", REV))
    assert comments_of(plan).get().commenter_agreed_at is None


def test_the_comment_matrix_says_where_each_comment_stands(world):
    plan = in_coordination(world, nonconcur_comments=critical("Remove 3.a") + critical("Recount 4.b", "4.b")
                           + [{"category": "substantive", "text": "Expand 2.c"}])
    first, second, substantive = don_comments(plan)
    assert comment_resolution(first) == "Not adjudicated: coordination cannot end until it is."
    adjudicate(world, first, Decision.PARTIALLY_ACCEPTED)
    adjudicate(world, second, Decision.ACCEPTED, rationale="")
    adjudicate(world, substantive, Decision.REJECTED)
    first, second, substantive = don_comments(plan)
    assert comment_resolution(first) == ("Partially accepted, DON has not agreed: DON's non-concurrence stands "
                                         "until it agrees or answers again, or the owner elevates.")
    assert comment_resolution(second) == "Accepted."
    assert comment_resolution(substantive) == "Rejected."
    comment_agree(comment=first, by=world.user("DON", REV))
    assert comment_resolution(don_comments(plan)[0]).startswith("Partially accepted; DON agreed on ")


def test_the_api_matrix_shows_the_standing_nonconcurrence_and_the_commenter_agrees_through_it(world, as_member):
    plan = in_coordination(world)
    comment = don_comments(plan)[0]
    adjudicate(world, comment, Decision.PARTIALLY_ACCEPTED, rationale="3.a shortened")
    row = as_member("EUCOM", AO).get(f"{V1}/comments/{comment.pk}/").json()
    assert row["blocking"] is True and "DON's non-concurrence stands" in row["resolution"]
    refused = as_member("DA", REV).post(f"{V1}/comments/{comment.pk}/agree/")  # DA is tasked: it sees the comment
    assert refused.status_code == 403
    assert refused.json()["reasons"] == ["Only a reviewer or approver designated as a coordinator of DON may agree "
                                         "with the adjudication of its comment."]
    agreed = as_member("DON", REV).post(f"{V1}/comments/{comment.pk}/agree/")
    assert agreed.status_code == 200, agreed.json()
    assert agreed.json()["commenter_agreed_by"] == "don_reviewer" and agreed.json()["blocking"] is False
    eucom = as_member("EUCOM", AO)
    options = {o["name"]: o for o in eucom.get(f"{V1}/campaign-plans/{plan.pk}/transitions/").json()}
    assert options["send_to_review"]["allowed"], options["send_to_review"]["reasons"]


def test_the_admin_matrix_offers_the_commenter_the_agreement_and_records_it(world):
    plan = in_coordination(world)
    comment = don_comments(plan)[0]
    adjudicate(world, comment, Decision.REJECTED)
    url = reverse("admin:planning_campaignplan_change", args=[plan.pk])
    owner = Client()
    owner.force_login(world.user("EUCOM", AO))
    page = owner.get(url).content.decode()
    assert "DON&#x27;s non-concurrence stands: 1 critical comment rejected, DON has not agreed." in page
    assert "Agree with the adjudication" not in page
    don = Client()
    don.force_login(world.user("DON", REV))
    page = don.get(url).content.decode()
    assert "Agree with the adjudication for DON" in page
    response = don.post(url.replace("change/", f"agree/{comment.pk}/"), follow=True)
    assert "DON agreed with the adjudication of its comment." in response.content.decode()
    assert comments_of(plan).get().commenter_agreed_by == world.user("DON", REV)
    assert "Agree with the adjudication" not in don.get(url).content.decode()


def test_the_review_step_is_unaffected_by_coordination_comments_once_elevated(world):
    plan = in_coordination(world)
    adjudicate(world, don_comments(plan)[0], Decision.PARTIALLY_ACCEPTED)
    plan = act(plan, "elevate", world.user("EUCOM", APP), comment="USD(P) to decide")
    for acronym in ("J5", "USD(P)"):
        answer(world, plan, acronym, Response.CONCUR, step=Step.REVIEW)
    assert act(plan, "approve", world.user("EUCOM", APP)).state == PlanState.APPROVED


def test_the_agreement_is_offered_only_to_whom_the_engine_lets_agree(world):
    """An action officer of the commenting organization may not agree for it (only its
    coordinators may): the page does not offer the button the service would refuse."""
    plan = in_coordination(world)
    comment = don_comments(plan)[0]
    adjudicate(world, comment, Decision.PARTIALLY_ACCEPTED)
    url = reverse("admin:planning_campaignplan_change", args=[plan.pk])
    officer = Client()
    officer.force_login(world.user("DON", AO))
    page = officer.get(url)
    assert page.status_code == 200
    assert "Agree with the adjudication" not in page.content.decode()
    with pytest.raises(ActionRefused, match="designated as a coordinator of DON"):
        comment_agree(comment=comment, by=world.user("DON", AO))
