"""Templates staff can write: a section is edited with its questions, a rating's scale typed as
a list of levels (one per line, worst first) and refused beside it when it is no scale, each
section answered by one set of assessments (the program assessments never get the plans'
questions), and a new template carried forward from last year's approved one."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from assessments.models import (
    DEFAULT_SCALE,
    Assessment,
    ProgramAssessment,
    Question,
    QuestionKind,
    QuestionSet,
    Template,
    TemplateSection,
)
from assessments.selectors import answer_sheet
from assessments.services import answer_save, template_create, template_section_save
from workflow.exceptions import InvalidInput, NotPermitted
from workflow.selectors import history_of

from .conftest import AO, APP
from .helpers import act, launched

pytestmark = pytest.mark.urls("tests.assessments.urls")


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def draft(world):
    cycle = world.cycle()
    act(cycle, "start_template", world.admin)
    return cycle, template_create(cycle=cycle, by=world.user("J5"))


def section_form(template, questions, **fields) -> dict:
    data = {"template": template.pk, "position": "1", "title": "Execution of the GEF", "question_set": "plans",
            "questions-TOTAL_FORMS": str(len(questions)), "questions-INITIAL_FORMS": "0",
            "questions-MIN_NUM_FORMS": "0", "questions-MAX_NUM_FORMS": "1000", **fields}
    for index, question in enumerate(questions):
        for name, value in question.items():
            data[f"questions-{index}-{name}"] = value
    return data


def test_a_section_is_saved_with_its_questions_and_a_scale_typed_one_level_per_line(world, client):
    cycle, template = draft(world)
    client.force_login(world.user("J5"))
    response = client.post(reverse("admin:assessments_templatesection_add"), section_form(template, [
        {"position": "1", "kind": "narrative", "required": "on", "text": "How did the plan advance the GEF?"},
        {"position": "2", "kind": "rating", "required": "on", "text": "Overall progress",
         "scale": "Not achieved\r\n  Partially achieved\r\n\r\nAchieved\r\n"},
    ]))
    assert response.status_code == 302, response.context and response.context["errors"]
    assert response.url == reverse("admin:assessments_template_change", args=[template.pk])
    section = TemplateSection.objects.get()
    assert section.question_set == QuestionSet.PLANS
    assert [(q.text, q.scale) for q in section.questions.all()] == [
        ("How did the plan advance the GEF?", []),
        ("Overall progress", ["Not achieved", "Partially achieved", "Achieved"])]
    assert history_of(template).last().description == (
        "Section “Execution of the GEF” added (campaign plan and campaign support plan assessments): 2 questions")
    # The section's page shows the scale as it was typed: one level per line.
    page = client.get(reverse("admin:assessments_templatesection_change", args=[section.pk])).content.decode()
    assert "Not achieved\nPartially achieved\nAchieved</textarea>" in page
    # The template's page previews the questions as each kind of assessment will see them.
    preview = client.get(reverse("admin:assessments_template_change", args=[template.pk])).content.decode()
    assert "Scale, worst to best: Not achieved → Partially achieved → Achieved" in preview
    assert "Edit the questions of “Execution of the GEF”" in preview


@pytest.mark.parametrize(("scale", "said"), [
    ("Achieved", "A rating needs a scale of at least two levels, worst first"),
    ("Achieved\nachieved", "“achieved” is on the scale twice; each level needs its own label."),
    ("", "A rating needs a scale of at least two levels, worst first"),
])
def test_a_scale_that_is_no_scale_is_refused_beside_it_and_what_was_typed_is_kept(world, client, scale, said):
    cycle, template = draft(world)
    client.force_login(world.user("J5"))
    response = client.post(reverse("admin:assessments_templatesection_add"), section_form(template, [
        {"position": "1", "kind": "narrative", "required": "on", "text": "Typed narrative question"},
        {"position": "2", "kind": "rating", "required": "on", "text": "Typed rating question", "scale": scale},
    ]))
    assert response.status_code == 200
    inline = response.context["inline_admin_formsets"][0].formset
    assert inline.forms[0].errors == {}
    assert any(said in message for message in inline.forms[1].errors["scale"]), inline.forms[1].errors
    page = response.content.decode()
    assert "Typed narrative question" in page and "Typed rating question" in page
    assert not TemplateSection.objects.exists() and not Question.objects.exists()


def test_a_scale_on_a_narrative_question_is_refused_by_the_service_naming_the_row(world):
    cycle, template = draft(world)
    with pytest.raises(InvalidInput) as refused:
        template_section_save(template=template, by=world.user("J5"), title="Execution", questions=[
            {"kind": QuestionKind.NARRATIVE, "text": "Fine"},
            {"kind": QuestionKind.NARRATIVE, "text": "Why a scale?", "scale": ["Low", "High"]}])
    assert refused.value.rows == {"questions": {1: {"scale": ["Only a rating has a scale; this question is "
                                                              "narrative."]}}}
    assert refused.value.reasons == ["Question 2: Only a rating has a scale; this question is narrative."]
    assert not TemplateSection.objects.exists()


def test_only_the_joint_staffs_action_officers_and_approvers_edit_a_draft_templates_sections(world):
    cycle, template = draft(world)
    for outsider in (world.user("USD(P)", APP), world.user("EUCOM", AO)):
        with pytest.raises(NotPermitted):
            template_section_save(template=template, by=outsider, title="Not mine", questions=[])
    assert not TemplateSection.objects.exists()


def test_program_assessments_answer_their_own_questions_never_the_plans(world):
    world.approved_plan("EUCOM")
    cycle = world.cycle()
    act(cycle, "start_template", world.admin)
    template = template_create(cycle=cycle, by=world.user("J5"))
    plans = template_section_save(template=template, by=world.user("J5"), title="Plans", position=1,
                                  question_set=QuestionSet.PLANS, questions=[
                                      {"kind": QuestionKind.NARRATIVE, "text": "How did the plan's activities help?"}])
    template_section_save(template=template, by=world.user("J5"), title="Programs", position=2,
                          question_set=QuestionSet.PROGRAM, questions=[
                              {"kind": QuestionKind.RATING, "text": "Program effectiveness", "scale": DEFAULT_SCALE}])
    template_section_save(template=template, by=world.user("J5"), title="Environment", position=3,
                          question_set=QuestionSet.EVERY, questions=[
                              {"kind": QuestionKind.NARRATIVE, "text": "What changed in the region?"}])
    from workflow.models import Response, Step
    from workflow.selectors import open_taskers
    from workflow.services import tasker_respond

    act(template, "consult", world.user("J5"))
    tasker_respond(tasker=open_taskers(template, step=Step.CONSULTATION).get(), by=world.user("USD(P)", "reviewer"),
                   response=Response.CONCUR)
    act(template, "approve", world.user("J5", APP))
    cycle = act(cycle, "launch", world.admin)
    from assessments.services import cycle_launch

    cycle_launch(cycle=cycle, by=world.admin)
    program = ProgramAssessment.objects.filter(cycle=cycle).first()
    plan = Assessment.objects.get(cycle=cycle)
    assert [row["question"].text for row in answer_sheet(program)] == ["Program effectiveness",
                                                                      "What changed in the region?"]
    assert [row["question"].text for row in answer_sheet(plan)] == ["How did the plan's activities help?",
                                                                   "What changed in the region?"]
    with pytest.raises(InvalidInput, match="This question is for campaign plan and campaign support plan "
                                           "assessments, not this program assessment."):
        answer_save(document=program, question=plans.questions.get(), by=world.user("USD(P)"), text="Not ours")


def test_a_new_template_starts_from_last_years_approved_template_copied_and_editable(world, client):
    last_year = world.cycle(fiscal_year=2026)
    old = world.approved_template(last_year)  # sections and three questions
    cycle = world.cycle(fiscal_year=2027)
    act(cycle, "start_template", world.admin)
    client.force_login(world.user("J5"))
    add = reverse("admin:assessments_template_add")
    page = client.get(add + f"?cycle={cycle.pk}").content.decode()
    start_from = page[page.index('name="copy_from"'):]
    assert re.search(rf'<option value="{old.pk}" selected>', start_from[:start_from.index("</select>")])
    response = client.post(add, {"cycle": cycle.pk, "copy_from": old.pk, "title": "", "instructions": ""})
    assert response.status_code == 302, response.context and response.context["errors"]
    template = Template.objects.get(cycle=cycle)
    assert [(q.section.title, q.text, q.scale) for q in Question.objects.filter(section__template=template)] == [
        (q.section.title, q.text, q.scale) for q in Question.objects.filter(section__template=old)]
    assert history_of(template).get().description == "Template version 1 drafted from the FY2026 template (version 1)"
    # The copy is the new year's own: changing it leaves last year's as approved.
    section = template.sections.get()
    template_section_save(template=template, by=world.user("J5"), section=section, title="Renamed", questions=[])
    assert old.sections.get().title == "Execution of the GEF" and old.sections.get().questions.count() == 3


def test_a_template_carries_forward_only_an_approved_template_of_an_earlier_cycle(world):
    last_year = world.cycle(fiscal_year=2026)
    act(last_year, "start_template", world.admin)
    unapproved = template_create(cycle=last_year, by=world.user("J5"))
    cycle = world.cycle(fiscal_year=2027)
    act(cycle, "start_template", world.admin)
    with pytest.raises(InvalidInput, match="cannot be carried forward"):
        template_create(cycle=cycle, by=world.user("J5"), copy_from=unapproved)
    assert not Template.objects.filter(cycle=cycle).exists()


def test_the_template_and_section_pages_stay_within_the_query_bound(world, client, django_assert_max_num_queries):
    world.approved_plan("EUCOM")
    cycle = launched(world, world.cycle())
    template = Template.objects.get(cycle=cycle)
    client.force_login(world.user("J5"))
    for url in (reverse("admin:assessments_template_change", args=[template.pk]),
                reverse("admin:assessments_templatesection_change", args=[template.sections.get().pk])):
        client.get(url)
        with django_assert_max_num_queries(15):
            assert client.get(url).status_code == 200
