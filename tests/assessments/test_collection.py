"""Collection as commands work: an assessment is saved as a draft at any time (the first save of
an assigned or returned one starts or resumes it), shows how many required answers are given,
is submitted only when complete with each missing answer named beside its question (what was
typed kept), is returned by J5 with its reasons and resubmitted; its completion taskers get
reminders as a plan's do."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import Answer, Assessment, AssessmentState, QuestionKind
from assessments.selectors import answers_missing, cycle_template, template_questions
from assessments.services import answer_save
from reminders.models import Reminder, ReminderStatus
from reminders.services import reminders_sweep
from workflow.exceptions import InvalidInput
from workflow.models import Step, TaskerState
from workflow.selectors import history_of, open_taskers, taskers_of

from .conftest import REV, TZ
from .helpers import act, answer_everything, launched

pytestmark = pytest.mark.urls("tests.assessments.urls")


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def assigned(world):
    world.approved_plan("EUCOM")
    cycle = launched(world, world.cycle())
    return cycle, Assessment.objects.get(owner=world.orgs["EUCOM"])


def questions_of(cycle):
    return {q.kind: q for q in template_questions(cycle_template(cycle))}


def change_url(assessment):
    return reverse("admin:assessments_assessment_change", args=[assessment.pk])


def answers_url(assessment):
    return reverse("admin:assessments_assessment_answers", args=[assessment.pk])


def test_an_assigned_assessment_is_saved_as_a_draft_which_starts_it_and_shows_its_progress(world, client, assigned):
    cycle, assessment = assigned
    client.force_login(world.user("EUCOM"))
    page = client.get(change_url(assessment)).content.decode()
    assert f'action="{answers_url(assessment)}"' in page  # offered before any Start
    assert "0 of 4 required answers given." in page
    q = questions_of(cycle)
    response = client.post(answers_url(assessment), {
        f"answer-{q[QuestionKind.NARRATIVE].pk}-0-text": "Partners trained (draft)."})
    assert messages_of(response) == [f"{assessment}: 1 answer saved. Draft kept: 1 of 4 required answers given."]
    assessment = Assessment.objects.get(pk=assessment.pk)
    assert assessment.state == AssessmentState.IN_PROGRESS
    start = history_of(assessment).get(action="start")
    assert start.actor == world.user("EUCOM")
    page = client.get(change_url(assessment)).content.decode()
    assert "1 of 4 required answers given." in page
    assert '<progress value="1" max="4"' in page


def test_save_and_submit_of_an_incomplete_assessment_keeps_the_draft_and_names_each_gap_beside_it(
        world, client, assigned):
    cycle, assessment = assigned
    client.force_login(world.user("EUCOM"))
    q = questions_of(cycle)
    objectives = list(assessment.objectives().order_by("code"))
    form = {f"answer-{q[QuestionKind.RATING].pk}-0-rating": "Largely achieved",
            f"answer-{q[QuestionKind.RATING].pk}-0-justification": "Exercises met (typed).",
            f"answer-{q[QuestionKind.OBJECTIVE_RATING].pk}-{objectives[0].pk}-rating": "Achieved",
            f"answer-{q[QuestionKind.OBJECTIVE_RATING].pk}-{objectives[0].pk}-justification": "OBJ-1 met (typed).",
            "strategic_environment_changes": "A new partner joined (typed).", "_submit": "Save and submit"}
    response = client.post(answers_url(assessment), form)
    assert response.status_code == 200  # the page again, not a redirect
    said = messages_of(response)
    assert said[0] == f"{assessment}: 2 answers and the texts saved. The draft is kept, but it was not submitted:"
    assert "Answer “How did the plan advance the GEF end states?”." in said
    assert "Rate objective OBJ-2 on “Progress toward this objective” and justify the rating." in said
    page = response.content.decode()
    narrative = page[page.index(f'id="errors-{q[QuestionKind.NARRATIVE].pk}-0"'):]
    assert narrative.index("Answer “How did the plan advance the GEF end states?”.") < narrative.index(
        f'name="answer-{q[QuestionKind.NARRATIVE].pk}-0-text"')
    assert f'id="errors-{q[QuestionKind.OBJECTIVE_RATING].pk}-{objectives[1].pk}"' in page
    assert f'id="errors-{q[QuestionKind.RATING].pk}-0"' not in page  # answered: no error beside it
    assert "Required before submitting: recommended changes to guidance." in page
    assert "Exercises met (typed)." in page and "A new partner joined (typed)." in page
    assessment = Assessment.objects.get(pk=assessment.pk)
    assert assessment.state == AssessmentState.IN_PROGRESS
    assert Answer.objects.filter(assessment=assessment).count() == 2  # the draft is kept


def test_save_and_submit_of_a_complete_assessment_submits_it(world, client, assigned):
    cycle, assessment = assigned
    answer_everything(assessment, world.user("EUCOM"))
    client.force_login(world.user("EUCOM"))
    response = client.post(answers_url(assessment), {"_submit": "Save and submit",
                                                     "strategic_environment_changes": "None of note.",
                                                     "recommended_guidance_changes": "None."})
    assert messages_of(response) == [f"{assessment}: 0 answers saved. Submitted: the assessment is now submitted."]
    assert Assessment.objects.get(pk=assessment.pk).state == AssessmentState.SUBMITTED


def test_j5_returns_an_assessment_with_its_reason_and_the_command_saves_and_resubmits(world, client, assigned):
    cycle, assessment = assigned
    owner = world.user("EUCOM")
    answer_everything(assessment, owner)
    act(assessment, "submit", owner)
    client.force_login(world.user("J5", REV))
    url = reverse("admin:assessments_assessment_transition", args=[assessment.pk, "return_for_rework"])
    # Returning is destructive: it is confirmed (the tick box) and still needs its reason.
    refused = client.post(url, {"expected_state": "submitted", "comment": "", "confirmed": "yes"})
    assert "Reason for return is required." in messages_of(refused)
    assert Assessment.objects.get(pk=assessment.pk).state == AssessmentState.SUBMITTED
    client.post(url, {"expected_state": "submitted", "comment": "Justify the overall rating with the indicators.",
                      "confirmed": "yes"})
    assessment = Assessment.objects.get(pk=assessment.pk)
    assert (assessment.state, assessment.return_reason) == (AssessmentState.RETURNED,
                                                            "Justify the overall rating with the indicators.")
    rework = open_taskers(assessment, step=Step.COMPLETION).get()
    client.force_login(owner)
    page = client.get(change_url(assessment)).content.decode()
    assert "Returned:</strong> Justify the overall rating with the indicators." in page
    q = questions_of(cycle)
    response = client.post(answers_url(assessment), {
        f"answer-{q[QuestionKind.RATING].pk}-0-rating": "Largely achieved",
        f"answer-{q[QuestionKind.RATING].pk}-0-justification": "Four of five indicators met.",
        "_submit": "Save and submit"})
    assert messages_of(response)[-1].endswith("Submitted: the assessment is now submitted.")
    assert [h.action for h in history_of(assessment)][-3:] == ["resume", "answered", "submit"]
    rework.refresh_from_db()
    assert rework.state == TaskerState.ANSWERED


def test_a_submitted_assessment_takes_no_draft_and_says_why(world, client, assigned):
    cycle, assessment = assigned
    answer_everything(assessment, world.user("EUCOM"))
    act(assessment, "submit", world.user("EUCOM"))
    client.force_login(world.user("EUCOM"))
    response = client.post(answers_url(assessment), {"recommended_guidance_changes": "Changed after submitting"})
    assert any("answers can be changed only until it is submitted" in m for m in messages_of(response))
    assert Assessment.objects.get(pk=assessment.pk).recommended_guidance_changes == "None."


def test_the_assessment_pages_queries_do_not_grow_with_its_questions_and_answers(world, client, assigned):
    cycle, assessment = assigned
    owner = world.user("EUCOM")
    answer_everything(assessment, owner)
    client.force_login(owner)
    client.get(change_url(assessment))
    with CaptureQueriesContext(connection) as few:
        page = client.get(change_url(assessment))
    assert "4 of 4 required answers given." in page.content.decode()
    section = cycle_template(cycle).sections.get()
    for n in range(6):  # six more questions, answered
        question = section.questions.create(position=10 + n, text=f"Extra question {n}")
        answer_save(document=assessment, question=question, by=owner, text=f"Extra answer {n}")
    with CaptureQueriesContext(connection) as many:
        page = client.get(change_url(assessment))
    assert "10 of 10 required answers given." in page.content.decode()
    assert len(many.captured_queries) == len(few.captured_queries)


def test_an_assessments_completion_tasker_is_reminded_and_escalated_like_a_plans(world, assigned):
    cycle, assessment = assigned
    world.user("EUCOM", REV), world.user("J5", REV), world.user("USD(P)", "approver")
    tasker = taskers_of(assessment, step=Step.COMPLETION).get()
    with time_machine.travel(datetime.datetime(2026, 10, 6, 8, tzinfo=TZ), tick=False):
        reminders_sweep()  # plans what the launch issued in bulk
    scheduled = Reminder.objects.filter(tasker=tasker, status=ReminderStatus.SCHEDULED).select_related("step",
                                                                                                       "recipient")
    kinds = {(r.step.kind, r.recipient.username) for r in scheduled}
    assert ("reminder", "eucom_action_officer") in kinds
    assert {user for kind, user in kinds if kind == "escalation"} >= {"j5_reviewer", "usdp_approver"}


def test_yes_or_no_and_number_questions_take_only_such_answers_and_are_named_when_missing(world, client, assigned):
    cycle, assessment = assigned
    owner = world.user("EUCOM")
    section = cycle_template(cycle).sections.get()
    yes_no = section.questions.create(position=20, kind=QuestionKind.YES_NO, text="Did the partner co-invest?")
    number = section.questions.create(position=21, kind=QuestionKind.NUMBER, text="How many exercises took place?")
    with pytest.raises(InvalidInput) as refused:
        answer_save(document=assessment, question=yes_no, by=owner, text="Maybe")
    assert refused.value.field_errors == {"text": ["Answer yes or no."]}
    with pytest.raises(InvalidInput) as refused:
        answer_save(document=assessment, question=number, by=owner, text="a dozen")
    assert refused.value.field_errors == {"text": ["Enter a number, e.g. 12 or 3.5."]}
    assert {"Answer yes or no to “Did the partner co-invest?”.",
            "Give the number asked in “How many exercises took place?”."} <= set(answers_missing(assessment))
    answer_save(document=assessment, question=yes_no, by=owner, text="Yes")
    answer_save(document=assessment, question=number, by=owner, text="12")
    assessment = Assessment.objects.get(pk=assessment.pk)
    assert not {line for line in answers_missing(assessment) if "co-invest" in line or "exercises" in line}
    client.force_login(owner)
    page = client.get(change_url(assessment)).content.decode()
    assert f'<select name="answer-{yes_no.pk}-0-text">' in page and '<option value="Yes" selected>' in page
    assert f'name="answer-{number.pk}-0-text" value="12"' in page
