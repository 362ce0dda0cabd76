"""Answers through the API: ``GET /api/v1/assessments/<id>/answers/`` lists every question of the
cycle's template (per-objective ratings expanded) with the current answers, and a POST to the same
path saves answers and texts through the same services as the admin, all or nothing."""

from __future__ import annotations

import pytest

from assessments.models import Answer, Assessment, AssessmentState, ProgramAssessment, QuestionKind
from assessments.selectors import cycle_template, template_questions
from tests.assessments import conftest as assessments
from tests.assessments.helpers import act, launched

from .conftest import AO, REV

V1 = "/api/v1"
world = assessments.world  # the assessment cycle's world: a template with every kind of question
at_start = assessments.at_start


@pytest.fixture
def started(world):
    world.approved_plan("EUCOM")
    cycle = launched(world, world.cycle())
    assessment = Assessment.objects.get(owner=world.orgs["EUCOM"])
    act(assessment, "start", world.user("EUCOM"))
    return cycle, Assessment.objects.get(pk=assessment.pk)


def complete_body(cycle, assessment, **rating_overrides) -> dict:
    q = {question.kind: question for question in template_questions(cycle_template(cycle))}
    rating = {"question": q[QuestionKind.RATING].pk, "rating": "Largely achieved",
              "justification": "Exercises met their objectives.", **rating_overrides}
    return {
        "answers": [
            {"question": q[QuestionKind.NARRATIVE].pk, "text": "Partners trained and exercised."}, rating,
            *({"question": q[QuestionKind.OBJECTIVE_RATING].pk, "objective": objective.pk, "rating": "Achieved",
               "justification": f"{objective.code} met."} for objective in assessment.objectives()),
        ],
        "strategic_environment_changes": "A new partner joined.",
        "recommended_guidance_changes": "Fund air defense training.",
    }


def url(assessment, resource="assessments") -> str:
    return f"{V1}/{resource}/{assessment.pk}/answers/"


def test_the_sheet_lists_every_question_with_objectives_expanded(world, as_member, started):
    cycle, assessment = started
    sheet = as_member("EUCOM", AO).get(url(assessment))
    assert sheet.status_code == 200, sheet.json()
    body = sheet.json()
    assert (body["state"], body["editable"], body["reasons"]) == ("in_progress", True, [])
    assert [(row["question_kind"], row["objective_code"]) for row in body["answers"]] == [
        ("narrative", None), ("rating", None), ("objective_rating", "OBJ-1"), ("objective_rating", "OBJ-2")]
    assert all(row["rating"] == "" and row["answered_by"] is None for row in body["answers"])
    reviewer = as_member("J5", REV).get(url(assessment)).json()
    assert reviewer["editable"] is False
    assert reviewer["reasons"] == ["Only an action officer or approver of EUCOM may answer this assessment."]


def test_the_owner_answers_everything_in_one_request_and_submits(world, as_member, started):
    cycle, assessment = started
    eucom = as_member("EUCOM", AO)
    saved = eucom.post(url(assessment), complete_body(cycle, assessment), format="json")
    assert saved.status_code == 200, saved.json()
    body = saved.json()
    assert body["strategic_environment_changes"] == "A new partner joined."
    assert [row["rating"] for row in body["answers"]] == ["", "Largely achieved", "Achieved", "Achieved"]
    assert body["answers"][0]["text"] == "Partners trained and exercised."
    assert {row["answered_by"] for row in body["answers"]} == {world.user("EUCOM").username}
    assert eucom.get(url(assessment)).json() == body
    submitted = eucom.post(f"{V1}/assessments/{assessment.pk}/transitions/submit/", {}, format="json")
    assert submitted.status_code == 200, submitted.json()
    assert submitted.json()["state"] == AssessmentState.SUBMITTED
    late = eucom.post(url(assessment), complete_body(cycle, assessment), format="json")
    assert late.status_code == 409  # not now: the owner may, while in progress
    assert late["Content-Type"] == "application/problem+json"
    assert "answers can be changed only until it is submitted" in late.json()["detail"]


def test_another_organizations_user_gets_a_404(world, as_member, started):
    cycle, assessment = started
    centcom = as_member("CENTCOM", AO)
    assert centcom.get(url(assessment)).status_code == 404
    refused = centcom.post(url(assessment), complete_body(cycle, assessment), format="json")
    assert refused.status_code == 404 and refused["Content-Type"] == "application/problem+json"
    assert not Answer.objects.exists()


def test_a_reviewer_who_sees_it_may_not_answer(world, as_member, started):
    cycle, assessment = started
    refused = as_member("J5", REV).post(url(assessment), complete_body(cycle, assessment), format="json")
    assert refused.status_code == 403
    assert refused.json()["reasons"] == ["Only an action officer or approver of EUCOM may answer this assessment."]
    assert not Answer.objects.exists()


def test_a_rating_without_justification_is_a_400_with_field_errors_and_nothing_is_saved(world, as_member, started):
    cycle, assessment = started
    invalid = as_member("EUCOM", AO).post(url(assessment), complete_body(cycle, assessment, justification=" "),
                                          format="json")
    assert invalid.status_code == 400
    assert invalid["Content-Type"] == "application/problem+json"
    assert invalid.json()["errors"] == {"answers[1].justification": ["A rating needs a justification."]}
    assert not Answer.objects.exists()
    assert Assessment.objects.get(pk=assessment.pk).strategic_environment_changes == ""


def test_malformed_input_is_a_400_not_a_crash(world, as_member, started):
    cycle, assessment = started
    eucom = as_member("EUCOM", AO)
    unknown = eucom.post(url(assessment), {"answers": [{"question": 999999, "objective": 888888}]}, format="json")
    assert unknown.status_code == 400
    assert set(unknown.json()["errors"]) == {"answers[0].question", "answers[0].objective"}
    wrong_type = eucom.post(url(assessment), {"answers": [{"question": "x", "text": "\x00"}]}, format="json")
    assert wrong_type.status_code == 400
    assert set(wrong_type.json()["errors"]) == {"answers[0].question", "answers[0].text"}
    narrative = template_questions(cycle_template(cycle)).get(kind=QuestionKind.NARRATIVE)
    objective = assessment.objectives().first()
    misplaced = eucom.post(url(assessment), {"answers": [
        {"question": narrative.pk, "objective": objective.pk, "text": "x"}]}, format="json")
    assert misplaced.json()["errors"] == {"answers[0].objective": ["Only a per-objective rating names an objective."]}


def test_program_assessments_have_the_same_endpoint(world, as_member):
    cycle = launched(world, world.cycle())
    program_assessment = ProgramAssessment.objects.filter(cycle=cycle).first()
    act(program_assessment, "start", world.user("USD(P)"))
    narrative = template_questions(cycle_template(cycle)).get(kind=QuestionKind.NARRATIVE)
    saved = as_member("USD(P)", AO).post(url(program_assessment, "program-assessments"), {
        "answers": [{"question": narrative.pk, "objective": None, "text": "Cases delivered on time."}]}, format="json")
    assert saved.status_code == 200, saved.json()
    assert [row["question_kind"] for row in saved.json()["answers"]] == ["narrative", "rating"]
    assert program_assessment.answers.get().text == "Cases delivered on time."


def test_the_joint_review_starts_through_the_api_only_with_the_number_outstanding_confirmed(world, started):
    from rest_framework.test import APIClient

    from api.services import api_token_issue
    from assessments.models import AssessmentCycle, CycleState

    cycle, _assessment = started
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=world.admin).key}")
    url = f"{V1}/assessment-cycles/{cycle.pk}/transitions/start_joint_review/"
    refused = client.post(url, {}, format="json")
    assert refused.status_code == 400
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["detail"].startswith("3 assessments (EUCOM 1, USD(P) 2) are still outstanding.")
    assert "outstanding_confirmed" in refused.json()["errors"]
    assert AssessmentCycle.objects.get(pk=cycle.pk).state == CycleState.COLLECTION
    started_review = client.post(url, {"outstanding_confirmed": 3}, format="json")
    assert started_review.status_code == 200, started_review.json()
    assert started_review.json()["state"] == CycleState.JOINT_REVIEW
