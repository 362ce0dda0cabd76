"""The admin is thin: its buttons perform transitions through the engine, refusals come back
with their reasons, and a launch shows a progress bar that refreshes itself."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from assessments.models import AssessmentCycle, CycleState

from .conftest import APP

pytestmark = pytest.mark.urls("tests.assessments.urls")



def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_cycle_page_lists_transitions_with_the_reasons_they_are_unavailable(world, client):
    cycle = world.cycle()
    client.force_login(world.admin)
    response = client.get(reverse("admin:assessments_assessmentcycle_change", args=[cycle.pk]))
    assert response.status_code == 200
    assert b'value="start_template">Start the template</button>' in response.content
    assert "Not possible while the assessment cycle is set up." in response.content.decode()


def test_a_refused_transition_is_shown_as_messages_with_its_reasons(world, client):
    cycle = world.cycle()
    client.force_login(world.user("J5", APP))
    response = client.post(reverse("admin:assessments_assessmentcycle_transition", args=[cycle.pk, "start_template"]),
                           {"expected_state": "setup"})
    # The cycle's page again (not a redirect), with the reasons above the form.
    assert response.status_code == 200
    assert any("Only an administrator of the assessment cycle" in m for m in messages_of(response))
    assert "Only an administrator of the assessment cycle" in response.content.decode()
    assert AssessmentCycle.objects.get(pk=cycle.pk).state == CycleState.SETUP


def test_an_administrator_advances_the_cycle_with_a_button(world, client):
    cycle = world.cycle()
    client.force_login(world.admin)
    response = client.post(reverse("admin:assessments_assessmentcycle_transition", args=[cycle.pk, "start_template"]),
                           {"expected_state": "setup"})
    assert response.status_code == 302
    assert AssessmentCycle.objects.get(pk=cycle.pk).state == CycleState.TEMPLATE


def test_a_stale_button_is_a_conflict_and_changes_nothing(world, client):
    cycle = world.cycle()
    client.force_login(world.admin)
    url = reverse("admin:assessments_assessmentcycle_transition", args=[cycle.pk, "start_template"])
    client.post(url, {"expected_state": "setup"})
    response = client.post(url, {"expected_state": "setup"})
    assert any("Someone else changed this assessment cycle" in m for m in messages_of(response))


def test_a_launch_in_progress_shows_a_progress_bar_that_refreshes(world, client):
    world.approved_plan("EUCOM")
    cycle = world.cycle()
    world.approved_template(cycle)
    from workflow.services import transition_perform

    transition_perform(document=AssessmentCycle.objects.get(pk=cycle.pk), name="launch", by=world.admin)
    AssessmentCycle.objects.filter(pk=cycle.pk).update(launch_done=1)  # the task is part way
    client.force_login(world.admin)
    for url in (reverse("admin:assessments_assessmentcycle_changelist"),
                reverse("admin:assessments_assessmentcycle_change", args=[cycle.pk])):
        content = client.get(url).content.decode()
        assert '<progress value="1" max="3">' in content
        assert '<meta http-equiv="refresh" content="3">' in content


def test_only_administrators_may_add_a_cycle_in_the_admin(world, client):
    client.force_login(world.user("J5", APP))
    assert client.get(reverse("admin:assessments_assessmentcycle_add")).status_code == 403


def test_every_assessment_admin_page_opens_for_an_administrator(world, client):
    from assessments.models import Assessment, Program, ProgramAssessment, Template, TemplateSection

    from .helpers import launched

    world.approved_plan("EUCOM")
    cycle = launched(world, world.cycle())
    client.force_login(world.admin)
    documents = [cycle, Template.objects.get(), TemplateSection.objects.get(), Assessment.objects.get(),
                 ProgramAssessment.objects.first(), Program.objects.first()]
    for document in documents:
        meta = document._meta
        for url in (reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"),
                    reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[document.pk])):
            assert client.get(url).status_code == 200, url
    content = client.get(reverse("admin:assessments_assessment_change",
                                 args=[Assessment.objects.get().pk])).content.decode()
    assert 'value="Start"' not in content  # the administrator is not EUCOM
    assert "Only the owning organization may do this" in content
    assert "Execution of the GEF" in client.get(reverse("admin:assessments_template_change",
                                                        args=[Template.objects.get().pk])).content.decode()


def test_a_template_version_is_refused_outside_the_template_phase_with_the_reason(world, client):
    cycle = world.cycle()
    client.force_login(world.user("J5", APP))
    response = client.post(reverse("admin:assessments_template_add"), {
        "cycle": cycle.pk, "title": "Draft", "instructions": "",
        "sections-TOTAL_FORMS": 0, "sections-INITIAL_FORMS": 0})
    assert response.status_code == 200
    assert "templates are drafted in the template phase" in response.content.decode()
