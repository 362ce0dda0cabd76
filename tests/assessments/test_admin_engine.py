"""Every routed kind of the assessment cycle through the engine's one admin integration, as plans
are: the workflow panel, the taskers with their answer forms, the comment resolution matrix and
the history on each page; the template's consultation with USD(P) listed and answered in the
admin and the API like any tasker; transitions refused or misaddressed answered as on a plan."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from rest_framework.test import APIClient

from api.services import api_token_issue
from assessments.models import (
    DEFAULT_SCALE,
    Assessment,
    AssessmentCycle,
    ProgramAssessment,
    Question,
    QuestionKind,
    Template,
    TemplateSection,
    TemplateState,
)
from assessments.services import template_create
from workflow.models import Response, Step, Tasker, TaskerState
from workflow.selectors import history_of, open_taskers
from workflow.services import transition_perform

from .conftest import AO, APP, REV
from .helpers import launched

ONE_COMMENT_ROW = {"comments-TOTAL_FORMS": "1", "comments-INITIAL_FORMS": "0"}  # the answer form's rows


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def change_url(document) -> str:
    meta = document._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[document.pk])


def admin_url(document, view: str, *args) -> str:
    meta = document._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=[document.pk, *args])


def in_consultation(world) -> Template:
    """A cycle in its template phase with a template J5 sent to USD(P) for consultation."""
    cycle = world.cycle()
    transition_perform(document=cycle, name="start_template", by=world.admin)
    template = template_create(cycle=cycle, by=world.user("J5"), title="FY2027 assessment template")
    section = TemplateSection.objects.create(template=template, title="Execution of the GEF", position=1)
    Question.objects.create(section=section, position=1, text="How did the plan advance the GEF end states?")
    Question.objects.create(section=section, position=2, kind=QuestionKind.RATING, scale=DEFAULT_SCALE,
                            text="Overall progress toward the plan's objectives")
    return transition_perform(document=template, name="consult", by=world.user("J5"))


def consultation_tasker(template) -> Tasker:
    return Tasker.objects.get(step=Step.CONSULTATION, object_id=template.pk,
                              content_type__app_label="assessments", content_type__model="template")


# --- the template's consultation in the admin ----------------------------------------------

@pytest.mark.urls("tests.assessments.urls")
def test_the_consultation_is_in_usdps_taskers_and_on_the_template_page_with_an_answer_form(world, client):
    template = in_consultation(world)
    tasker = consultation_tasker(template)
    client.force_login(world.user("USD(P)", REV))
    for listing in (client.get(reverse("admin:workflow_tasker_changelist")).content.decode(),
                    client.get(reverse("admin:index")).content.decode()):  # "My taskers", the start page
        assert f'href="{change_url(template)}"' in listing
        assert template.title in listing
    page = client.get(change_url(template))
    assert page.status_code == 200
    content = page.content.decode()
    assert 'id="workflow-taskers"' in content and 'id="workflow-history"' in content
    assert f'action="{admin_url(template, "respond", tasker.pk)}"' in content
    assert "Answer for USD(P) (consultation)" in content
    history = content.split('id="workflow-history"', 1)[1]
    described = [entry.description for entry in history_of(template)]
    assert described and all(description in history for description in described)


@pytest.mark.urls("tests.assessments.urls")
@pytest.mark.parametrize("role", [REV, APP])
def test_usdps_reviewer_or_approver_concurs_in_the_admin_and_j5_may_then_approve(world, client, role):
    template = in_consultation(world)
    tasker = consultation_tasker(template)
    client.force_login(world.user("USD(P)", role))
    response = client.post(admin_url(template, "respond", tasker.pk), {"response": Response.CONCUR})
    assert response.status_code == 302
    assert "Answer recorded for USD(P)." in messages_of(response)
    tasker.refresh_from_db()
    assert (tasker.state, tasker.response, tasker.answered_by) == (
        TaskerState.ANSWERED, Response.CONCUR, world.user("USD(P)", role))
    client.force_login(world.user("J5", APP))
    response = client.post(admin_url(template, "transition", "approve"), {"expected_state": "consultation"})
    assert "Done: Approve the template. The template is now approved." in messages_of(response)
    assert Template.objects.get(pk=template.pk).state == TemplateState.APPROVED


@pytest.mark.urls("tests.assessments.urls")
def test_a_non_concur_with_its_critical_comment_goes_to_the_matrix_for_j5_to_adjudicate(world, client):
    template = in_consultation(world)
    tasker = consultation_tasker(template)
    client.force_login(world.user("USD(P)", APP))
    client.post(admin_url(template, "respond", tasker.pk), {
        "response": Response.NONCONCUR, "rationale": "The questions omit the GEF's priorities.",
        **ONE_COMMENT_ROW, "comments-0-category": "critical", "comments-0-section": "1", "comments-0-text": "Add a question on GEF priority 2.",
        "comments-0-proposed_change": "Ask how the plan advanced GEF priority 2."})
    tasker.refresh_from_db()
    assert (tasker.state, tasker.response) == (TaskerState.ANSWERED, Response.NONCONCUR)
    client.force_login(world.user("J5", APP))
    content = client.get(change_url(template)).content.decode()
    assert "Add a question on GEF priority 2." in content
    assert "Decision on comment 1" in content  # J5 owns the template: it adjudicates
    assert "USD(P) answered non-concur with 1 comment" in content  # the history
    comment = tasker.comments.get()
    response = client.post(admin_url(template, "adjudicate", comment.pk),
                           {"decision": "accepted", "rationale": "Question added."})
    assert "Adjudication of comment 1 recorded." in messages_of(response)
    comment.refresh_from_db()
    assert comment.decision == "accepted"


@pytest.mark.urls("tests.assessments.urls")
@pytest.mark.parametrize(("acronym", "role"), [
    ("USD(P)", AO),  # an action officer of USD(P): not a reviewer or approver
    ("J5", APP),  # the template's owner
    ("EUCOM", APP),  # sees the template (everyone who works here does), answers nothing on it
])
def test_no_one_else_answers_the_consultation_in_the_admin(world, client, acronym, role):
    template = in_consultation(world)
    tasker = consultation_tasker(template)
    client.force_login(world.user(acronym, role))
    page = client.get(change_url(template)).content.decode()
    # The form is offered only to those who may answer; the organization's other members read who may.
    assert f'action="{admin_url(template, "respond", tasker.pk)}"' not in page
    assert (f'id="respond-who-{tasker.pk}"' in page) == (acronym == "USD(P)")
    response = client.post(admin_url(template, "respond", tasker.pk), {"response": Response.CONCUR})
    assert response.status_code == 200  # the form again, as typed, the refusal above it
    assert "The answer for USD(P) was not recorded." in messages_of(response)[0]
    assert "Only a reviewer or approver of USD(P) may do this." in response.content.decode()
    tasker.refresh_from_db()
    assert tasker.state == TaskerState.OPEN


# --- the template's consultation in the API ------------------------------------------------

def api_as(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=user).key}")
    return client


def test_the_consultation_is_listed_and_answered_in_the_api_by_usdp_only(world):
    template = in_consultation(world)
    tasker = consultation_tasker(template)
    usdp = api_as(world.user("USD(P)", REV))
    mine = usdp.get(reverse("api:tasker-list"), {"assigned_to_me": "true"}).json()
    assert [(row["id"], row["document"]) for row in mine["results"]] == [
        (tasker.pk, {"type": "assessment-templates", "id": template.pk})]
    assert usdp.get(reverse("api:assessment-template-detail", args=[template.pk])).json()["state"] == "consultation"

    refused = api_as(world.user("J5", APP)).post(reverse("api:tasker-respond", args=[tasker.pk]),
                                                 {"response": "concur"}, format="json")
    assert refused.status_code == 403
    assert api_as(world.user("EUCOM", APP)).post(reverse("api:tasker-respond", args=[tasker.pk]),
                                                 {"response": "concur"}, format="json").status_code == 403

    answered = usdp.post(reverse("api:tasker-respond", args=[tasker.pk]), {
        "response": "nonconcur", "rationale": "The questions omit the GEF's priorities.",
        "comments": [{"category": "critical", "text": "Add a question on GEF priority 2."}]}, format="json")
    assert answered.status_code == 200, answered.content
    assert (answered.json()["state"], answered.json()["response"]) == ("answered", "nonconcur")
    history = usdp.get(reverse("api:assessment-template-history", args=[template.pk])).json()
    assert any("USD(P) answered non-concur" in entry["description"] for entry in history)


# --- every kind's page as a plan's ---------------------------------------------------------

@pytest.mark.urls("tests.assessments.urls")
def test_every_kind_of_the_cycle_shows_the_workflow_panel_taskers_matrix_and_history(world, client):
    world.approved_plan("EUCOM")
    launched(world, world.cycle())  # the finished launch opened collection
    client.force_login(world.admin)
    documents = [AssessmentCycle.objects.get(), Template.objects.get(), Assessment.objects.get(),
                 ProgramAssessment.objects.first()]
    for document in documents:
        content = client.get(change_url(document)).content.decode()
        for panel in ("workflow-state", "workflow-route-panel", "workflow-taskers", "workflow-comments",
                      "workflow-history"):
            assert f'id="{panel}"' in content, (document, panel)
        assert f'href="{admin_url(document, "comments_xlsx")}"' in content
    # Each page lists its own taskers and history.
    assessment = Assessment.objects.get()
    content = client.get(change_url(assessment)).content.decode()
    assert "Completion" in content and "EUCOM" in content
    assert open_taskers(assessment, step=Step.COMPLETION).exists()
    template = client.get(change_url(Template.objects.get())).content.decode()
    assert "USD(P) answered concur" in template
    # The assessment's answers form is still under its page's change form.
    assert 'id="assessment-answers"' in content


@pytest.mark.urls("tests.assessments.urls")
def test_the_owner_moves_an_assessment_from_its_page_and_the_message_uses_the_states_label(world, client):
    world.approved_plan("EUCOM")
    launched(world, world.cycle())  # the finished launch opened collection
    assessment = Assessment.objects.get()
    client.force_login(world.user("EUCOM"))
    content = client.get(change_url(assessment)).content.decode()
    assert 'value="start">Start</button>' in content
    response = client.post(admin_url(assessment, "transition", "start"), {"expected_state": "assigned"})
    assert response.status_code == 302
    assert "Done: Start. The assessment is now in progress." in messages_of(response)


@pytest.mark.urls("tests.assessments.urls")
def test_the_messages_use_the_states_labels(world, client):
    cycle = world.cycle()
    client.force_login(world.admin)
    response = client.post(admin_url(cycle, "transition", "start_template"), {"expected_state": "setup"})
    assert "Done: Start the template. The assessment cycle is now drafting the template." in messages_of(response)
    template = template_create(cycle=AssessmentCycle.objects.get(pk=cycle.pk), by=world.user("J5"))
    section = TemplateSection.objects.create(template=template, title="Execution of the GEF", position=1)
    Question.objects.create(section=section, position=1, text="How did the plan advance the GEF end states?")
    client.force_login(world.user("J5"))
    response = client.post(admin_url(template, "transition", "consult"), {"expected_state": "draft"})
    assert "Done: Consult USD(P). The template is now in consultation with USD(P)." in messages_of(response)


@pytest.mark.urls("tests.assessments.urls")
def test_transitions_on_the_cycles_pages_answer_as_a_plans_do(world, client):
    """GET on a button's address: 404, as on a plan (not 405); a document the user may not see:
    404; a refused transition: the page again with every reason, the form as typed, nothing changed."""
    plan = world.approved_plan("EUCOM")
    cycle = launched(world, world.cycle())
    assessment = Assessment.objects.get()
    client.force_login(world.user("EUCOM"))
    for document, name in ((plan, "submit"), (assessment, "submit"), (cycle, "close")):
        assert client.get(admin_url(document, "transition", name)).status_code == 404, document
    for url in (admin_url(assessment, "answers"), admin_url(cycle, "add_plans")):
        assert client.get(url).status_code == 404, url

    client.force_login(world.user("CENTCOM"))  # no part in EUCOM's plan or its assessment
    for document, name, state in ((plan, "submit", "approved"), (assessment, "start", "assigned")):
        assert client.post(admin_url(document, "transition", name),
                           {"expected_state": state}).status_code == 404, document
        assert client.get(change_url(document)).status_code in (302, 404)

    client.force_login(world.user("EUCOM"))
    for document, name, state, said in (
            (plan, "submit", "approved", "Not possible while the campaign plan is approved."),
            (assessment, "submit", "assigned", "Not possible while the assessment is assigned."),
            (cycle, "close", "collection", "Not possible while the assessment cycle is collecting assessments.")):
        response = client.post(admin_url(document, "transition", name),
                               {"expected_state": state, "comment": "Typed before the refusal"})
        assert response.status_code == 200 and response.wsgi_request.path == admin_url(document, "transition", name)
        assert said in messages_of(response), messages_of(response)
        assert ">Typed before the refusal</textarea>" in response.content.decode()
        assert type(document).objects.get(pk=document.pk).state == state


def test_the_second_transition_mixin_and_its_templates_are_gone():
    from django.contrib import admin

    from workflow.admin_views import RoutedDocumentAdminMixin

    for model in (AssessmentCycle, Template, Assessment, ProgramAssessment):
        assert isinstance(admin.site._registry[model], RoutedDocumentAdminMixin), model
    for name in ("admin/assessments/change_form_transitions.html", "admin/assessments/transition_buttons.html"):
        with pytest.raises(TemplateDoesNotExist):
            get_template(name)
