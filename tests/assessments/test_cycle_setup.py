"""Setting a cycle up in the admin without help: the add form proposes the year, the calendar and
the designated offices; the phase-order error is said once, beside its field; the cycle's page
lists what must hold before the launch, each line with its state and a link to set it right;
the launch and an early joint review are confirmed on a page that says what they will do."""

from __future__ import annotations

import datetime
import html
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from assessments.models import Assessment, AssessmentCycle, CycleState, ProgramAssessment
from assessments.services import cycle_add_plan, cycle_launch
from workflow.exceptions import ActionRefused, InvalidInput
from workflow.models import HistoryEntry, Response, Step
from workflow.selectors import history_of, open_taskers
from workflow.services import tasker_respond

from .conftest import AO, APP, REV
from .helpers import act, answer_everything, launched

pytestmark = pytest.mark.urls("tests.assessments.urls")


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def selected(page: str, name: str) -> str:
    select = page[page.index(f'name="{name}"'):]
    return re.search(r'<option value="([^"]*)"[^>]*selected', select[:select.index("</select>")]).group(1)


def value_of(page: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', page).group(1)


def setup_form(**overrides) -> dict:
    data = {"fiscal_year": "2028", "template_suspense": "2027-11-01", "collection_suspense": "2028-03-15",
            "joint_review_suspense": "2028-05-01", "evaluation_suspense": "2028-06-30"}
    data.update(overrides)
    return data


def test_a_new_cycle_proposes_the_next_year_its_calendar_a_year_on_and_the_designated_offices(world, client):
    world.cycle()  # FY2027: template 1 Dec 2026, collection 15 Mar 2027, joint review 3 May, evaluation 30 Jun
    client.force_login(world.admin)
    page = html.unescape(client.get(reverse("admin:assessments_assessmentcycle_add")).content.decode())
    assert value_of(page, "fiscal_year") == "2028"
    # A year on, each on a working day (1 Dec 2027 is a Wednesday; 15 Mar 2028 a Wednesday;
    # 3 May 2028 a Wednesday; 30 Jun 2028 a Friday).
    assert [value_of(page, name) for name in ("template_suspense", "collection_suspense", "joint_review_suspense",
                                              "evaluation_suspense")] == [
        "2027-12-01", "2028-03-15", "2028-05-03", "2028-06-30"]
    assert selected(page, "owner") == str(world.orgs["J5"].pk)
    assert selected(page, "policy_office") == str(world.orgs["USD(P)"].pk)
    assert selected(page, "program_coordinator") == str(world.orgs["PA&E"].pk)
    assert "the FY2027 cycle's calendar, a year later" in page


def test_without_an_earlier_cycle_the_calendar_starts_from_today(world, client):
    client.force_login(world.admin)
    page = client.get(reverse("admin:assessments_assessmentcycle_add")).content.decode()
    assert value_of(page, "fiscal_year") == "2027"  # today is 5 Oct 2026: fiscal year 2027
    assert value_of(page, "template_suspense") == "2026-11-04"  # 30 days on, a Wednesday
    assert "a calendar from today" in page


def test_suspenses_out_of_order_are_refused_once_beside_the_field_and_nothing_is_saved(world, client):
    client.force_login(world.admin)
    data = setup_form(owner=world.orgs["J5"].pk, policy_office=world.orgs["USD(P)"].pk,
                      collection_suspense="2027-10-15")
    response = client.post(reverse("admin:assessments_assessmentcycle_add"), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("the phase suspenses must follow one another") == 1
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["collection_suspense"]
    assert errors["collection_suspense"] == [
        "This suspense comes before the template suspense (01 Nov 2027); the phase suspenses must follow one "
        "another: template, collection, joint review, evaluation."]
    assert value_of(page, "collection_suspense") == "2027-10-15"  # as typed
    assert not AssessmentCycle.objects.exists()


def test_a_saved_cycle_opens_on_its_page_with_the_checklist(world, client):
    client.force_login(world.admin)
    response = client.post(reverse("admin:assessments_assessmentcycle_add"), setup_form(
        owner=world.orgs["J5"].pk, policy_office=world.orgs["USD(P)"].pk, program_coordinator=world.orgs["PA&E"].pk))
    cycle = AssessmentCycle.objects.get()
    assert response.url == reverse("admin:assessments_assessmentcycle_change", args=[cycle.pk])
    assert messages_of(response) == [f"The {cycle} is set up. Its checklist shows what must hold before it launches."]


def checklist(client, cycle) -> list[str]:
    page = html.unescape(client.get(reverse("admin:assessments_assessmentcycle_change", args=[cycle.pk])).content
                         .decode())
    block = page[page.index('id="cycle-checklist"'):]
    return [re.sub(r"<[^>]+>", "", item).strip() for item in
            re.findall(r"<li[^>]*>(.*?)</li>", block[:block.index("</ul>")], re.S)]


def test_the_checklist_shows_each_condition_of_the_launch_and_who_holds_it_up(world, client):
    world.approved_plan("EUCOM")
    cycle = world.cycle()
    client.force_login(world.admin)
    lines = checklist(client, cycle)
    assert lines[:4] == [
        "Done: The Joint Staff office holds the designation of the Joint Staff office (J5). J5 holds it.",
        "Done: The policy office holds the designation of the policy office (USD(P)). USD(P) holds it.",
        "Done: The program coordinator holds the designation of the program analysis office (CAPE, formerly PA&E). PA&E holds it.",
        "Done: Phase suspenses set, in order, from today on. Template 01 Dec 2026, collection 15 Mar 2027, joint "
        "review 03 May 2027, evaluation 30 Jun 2027.",
    ]
    assert lines[4].startswith("To do: Template phase started.")
    assert lines[5] == ("To do: Template drafted by the Joint Staff. J5 has not drafted a template yet (it can "
                        "start from last year's). Set it right")
    assert lines[6] == "Done: Approved plans to assess. 1 approved plan and 2 active programs will be assessed."

    act(cycle, "start_template", world.admin)
    from assessments.services import template_create

    template = template_create(cycle=cycle, by=world.user("J5"))
    section = template.sections.create(title="Execution", position=1)
    section.questions.create(text="What changed?")
    act(template, "consult", world.user("J5"))
    page = client.get(reverse("admin:assessments_assessmentcycle_change", args=[cycle.pk])).content.decode()
    waiting = next(line for line in checklist(client, cycle) if "consulted on the template" in line)
    assert waiting.startswith("To do: USD(P) consulted on the template. Waiting for USD(P)'s answer, suspense ")
    assert f'href="{reverse("admin:assessments_template_change", args=[template.pk])}#workflow-taskers"' in page

    tasker_respond(tasker=open_taskers(template, step=Step.CONSULTATION).get(), by=world.user("USD(P)", REV),
                   response=Response.NONCONCUR, rationale="Too thin",
                   comments=[{"category": "critical", "text": "Add a rating."}])
    line = next(line for line in checklist(client, cycle) if "consulted on the template" in line)
    assert "non-concurred: the Joint Staff revises the template and consults again" in line
    act(template, "revise", world.user("J5"), comment="Adds a rating")
    act(template, "consult", world.user("J5"))
    tasker_respond(tasker=open_taskers(template, step=Step.CONSULTATION).get(), by=world.user("USD(P)", REV),
                   response=Response.CONCUR)
    act(template, "approve", world.user("J5", APP))  # the earlier non-concur no longer blocks
    assert all(line.startswith("Done:") for line in checklist(client, cycle)), checklist(client, cycle)


def test_the_cycle_page_with_its_checklist_stays_within_the_query_bound(world, client, django_assert_max_num_queries):
    for owner in ("EUCOM", "CENTCOM", "SOCOM"):
        world.approved_plan(owner)
    cycle = world.cycle()
    world.approved_template(cycle)
    client.force_login(world.admin)
    url = reverse("admin:assessments_assessmentcycle_change", args=[cycle.pk])
    client.get(url)
    with django_assert_max_num_queries(15):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(15):
        page = client.post(reverse("admin:assessments_assessmentcycle_transition", args=[cycle.pk, "launch"]),
                           {"expected_state": "template"})
        assert page.status_code == 200


def test_launch_is_confirmed_on_a_page_that_says_what_it_will_create_and_who_is_tasked(world, client):
    world.approved_plan("EUCOM")
    world.approved_plan("DA", support=True)
    cycle = world.cycle()
    world.approved_template(cycle)
    client.force_login(world.admin)
    url = reverse("admin:assessments_assessmentcycle_transition", args=[cycle.pk, "launch"])
    page = client.post(url, {"expected_state": "template"})
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.content.decode()))
    assert ("4 assessments will be created: 1 of campaign plan, 1 of campaign support plan and 2 of security "
            "cooperation programs.") in text
    assert "Campaign plan of EUCOM" in text and "Campaign support plan of DA" in text
    assert "Foreign Military Sales" in text and "International Military Education and Training" in text
    assert "Each is due on 15 Mar 2027" in text
    assert " DA 1 EUCOM 1 USD(P) 2 " in text  # who gets a tasker, how many
    assert AssessmentCycle.objects.get(pk=cycle.pk).state == CycleState.TEMPLATE  # nothing done yet
    assert "Launch: create 4 assessments" in text

    client.post(url, {"expected_state": "template", "confirmed": "1"})
    assert AssessmentCycle.objects.get(pk=cycle.pk).state != CycleState.TEMPLATE


def started_collection(world):
    world.approved_plan("EUCOM")
    world.approved_plan("CENTCOM")
    cycle = launched(world, world.cycle())
    eucom = Assessment.objects.get(owner=world.orgs["EUCOM"])
    answer_everything(eucom, world.user("EUCOM"))
    act(eucom, "submit", world.user("EUCOM"))
    return cycle


def test_starting_the_joint_review_with_assessments_outstanding_needs_their_number_and_is_recorded(world):
    cycle = started_collection(world)
    outstanding = "3 assessments (CENTCOM 1, USD(P) 2) are still outstanding."
    with pytest.raises(InvalidInput) as refused:
        act(cycle, "start_joint_review", world.admin)
    assert refused.value.reasons[0].startswith(outstanding)
    assert "outstanding_confirmed" in refused.value.field_errors
    with pytest.raises(InvalidInput):
        act(cycle, "start_joint_review", world.admin, outstanding_confirmed=2)  # not what is outstanding
    assert AssessmentCycle.objects.get(pk=cycle.pk).state == CycleState.COLLECTION
    cycle = act(cycle, "start_joint_review", world.admin, outstanding_confirmed=3)
    assert cycle.state == CycleState.JOINT_REVIEW
    entry = history_of(cycle).get(action="outstanding_confirmed")
    assert (entry.description, entry.actor) == (
        "Joint review started with 3 assessments (CENTCOM 1, USD(P) 2) outstanding, as confirmed", world.admin)


def test_the_admin_asks_to_confirm_how_many_are_outstanding_before_the_joint_review(world, client):
    cycle = started_collection(world)
    client.force_login(world.admin)
    change = reverse("admin:assessments_assessmentcycle_change", args=[cycle.pk])
    assert "Outstanding (not submitted): CENTCOM 1, USD(P) 2." in client.get(change).content.decode()
    url = reverse("admin:assessments_assessmentcycle_transition", args=[cycle.pk, "start_joint_review"])
    page = client.post(url, {"expected_state": "collection"}).content.decode()
    assert "3 assessments are not submitted yet" in page
    assert 'name="outstanding_confirmed" value="3"' in page
    assert AssessmentCycle.objects.get(pk=cycle.pk).state == CycleState.COLLECTION
    response = client.post(url, {"expected_state": "collection", "confirmed": "1", "outstanding_confirmed": "3"})
    assert "Done: Start the joint review. The assessment cycle is now in joint review." in messages_of(response)
    # A number that no longer holds (another assessment came in meanwhile) is refused, with the new count.
    assert HistoryEntry.objects.filter(action="outstanding_confirmed").count() == 1


def test_a_stale_confirmation_is_refused_with_the_number_outstanding_now(world, client):
    cycle = started_collection(world)
    client.force_login(world.admin)
    centcom = Assessment.objects.get(owner=world.orgs["CENTCOM"])
    answer_everything(centcom, world.user("CENTCOM"))
    act(centcom, "submit", world.user("CENTCOM"))
    url = reverse("admin:assessments_assessmentcycle_transition", args=[cycle.pk, "start_joint_review"])
    response = client.post(url, {"expected_state": "collection", "confirmed": "1", "outstanding_confirmed": "3"})
    assert any(m.startswith("2 assessments (USD(P) 2) are still outstanding.") for m in messages_of(response))
    assert AssessmentCycle.objects.get(pk=cycle.pk).state == CycleState.COLLECTION


def test_while_the_launch_runs_no_plan_is_offered_for_adding(world, client):
    world.approved_plan("EUCOM")
    cycle = world.cycle()
    world.approved_template(cycle)
    cycle = act(cycle, "launch", world.admin)  # the launch task has not run yet
    assert cycle.launch_in_progress
    client.force_login(world.admin)
    page = client.get(reverse("admin:assessments_assessmentcycle_change", args=[cycle.pk])).content.decode()
    assert "Add them to the cycle" not in page and "no assessment yet" not in page
    with pytest.raises(ActionRefused, match="Plans are added once the launch has finished"):
        cycle_add_plan(cycle=cycle, plan=world.approved_plan("SOCOM"), by=world.admin)
    cycle_launch(cycle=cycle, by=world.admin)
    assert Assessment.objects.filter(cycle=cycle).count() == 2  # the launch assessed both
    late = world.approved_plan("CENTCOM")
    page = client.get(reverse("admin:assessments_assessmentcycle_change", args=[cycle.pk])).content.decode()
    assert "1 plan approved since the launch\n           has no assessment yet." in page
    assert ProgramAssessment.objects.filter(cycle=cycle).count() == 2 and late.pk


@pytest.mark.parametrize("role", [AO])
def test_only_the_cycle_administrator_reaches_the_confirmation(world, client, role):
    world.approved_plan("EUCOM")
    cycle = world.cycle()
    world.approved_template(cycle)
    client.force_login(world.user("J5", role))
    url = reverse("admin:assessments_assessmentcycle_transition", args=[cycle.pk, "launch"])
    response = client.post(url, {"expected_state": "template", "confirmed": "1"})
    assert AssessmentCycle.objects.get(pk=cycle.pk).state == CycleState.TEMPLATE
    assert any("Only an administrator of the assessment cycle" in m for m in messages_of(response))


def test_the_proposal_falls_back_to_today_when_last_years_calendar_is_past(world):
    from assessments.selectors import cycle_setup_proposal
    from assessments.services import cycle_create

    cycle_create(by=world.admin, fiscal_year=2024, owner=world.orgs["J5"], policy_office=world.orgs["USD(P)"],
                 template_suspense=datetime.date(2023, 11, 1), collection_suspense=datetime.date(2024, 3, 15),
                 joint_review_suspense=datetime.date(2024, 5, 1), evaluation_suspense=datetime.date(2024, 6, 28))
    proposal = cycle_setup_proposal(today=datetime.date(2026, 10, 5))
    assert proposal["fiscal_year"] == 2027  # the current fiscal year: those in between were never run
    assert proposal["template_suspense"] == datetime.date(2026, 11, 4)
    assert proposal["basis"] == "a calendar from today"
