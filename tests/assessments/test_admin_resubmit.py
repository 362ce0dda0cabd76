"""An assessment's answer form and transition buttons submitted twice (a double click, or the
browser's back button) act once and show the first outcome."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from assessments.models import Assessment, AssessmentState
from workflow.selectors import history_of

from .helpers import act, launched
from .test_answer_entry import complete_form

pytestmark = pytest.mark.urls("tests.assessments.urls")


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def token_of_form(page: str, action: str) -> str:
    form = page[page.index(f'action="{action}"'):]
    return re.search(r'name="form_token" value="([^"]+)"', form[:form.index("</form>")]).group(1)


def test_the_answer_form_and_the_submit_button_sent_twice_act_once(world, client):
    world.approved_plan("EUCOM")
    cycle = launched(world, world.cycle())
    assessment = Assessment.objects.get(owner=world.orgs["EUCOM"])
    act(assessment, "start", world.user("EUCOM"))
    client.force_login(world.user("EUCOM"))
    change = reverse("admin:assessments_assessment_change", args=[assessment.pk])
    answers = reverse("admin:assessments_assessment_answers", args=[assessment.pk])
    form = {**complete_form(cycle, assessment), "form_token": token_of_form(client.get(change).content.decode(),
                                                                            answers)}

    client.post(answers, form, follow=True)
    again = client.post(answers, form, follow=True)

    assert messages_of(again) == [f"This was already submitted: {assessment}: 4 answers and the texts saved. "
                                  "Draft kept: 4 of 4 required answers given."]
    assert Assessment.objects.get(pk=assessment.pk).answers.count() == 4

    submit = reverse("admin:assessments_assessment_transition", args=[assessment.pk, "submit"])
    button = {"expected_state": "in_progress", "form_token": token_of_form(client.get(change).content.decode(),
                                                                           submit)}
    client.post(submit, button, follow=True)
    again = client.post(submit, button, follow=True)

    assert [m.startswith("This was already submitted: Done: ") for m in messages_of(again)] == [True]
    assert Assessment.objects.get(pk=assessment.pk).state == AssessmentState.SUBMITTED
    assert history_of(assessment).filter(action="submit").count() == 1
