"""A whole assessment cycle through the admin pages, from setup to the closed report, using only
what the pages show: the administrator sets the cycle up (the form proposes the year, calendar and
offices) and follows its checklist; J5's action officer drafts the template by section; USD(P)'s
reviewer non-concurs with a critical comment, which J5 adjudicates, revises and consults again
on; USD(P) concurs and J5's approver approves; the administrator launches after reading what the
launch will do; EUCOM's action officer is refused an incomplete submission (what was typed kept),
completes it and submits; J5's approver returns it, EUCOM resubmits and J5 accepts; CENTCOM never
answers; the administrator confirms the joint review with one outstanding; J5 forwards the joint
review, USD(P) evaluates and closes, and the report records CENTCOM's assessment as missing."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from playwright.sync_api import expect

from assessments.models import Assessment, AssessmentCycle, AssessmentState
from organizations.models import Role
from planning.models import PlanState
from workflow.models import Response, Step
from workflow.selectors import open_taskers
from workflow.services import tasker_respond, transition_perform

from .conftest import PASSWORD

AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def approved_plan(world, owner="EUCOM", partners=("PL",)):
    """A campaign plan taken through its whole route by the services (the plan's own browser
    test clicks it)."""
    ao = world.user(owner, AO)
    plan = transition_perform(document=world.ready_plan(owner=owner, partners=partners, supporting=("DON",)),
                              name="submit", by=ao)
    for tasker in open_taskers(plan, step=Step.COORDINATION):
        tasker_respond(tasker=tasker, by=world.user(tasker.organization.acronym, REV), response=Response.CONCUR)
    plan = transition_perform(document=plan, name="send_to_review", by=ao)
    for tasker in open_taskers(plan, step=Step.REVIEW):
        tasker_respond(tasker=tasker, by=world.user(tasker.organization.acronym, REV), response=Response.CONCUR)
    plan = transition_perform(document=plan, name="approve", by=world.user(owner, APP))  # the owning command (Encl. 2, 10.a)
    assert plan.state == PlanState.APPROVED
    return plan


def workflow_box(page):
    """The engine's workflow panel, as on a plan's page."""
    return page.locator("#workflow-state")


def state_of(page):
    return page.locator("#workflow-state .wf-state")


def messages(page):
    return page.locator("ul.messagelist")


def press(page, name: str, comment: str | None = None):
    """A transition button of the workflow panel, with its comment when it takes one."""
    form = workflow_box(page).locator("form", has=page.get_by_role("button", name=name, exact=True))
    if comment is not None:
        form.locator("textarea[name=comment]").fill(comment)
    confirm = form.get_by_role("checkbox", name=re.compile(rf"^Yes, {re.escape(name.lower())}"))
    if confirm.count():  # a destructive step: the person ticks "Yes, …" first
        confirm.check()
    form.get_by_role("button", name=name, exact=True).click()


def open_my_tasker(page, title: str):
    page.goto(reverse("admin:index"))
    page.locator("#my-taskers").get_by_role("link", name=title).first.click()


def open_from_list(page, model_link: str, row: str):
    """From the start page's list of models, the model's list, then the row."""
    page.goto(reverse("admin:index"))
    model = {"Assessment cycles": "assessmentcycle", "Templates": "template", "Assessments": "assessment"}[model_link]
    page.locator(f"tr.model-{model}").first.get_by_role("link", name=model_link, exact=True).click()
    page.locator("#result_list").get_by_role("link", name=row).first.click()


def question(page, text: str):
    return page.locator("#assessment-answers fieldset", has_text=text)


def test_a_whole_cycle_from_setup_to_the_closed_report(browser, world, person):
    approved_plan(world, "EUCOM", ("PL",))
    approved_plan(world, "CENTCOM", ("IL",))
    administrator = person(get_user_model().objects.create_superuser(username="administrator", password=PASSWORD))
    j5_ao, j5_approver = person(world.user("J5", AO)), person(world.user("J5", APP))
    usdp_reviewer, usdp_approver = person(world.user("USD(P)", REV)), person(world.user("USD(P)", APP))
    eucom = person(world.user("EUCOM", AO))
    person(world.user("CENTCOM", AO))  # tasked, never answers

    # 1. The administrator sets the cycle up: the form proposes the year, the calendar and the offices.
    page = browser.sign_in(administrator)
    page.locator("tr.model-assessmentcycle").get_by_role("link", name="Add").click()
    expect(page.locator("#cycle-proposal")).to_contain_text("a calendar from today")
    expect(page.locator("#id_owner option:checked")).to_contain_text("J5")
    expect(page.locator("#id_policy_office option:checked")).to_contain_text("USD(P)")
    fiscal_year = page.locator("#id_fiscal_year").input_value()
    proposed_collection = page.locator("#id_collection_suspense").input_value()
    # Out of order first: refused once, beside the field, with what was typed kept.
    page.fill("#id_collection_suspense", "2020-01-06")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".field-collection_suspense .errorlist")).to_contain_text(
        "the phase suspenses must follow one another")
    expect(page.locator("text=the phase suspenses must follow one another")).to_have_count(1)
    expect(page.locator("#id_collection_suspense")).to_have_value("2020-01-06")
    browser.step("cycle-setup-refused")
    page.fill("#id_collection_suspense", proposed_collection)
    page.get_by_role("button", name="Save", exact=True).click()
    cycle = AssessmentCycle.objects.get(fiscal_year=int(fiscal_year))
    expect(messages(page)).to_contain_text("Its checklist shows what must hold before it launches.")
    checklist = page.locator("#cycle-checklist")
    expect(checklist).to_contain_text("To do: Template phase started.")
    expect(checklist).to_contain_text("Done: Approved plans to assess. 2 approved plans")
    press(page, "Start the template")
    expect(messages(page)).to_contain_text("The assessment cycle is now drafting the template.")
    browser.step("cycle-checklist")

    # 2. J5's action officer drafts the template from the checklist's link, section by section.
    page = browser.sign_in(j5_ao)
    open_from_list(page, "Assessment cycles", str(cycle))
    page.locator("#cycle-checklist li", has_text="Template drafted").get_by_role("link", name="Set it right").click()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(state_of(page)).to_have_text("Draft")
    page.get_by_role("link", name="Add a section").click()
    page.fill("#id_title", "Execution of the GEF")
    page.select_option("#id_question_set", "plans")
    page.select_option("#id_questions-0-kind", "rating")
    page.fill("#id_questions-0-text", "Overall progress toward the plan's objectives")
    page.fill("#id_questions-0-scale", "Not achieved")  # one level: no scale
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator("#questions-0 .errorlist")).to_contain_text("at least two levels")
    expect(page.locator("#id_questions-0-text")).to_have_value("Overall progress toward the plan's objectives")
    page.fill("#id_questions-0-scale", "Not achieved\nPartially achieved\nAchieved")
    page.get_by_role("button", name="Save and continue editing").click()
    page.select_option("#id_questions-1-kind", "narrative")
    page.fill("#id_questions-1-text", "How did the plan's activities advance the GEF end states?")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#template-preview")).to_contain_text(
        "Scale, worst to best: Not achieved → Partially achieved → Achieved")
    press(page, "Consult USD(P)")
    expect(state_of(page)).to_have_text("In consultation with USD(P)")
    browser.step("template-in-consultation")

    # 3. USD(P)'s reviewer finds the consultation among the taskers and non-concurs.
    page = browser.sign_in(usdp_reviewer)
    template_title = f"FY{fiscal_year} assessment template"
    open_my_tasker(page, template_title)
    answer = page.locator("form[id^=respond-]")
    answer.get_by_label("Answer").select_option(Response.NONCONCUR)
    answer.locator(".wf-answer-head").get_by_label("Rationale").fill("The program assessments are not covered.")
    first_comment = answer.get_by_role("group", name="Comment 1", exact=True)
    first_comment.get_by_label("Category").select_option("critical")
    first_comment.get_by_label("Comment").fill("Add a question on sustainment by partners.")
    answer.get_by_role("button", name="Record answer").click()
    expect(messages(page)).to_contain_text("Answer recorded for USD(P)")
    browser.step("template-nonconcur")

    # 4. J5 adjudicates the critical comment, revises, adds the question and consults again.
    page = browser.sign_in(j5_ao)
    open_from_list(page, "Templates", template_title)
    expect(page.locator("#workflow-state .wf-unavailable")).to_contain_text("USD(P) non-concurred")
    matrix = page.locator("#workflow-comments")
    matrix.get_by_label("Decision on comment 1").select_option("accepted")
    matrix.get_by_label("Rationale for comment 1").fill("Sustainment question added.")
    matrix.get_by_role("button", name="Adjudicate comment 1").click()
    expect(messages(page)).to_contain_text("Adjudication of comment 1 recorded.")
    press(page, "Revise", comment="Adds the sustainment question (USD(P)'s critical comment).")
    expect(state_of(page)).to_have_text("Draft")
    page.get_by_role("link", name="Edit the questions of “Execution of the GEF”").click()
    page.select_option("#id_questions-2-kind", "narrative")
    page.fill("#id_questions-2-text", "Which capabilities can the partners sustain without U.S. support?")
    page.get_by_role("button", name="Save", exact=True).click()
    press(page, "Consult USD(P)")
    expect(state_of(page)).to_have_text("In consultation with USD(P)")

    # 5. USD(P) concurs; J5's approver approves.
    page = browser.sign_in(usdp_reviewer)
    open_my_tasker(page, template_title)
    # The new consultation's form: the open tasker's (the first one's non-concur stays on record).
    open_row = page.locator("#workflow-taskers tr[id^=tasker-]", has_text="Open").get_attribute("id")
    answer = page.locator(f"form#respond-{open_row.removeprefix('tasker-')}")
    answer.get_by_label("Answer").select_option(Response.CONCUR)
    answer.get_by_role("button", name="Record answer").click()
    expect(messages(page)).to_contain_text("Answer recorded for USD(P)")
    page = browser.sign_in(j5_approver)
    open_from_list(page, "Templates", template_title)
    expect(page.locator("#workflow-history")).to_contain_text("non-concur")
    press(page, "Approve the template")
    expect(state_of(page)).to_have_text("Approved")

    # 6. The administrator reads the checklist, then what the launch will do, and launches.
    page = browser.sign_in(administrator)
    open_from_list(page, "Assessment cycles", str(cycle))
    expect(page.locator("#cycle-checklist li", has_text="To do")).to_have_count(0)
    press(page, "Launch")
    expect(page.locator("#content-main")).to_contain_text("2 assessments will be created: 2 of campaign plans")
    expect(page.locator("#launch-plans")).to_contain_text("Campaign plan of CENTCOM")
    expect(page.locator("#launch-tasked")).to_contain_text("EUCOM")
    browser.step("launch-confirmation")
    page.get_by_role("button", name="Launch: create 2 assessments").click()
    expect(state_of(page)).to_have_text("Collecting assessments")
    expect(page.get_by_text("Add them to the cycle")).to_have_count(0)

    # 7. EUCOM's action officer: a refused first try keeps what was typed; then complete and submit.
    assessment = Assessment.objects.get(cycle=cycle, owner=world.orgs["EUCOM"])
    page = browser.sign_in(eucom)
    open_my_tasker(page, assessment.title)
    expect(page.locator("#answers-progress")).to_contain_text("0 of 3 required answers given")
    question(page, "Overall progress").get_by_label("Rating").select_option("Partially achieved")
    page.get_by_label("Changes in the strategic environment").fill("A new partner joined (typed once).")
    page.get_by_role("button", name="Save and submit").click()
    expect(question(page, "Overall progress").locator(".errorlist")).to_contain_text("A rating needs a justification.")
    expect(page.get_by_label("Changes in the strategic environment")).to_have_value(
        "A new partner joined (typed once).")
    browser.step("assessment-refused")
    question(page, "Overall progress").get_by_label("Justification").fill("Two of three indicators met.")
    question(page, "advance the GEF").get_by_label("Answer").fill("Exercises with Poland (training data).")
    page.get_by_role("button", name="Save and submit").click()
    expect(messages(page)).to_contain_text("The draft is kept, but it was not submitted")
    expect(question(page, "sustain without").locator(".errorlist")).to_contain_text("Answer “Which capabilities")
    expect(page.locator("#answers-progress")).to_contain_text("2 of 3 required answers given")
    question(page, "sustain without").get_by_label("Answer").fill("Air defense maintenance (training data).")
    page.get_by_label("Recommended changes to guidance").fill("None.")
    page.get_by_role("button", name="Save and submit").click()
    expect(messages(page)).to_contain_text("Submitted: the assessment is now submitted.")
    expect(state_of(page)).to_have_text("Submitted")

    # 8. J5's approver returns it with the reason; EUCOM resubmits; J5 accepts.
    page = browser.sign_in(j5_approver)
    open_from_list(page, "Assessments", assessment.title)
    press(page, "Return for rework", comment="Name the indicators behind the rating.")
    expect(state_of(page)).to_have_text("Returned")
    page = browser.sign_in(eucom)
    open_my_tasker(page, assessment.title)
    expect(workflow_box(page)).to_contain_text("Returned: Name the indicators behind the rating.")
    question(page, "Overall progress").get_by_label("Justification").fill("Indicators 1 and 3 met; 2 not.")
    page.get_by_role("button", name="Save and submit").click()
    expect(state_of(page)).to_have_text("Submitted")
    page = browser.sign_in(j5_approver)
    open_from_list(page, "Assessments", assessment.title)
    press(page, "Accept")
    expect(state_of(page)).to_have_text("Accepted")

    # 9. The administrator starts the joint review, confirming the one assessment outstanding.
    page = browser.sign_in(administrator)
    open_from_list(page, "Assessment cycles", str(cycle))
    expect(page.locator("#cycle-outstanding")).to_contain_text("CENTCOM 1")
    press(page, "Start the joint review")
    expect(page.locator("#outstanding-summary")).to_contain_text("1 assessment is not submitted yet")
    page.get_by_role("button", name="Start the joint review with 1 outstanding").click()
    expect(state_of(page)).to_have_text("In joint review")
    expect(page.locator("#workflow-history")).to_contain_text("Joint review started with 1 assessment (CENTCOM 1)")

    # 10. J5 forwards the joint review; USD(P) evaluates and closes; the report says who is missing.
    page = browser.sign_in(j5_approver)
    open_from_list(page, "Assessment cycles", str(cycle))
    press(page, "Forward the joint review to USD(P)", comment="EUCOM advanced ES-1; CENTCOM did not report.")
    expect(state_of(page)).to_have_text("In evaluation by USD(P)")
    page = browser.sign_in(usdp_reviewer)
    open_from_list(page, "Assessments", assessment.title)
    press(page, "Evaluate")
    expect(state_of(page)).to_have_text("Evaluated")
    page = browser.sign_in(usdp_approver)
    open_from_list(page, "Assessment cycles", str(cycle))
    press(page, "Close with advice to the Secretary", comment="Continue air defense cooperation.")
    expect(state_of(page)).to_have_text("Closed")
    page.get_by_role("link", name="Report", exact=True).first.click()
    expect(page.locator(".wf-report-dated")).to_contain_text("Closed on")
    completion = page.locator("[aria-label='Completion by organization (table)'] table")
    # Organization, assigned, submitted, on time, late, missing, not yet due, accepted, evaluated.
    expect(completion.locator("tr", has_text="CENTCOM").locator("td")).to_have_text(
        ["CENTCOM", "1", "0", "0", "0", "1", "0", "0", "0", "0", "0"])
    expect(completion.locator("tr", has_text="EUCOM").locator("td").nth(8)).to_have_text("1")  # evaluated
    browser.step("report-closed")
    assert Assessment.objects.get(pk=assessment.pk).state == AssessmentState.EVALUATED
