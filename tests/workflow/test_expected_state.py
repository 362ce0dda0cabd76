"""``expected_state`` is the state the user read: one that is no state of the kind is bad input
(400, naming the states), not a conflict; a real state that moved is a conflict (409)."""

from __future__ import annotations

import pytest

from planning.models import CampaignPlan, PlanState
from workflow.exceptions import Conflict, InvalidInput
from workflow.selectors import history_of
from workflow.services import transition_perform

from .helpers import AO

V1 = "/api/v1"
STATES = "draft, coordination, review, approved, returned, withdrawn, superseded"


def test_an_expected_state_that_is_no_state_is_invalid_input_naming_the_states(world):
    plan = world.ready_plan()
    with pytest.raises(InvalidInput) as error:
        transition_perform(document=plan, name="submit", by=world.user("EUCOM", AO), expected_state="drafty")
    assert error.value.reasons == [f"“drafty” is not a state of a campaign plan; the states are {STATES}."]
    assert error.value.field_errors == {"expected_state": [f"Choose one of {STATES}."]}
    assert CampaignPlan.objects.get(pk=plan.pk).state == PlanState.DRAFT


def test_a_real_state_that_moved_is_still_a_conflict(world):
    plan = world.ready_plan()
    with pytest.raises(Conflict, match="Someone else changed this campaign plan"):
        transition_perform(document=plan, name="submit", by=world.user("EUCOM", AO), expected_state="review")


def test_the_api_answers_an_unknown_expected_state_with_400(world, as_member):
    plan = world.ready_plan()
    response = as_member("EUCOM", AO).post(f"{V1}/campaign-plans/{plan.pk}/transitions/submit/",
                                           {"expected_state": "in coordination"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["errors"] == {"expected_state": [f"Choose one of {STATES}."]}
    assert not history_of(plan).filter(action="submit").exists()
