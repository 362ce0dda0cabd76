"""Part of an assessment cycle through the admin pages: the administrator launches the cycle
(the template is approved) and watches the launch fill its progress bar and open collection; the command's
action officer finds the assessment on the start page, starts it and submits it."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from assessments.models import (
    DEFAULT_SCALE,
    Assessment,
    AssessmentState,
    Question,
    QuestionKind,
    TemplateSection,
)
from assessments.services import cycle_create, template_create
from organizations.models import Role
from planning.models import PlanState
from tests.assessments.helpers import answer_everything
from workflow.models import Response, Step
from workflow.selectors import open_taskers
from workflow.services import tasker_respond, transition_perform

from .conftest import PASSWORD

AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def approved_plan(world):
    """A campaign plan taken through its whole route by the services (the first test clicks it)."""
    ao = world.user("EUCOM", AO)
    plan = transition_perform(document=world.ready_plan(supporting=("DON",)), name="submit", by=ao)
    for tasker in open_taskers(plan, step=Step.COORDINATION):
        tasker_respond(tasker=tasker, by=world.user(tasker.organization.acronym, REV), response=Response.CONCUR)
    plan = transition_perform(document=plan, name="send_to_review", by=ao)
    for tasker in open_taskers(plan, step=Step.REVIEW):
        tasker_respond(tasker=tasker, by=world.user(tasker.organization.acronym, REV), response=Response.CONCUR)
    plan = transition_perform(document=plan, name="approve", by=world.user("USD(P)", APP))
    assert plan.state == PlanState.APPROVED
    return plan


def cycle_with_approved_template(world, administrator):
    """Next fiscal year's cycle, its template drafted by J5, consulted with USD(P) and approved."""
    today = timezone.localdate()
    days = datetime.timedelta
    cycle = cycle_create(by=administrator, fiscal_year=today.year + 1, owner=world.orgs["J5"],
                         policy_office=world.orgs["USD(P)"], template_suspense=today + days(14),
                         collection_suspense=today + days(90), joint_review_suspense=today + days(150),
                         evaluation_suspense=today + days(210))
    cycle = transition_perform(document=cycle, name="start_template", by=administrator)
    template = template_create(cycle=cycle, by=world.user("J5", AO))
    section = TemplateSection.objects.create(template=template, title="Execution of the GEF", position=1)
    Question.objects.create(section=section, position=1, text="How did the plan advance the GEF end states?")
    Question.objects.create(section=section, position=2, kind=QuestionKind.RATING, scale=DEFAULT_SCALE,
                            text="Overall progress toward the plan's objectives")
    template = transition_perform(document=template, name="consult", by=world.user("J5", AO))
    tasker_respond(tasker=open_taskers(template, step=Step.CONSULTATION).get(), by=world.user("USD(P)", REV),
                   response=Response.CONCUR)
    template = type(template).objects.get(pk=template.pk)
    transition_perform(document=template, name="approve", by=world.user("J5", APP))
    return type(cycle).objects.get(pk=cycle.pk)


def workflow_box(page):
    """The engine's workflow panel, as on a plan's page."""
    return page.locator("#workflow-state")


def state_of(page):
    return page.locator("#workflow-state .wf-state")


def test_an_administrator_launches_the_cycle_and_a_command_submits_its_assessment(browser, world, person):
    plan = approved_plan(world)
    administrator = get_user_model().objects.create_superuser(username="administrator", password=PASSWORD)
    cycle = cycle_with_approved_template(world, administrator)
    owner = person(world.user("EUCOM", AO))

    # 1. The administrator opens the cycle from the list and launches it.
    page = browser.sign_in(administrator)
    expect(page.locator("#cycle-progress")).to_contain_text(f"{cycle} — Drafting the template")
    page.locator("tr.model-assessmentcycle").get_by_role("link", name="Assessment cycles").click()
    page.locator("#result_list").get_by_role("link", name=str(cycle)).click()
    expect(state_of(page)).to_have_text("Drafting the template")
    expect(workflow_box(page)).to_contain_text("Launch freezes the template")
    browser.step("cycle-template")
    workflow_box(page).get_by_role("button", name="Launch").click()
    expect(page.locator("ul.messagelist")).to_contain_text("Done: Launch. The assessment cycle is now launching.")
    # The launch task ran once the transition committed (eagerly here): the bar is full and the
    # finished launch opened collection by itself.
    launch = page.locator("p", has_text="Launch:")
    expect(launch.locator("progress")).to_have_attribute("value", "1")
    expect(launch.locator("progress")).to_have_attribute("max", "1")
    expect(launch).to_contain_text("1 of 1")
    expect(state_of(page)).to_have_text("Collecting assessments")
    expect(workflow_box(page).get_by_role("button", name="Start the joint review")).to_be_visible()
    expect(workflow_box(page).get_by_role("button", name="Open collection")).to_have_count(0)
    expect(page.locator("#workflow-state .wf-unavailable")).to_contain_text("Open collection")
    browser.step("cycle-launched")

    # 2. The start page shows the cycle's progress.
    page.goto(reverse("admin:index"))
    expect(page.locator("#cycle-progress")).to_contain_text(f"{cycle} — Collecting assessments")
    expect(page.locator("#cycle-progress")).to_contain_text("Assigned: 1")
    browser.step("cycle-collecting")

    # 3. The command's action officer finds the assessment among the taskers and starts it.
    assessment = Assessment.objects.get(cycle=cycle, plan=plan)
    page = browser.sign_in(owner)
    line = page.locator("#my-taskers tr", has_text=assessment.title)
    expect(line).to_contain_text("EUCOM")
    line.get_by_role("link", name=assessment.title).click()
    expect(state_of(page)).to_have_text("Assigned")
    expect(workflow_box(page).get_by_role("button", name="Submit")).to_have_count(0)
    expect(page.locator("#workflow-state .wf-unavailable")).to_contain_text("Submit")
    workflow_box(page).get_by_role("button", name="Start", exact=True).click()
    expect(page.locator("ul.messagelist")).to_contain_text("now in progress.")
    expect(state_of(page)).to_have_text("In progress")
    browser.step("assessment-started")

    # 4. Submitting before every question is answered is refused with the reasons on the page.
    expect(workflow_box(page)).to_contain_text("Submit")
    reasons = workflow_box(page).locator("ul.wf-unavailable li").all_inner_texts()
    assert any("answer" in r.lower() for r in reasons), reasons

    # The answers are written (the admin shows them read-only; staff answer through the API).
    answer_everything(Assessment.objects.get(pk=assessment.pk), owner)
    page.reload()
    workflow_box(page).get_by_role("button", name="Submit").click()
    expect(page.locator("ul.messagelist")).to_contain_text("now submitted.")
    expect(state_of(page)).to_have_text("Submitted")
    expect(page.locator("#answer_set-group, .inline-group").first).to_contain_text("Largely achieved")
    browser.step("assessment-submitted")
    assert Assessment.objects.get(pk=assessment.pk).state == AssessmentState.SUBMITTED
