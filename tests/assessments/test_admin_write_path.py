"""The cycle's and the template's admin forms save through the assessment services (``cycle_create``,
``cycle_update``, ``template_create``, ``template_update``): the rules of those services hold on
the admin's page, and a refusal is shown on the form with what was typed."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from assessments.models import AssessmentCycle, Template, TemplateSection
from tests.security.test_need_to_know_admin_paths import add_inline_row, change_form_as_shown
from workflow.selectors import history_of
from workflow.services import transition_perform

pytestmark = pytest.mark.urls("tests.assessments.urls")


def test_a_template_added_in_the_admin_keeps_its_instructions_and_its_history(world, client):
    cycle = world.cycle()
    transition_perform(document=cycle, name="start_template", by=world.admin)
    client.force_login(world.user("J5"))
    response = client.post(reverse("admin:assessments_template_add"), {
        "cycle": cycle.pk, "title": "FY2027 template typed", "instructions": "Answer every question (typed).",
        "sections-TOTAL_FORMS": 0, "sections-INITIAL_FORMS": 0})
    assert response.status_code == 302, response.context and response.context["errors"]
    template = Template.objects.get()
    assert (template.title, template.instructions) == ("FY2027 template typed", "Answer every question (typed).")
    from django.contrib.admin.models import LogEntry

    assert LogEntry.objects.get().object_id == str(template.pk)  # Django's log names the row the service made
    assert [h.action for h in history_of(template)] == ["created"]


def test_a_template_edited_in_the_admin_keeps_its_sections_and_their_questions(world, client):
    from assessments.models import Question

    cycle = world.cycle()
    transition_perform(document=cycle, name="start_template", by=world.admin)
    client.force_login(world.user("J5"))
    client.post(reverse("admin:assessments_template_add"), {
        "cycle": cycle.pk, "title": "Draft", "instructions": "", "sections-TOTAL_FORMS": 0,
        "sections-INITIAL_FORMS": 0})
    template = Template.objects.get()
    section = TemplateSection.objects.create(template=template, title="Execution of the GEF", position=1)
    Question.objects.create(section=section, position=1, text="How did the plan advance the GEF end states?")
    url = reverse("admin:assessments_template_change", args=[template.pk])
    data = change_form_as_shown(client.get(url))
    data["sections-0-title"] = "Execution of the GEF (renamed)"
    add_inline_row(data, "sections", {"position": "2", "title": "Resources", "question_set": "every"})

    response = client.post(url, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    assert list(template.sections.values_list("title", flat=True)) == ["Execution of the GEF (renamed)", "Resources"]
    assert template.sections.get(pk=section.pk).questions.count() == 1


def test_a_cycle_edited_in_the_admin_refuses_an_office_without_the_designation_and_saves_nothing(world, client):
    cycle = world.cycle()
    client.force_login(world.admin)
    url = reverse("admin:assessments_assessmentcycle_change", args=[cycle.pk])
    data = change_form_as_shown(client.get(url))
    data["collection_suspense"] = "2027-03-22"

    saved = client.post(url, data)

    assert saved.status_code == 302, saved.context and saved.context["errors"]
    assert AssessmentCycle.objects.get(pk=cycle.pk).collection_suspense == datetime.date(2027, 3, 22)
    data |= {"collection_suspense": "2027-03-29", "policy_office": str(world.orgs["EUCOM"].pk)}
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert "is not the designated policy office" in " ".join(refused.context["adminform"].form.errors["policy_office"])
    stored = AssessmentCycle.objects.get(pk=cycle.pk)
    assert (stored.collection_suspense, stored.policy_office) == (datetime.date(2027, 3, 22), world.orgs["USD(P)"])


def test_cycle_update_refuses_a_cycle_past_its_setup(world):
    from assessments.services import cycle_update
    from workflow.exceptions import ActionRefused

    cycle = world.cycle()
    transition_perform(document=cycle, name="start_template", by=world.admin)
    with pytest.raises(ActionRefused, match="while it is set up"):
        cycle_update(cycle=cycle, by=world.admin, collection_suspense=datetime.date(2027, 4, 1))
    assert AssessmentCycle.objects.get(pk=cycle.pk).collection_suspense == datetime.date(2027, 3, 15)
