"""Staff enter an assessment's answers on its admin page: a form under the change form (never
nested in it) listing every question of the cycle's template, per-objective ratings expanded to
each objective of the plan, that POSTs to a view calling the assessment services in one
transaction. Refusals come back as messages in the services' words; answers refused for what
they say bring the page back as typed, each reason beside its question."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from assessments.models import Answer, Assessment, AssessmentState, ProgramAssessment, QuestionKind
from assessments.selectors import cycle_template, template_questions

from .conftest import REV
from .helpers import act, launched

pytestmark = pytest.mark.urls("tests.assessments.urls")


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def started(world):
    """EUCOM's assessment of its approved plan, launched and started by its action officer."""
    world.approved_plan("EUCOM")
    cycle = launched(world, world.cycle())
    assessment = Assessment.objects.get(owner=world.orgs["EUCOM"])
    act(assessment, "start", world.user("EUCOM"))
    return cycle, Assessment.objects.get(pk=assessment.pk)


def questions_of(cycle) -> dict[str, object]:
    return {q.kind: q for q in template_questions(cycle_template(cycle))}


def complete_form(cycle, assessment, **overrides) -> dict:
    q = questions_of(cycle)
    data = {
        f"answer-{q[QuestionKind.NARRATIVE].pk}-0-text": "Partners trained and exercised.",
        f"answer-{q[QuestionKind.RATING].pk}-0-rating": "Largely achieved",
        f"answer-{q[QuestionKind.RATING].pk}-0-justification": "Exercises met their objectives.",
        "strategic_environment_changes": "A new partner joined.",
        "recommended_guidance_changes": "Fund air defense training.",
    }
    for objective in assessment.objectives():
        data[f"answer-{q[QuestionKind.OBJECTIVE_RATING].pk}-{objective.pk}-rating"] = "Achieved"
        data[f"answer-{q[QuestionKind.OBJECTIVE_RATING].pk}-{objective.pk}-justification"] = f"{objective.code} met."
    data.update(overrides)
    return data


def answers_url(assessment) -> str:
    return reverse("admin:assessments_assessment_answers", args=[assessment.pk])


def test_the_change_page_lists_every_question_outside_the_change_form(world, client, started):
    cycle, assessment = started
    client.force_login(world.user("EUCOM"))
    page = client.get(reverse("admin:assessments_assessment_change", args=[assessment.pk])).content.decode()
    assert page.count(f'action="{answers_url(assessment)}"') == 1
    # The answer form opens after Django's change form has closed: no nested forms.
    change_form_end = page.index("</form>", page.index('id="assessment_form"'))
    assert page.index(f'action="{answers_url(assessment)}"') > change_form_end
    q = questions_of(cycle)
    for objective in assessment.objectives():
        assert f'name="answer-{q[QuestionKind.OBJECTIVE_RATING].pk}-{objective.pk}-rating"' in page
    assert f'name="answer-{q[QuestionKind.NARRATIVE].pk}-0-text"' in page
    assert 'name="strategic_environment_changes"' in page and 'name="recommended_guidance_changes"' in page


def test_the_owners_action_officer_fills_the_answers_saves_and_submits(world, client, started):
    cycle, assessment = started
    client.force_login(world.user("EUCOM"))
    response = client.post(answers_url(assessment), complete_form(cycle, assessment))
    assert response.status_code == 302
    assert response.url == reverse("admin:assessments_assessment_change", args=[assessment.pk])
    assert any("4 answers and the texts saved" in m for m in messages_of(response)), messages_of(response)
    assessment = Assessment.objects.get(pk=assessment.pk)
    assert assessment.strategic_environment_changes == "A new partner joined."
    assert assessment.answers.count() == 4
    # The page shows the current answers.
    page = client.get(reverse("admin:assessments_assessment_change", args=[assessment.pk])).content.decode()
    assert "Exercises met their objectives." in page and '<option value="Largely achieved" selected>' in page
    # Saving again unchanged records nothing new.
    again = client.post(answers_url(assessment), complete_form(cycle, assessment))
    assert any("0 answers saved" in m for m in messages_of(again)), messages_of(again)
    submitted = client.post(reverse("admin:assessments_assessment_transition", args=[assessment.pk, "submit"]),
                            {"expected_state": "in_progress"})
    assert submitted.status_code == 302
    assert Assessment.objects.get(pk=assessment.pk).state == AssessmentState.SUBMITTED
    # Once submitted the form is gone, with the reason, and a POST is refused.
    page = client.get(reverse("admin:assessments_assessment_change", args=[assessment.pk])).content.decode()
    assert f'action="{answers_url(assessment)}"' not in page
    assert "answers can be changed only until it is submitted" in page
    late = client.post(answers_url(assessment), complete_form(cycle, assessment, recommended_guidance_changes="x"))
    assert any("answers can be changed only until it is submitted" in m for m in messages_of(late))


def test_another_organizations_user_gets_a_404(world, client, started):
    cycle, assessment = started
    client.force_login(world.user("CENTCOM"))
    assert client.get(reverse("admin:assessments_assessment_change", args=[assessment.pk])).status_code in (302, 404)
    response = client.post(answers_url(assessment), complete_form(cycle, assessment))
    assert response.status_code == 404
    assert not Answer.objects.exists()


def test_a_reviewer_who_sees_it_may_not_answer(world, client, started):
    cycle, assessment = started
    client.force_login(world.user("J5", REV))
    page = client.get(reverse("admin:assessments_assessment_change", args=[assessment.pk])).content.decode()
    assert f'action="{answers_url(assessment)}"' not in page
    response = client.post(answers_url(assessment), complete_form(cycle, assessment))
    assert any("Only an action officer or approver of EUCOM may answer" in m for m in messages_of(response))
    assert not Answer.objects.exists()


def test_a_rating_without_justification_is_refused_and_nothing_is_saved(world, client, started):
    cycle, assessment = started
    rating = questions_of(cycle)[QuestionKind.RATING]
    client.force_login(world.user("EUCOM"))
    response = client.post(answers_url(assessment), complete_form(
        cycle, assessment, **{f"answer-{rating.pk}-0-justification": "  "}))
    # The page again, not a redirect: what was typed is still there, the reason beside its question.
    assert response.status_code == 200
    shown = messages_of(response)
    assert "Nothing was saved." in shown
    assert "“Overall progress toward the plan's objectives”: A rating needs a justification." in shown
    page = response.content.decode()
    assert '<option value="Largely achieved" selected>' in page
    assert "Partners trained and exercised." in page and "A new partner joined." in page
    row = next(row for row in response.context["answer_rows"] if row["question"] == rating)
    assert row["errors"] == ["A rating needs a justification."]
    assert not Answer.objects.exists()
    assert Assessment.objects.get(pk=assessment.pk).strategic_environment_changes == ""


def test_program_assessments_have_the_same_form(world, client):
    cycle = launched(world, world.cycle())
    program_assessment = ProgramAssessment.objects.filter(cycle=cycle).first()
    act(program_assessment, "start", world.user("USD(P)"))
    narrative = questions_of(cycle)[QuestionKind.NARRATIVE]
    client.force_login(world.user("USD(P)"))
    url = reverse("admin:assessments_programassessment_answers", args=[program_assessment.pk])
    page = client.get(reverse("admin:assessments_programassessment_change", args=[program_assessment.pk]))
    assert f'action="{url}"' in page.content.decode()
    response = client.post(url, {f"answer-{narrative.pk}-0-text": "Cases delivered on time."})
    assert any("1 answer saved" in m for m in messages_of(response)), messages_of(response)
    assert program_assessment.answers.get().text == "Cases delivered on time."


def test_the_page_has_one_save_and_a_post_to_djangos_change_form_saves_the_answers_too(world, client, started):
    """Django's own Save button submitted only its (read-only) change form, reported success and
    dropped the answers typed in the answer form below it: the page has one Save, the answers'
    (content and answers together), and whatever posts to the change page goes through it."""
    cycle, assessment = started
    client.force_login(world.user("EUCOM"))
    change = reverse("admin:assessments_assessment_change", args=[assessment.pk])
    page = client.get(change).content.decode()
    assert 'name="_save"' not in page and 'name="_continue"' not in page
    assert page.count('value="Save answers"') == 1
    response = client.post(change, {"_save": "Save", **complete_form(cycle, assessment)})
    assert response.status_code == 302 and response.url == change
    assert messages_of(response) == [f"{assessment}: 4 answers and the texts saved. Draft kept: 4 of 4 required "
                                     "answers given."]
    assert Answer.objects.filter(assessment=assessment).count() == 4
    assert Assessment.objects.get(pk=assessment.pk).recommended_guidance_changes
