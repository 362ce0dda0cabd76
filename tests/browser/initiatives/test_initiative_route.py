"""An initiative's whole route and its evaluation's, clicked through the admin pages by the roles
that make them: EUCOM's action officer writes the design with its monitoring plan and submits it,
EUCOM's approver (the commander) concurs from My work, DSCA's approver approves it from the start
page's taskers; EUCOM's action officer records a monitoring entry (a period not yet ended is
refused beside its field). DSCA's action officer writes the evaluation and sends it to EUCOM,
whose reviewer concurs; DSCA sends it to USD(P), whose approver approves it."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from initiatives.models import (
    EvaluationState,
    Initiative,
    InitiativeEvaluation,
    InitiativeState,
    MonitoringEntry,
)
from organizations.models import Role
from workflow.models import Step
from workflow.selectors import taskers_of

AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER
TITLE = "Black Sea coastal radar (browser)"
EVALUATION = "Black Sea coastal radar: mid-term evaluation (browser)"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def state_of(page):
    return page.locator("#workflow-state .wf-state")


def click_transition(page, label):
    button = page.locator("#workflow-state").get_by_role("button", name=label, exact=True)
    expect(button).to_be_visible()
    button.click()


def open_from_start_page(page, title):
    line = page.locator("#my-taskers tr", has_text=title)
    expect(line).to_be_visible()
    line.get_by_role("link", name=title).click()
    expect(page.locator("#workflow-state")).to_be_visible()


def open_from_my_work(page, title):
    page.locator("#my-work-link").click()
    row = page.locator("#my-work tbody tr", has_text=title)
    expect(row.first).to_be_visible()
    row.first.get_by_role("link", name=title).first.click()
    expect(page.locator("#workflow-state")).to_be_visible()


def test_an_initiative_from_design_to_monitoring_and_its_evaluation_through_the_pages(browser, world, person):
    planner = person(world.user("EUCOM", AO))

    # 1. EUCOM's action officer writes the design and its monitoring plan, and submits it.
    page = browser.sign_in(planner)
    page.locator("tr.model-initiative").get_by_role("link").first.click()
    page.get_by_role("link", name="Add security cooperation initiative").click()
    page.fill("#id_title", TITLE)
    page.select_option("#id_objective", value=str(world.objective.pk))
    page.select_option("#id_partner", value=str(world.partner.pk))
    page.select_option("#id_program", value=str(world.program.pk))
    page.fill("#id_start_fiscal_year", "2027")
    page.fill("#id_end_fiscal_year", "2026")  # out of order: refused beside the field, nothing lost
    page.fill("#id_estimated_cost", "2500000")
    page.fill("#id_description", "Two coastal radar sites and operator training (training data).")
    page.fill("#id_initial_assessment", "The partner sees 40 km off its coast; no radar operators (training data).")
    page.fill("#id_theory_of_change", "Radar cueing lets patrols find vessels they miss today (training data).")
    page.locator("#indicators-group .add-row a").click()
    page.fill("#id_indicators-0-name", "Radar operators certified")
    page.select_option("#id_indicators-0-kind", value="outcome")
    page.fill("#id_indicators-0-unit", "operators")
    page.fill("#id_indicators-0-baseline_value", "0")
    page.fill("#id_indicators-0-baseline_on", "2026-09-30")
    page.fill("#id_indicators-0-target_value", "12")
    page.fill("#id_indicators-0-frequency_months", "3")
    page.click("input[name=_continue]")
    expect(page.locator(".field-end_fiscal_year .errorlist")).to_contain_text("comes before the first (FY 2027)")
    expect(page.locator("#id_indicators-0-name")).to_have_value("Radar operators certified")
    page.fill("#id_end_fiscal_year", "2029")
    browser.step("design-filled")
    page.click("input[name=_continue]")
    expect(page.locator("ul.messagelist")).to_contain_text("was added successfully")
    expect(state_of(page)).to_have_text("Draft")
    click_transition(page, "Submit for the command's concurrence")
    expect(state_of(page)).to_have_text("Awaiting the command's concurrence")
    browser.step("submitted")

    # 2. EUCOM's approver finds it in My work and concurs.
    page = browser.sign_in(person(world.user("EUCOM", APP)))
    open_from_my_work(page, TITLE)
    click_transition(page, "Concur and send to the administering office")
    expect(state_of(page)).to_have_text("Awaiting the administering office's approval")
    expect(page.locator("#workflow-taskers table")).to_contain_text("DSCA")
    browser.step("concurred")

    # 3. DSCA's approver, tasked as the program's administering office, approves the design.
    page = browser.sign_in(person(world.user("DSCA", APP)))
    open_from_start_page(page, TITLE)
    click_transition(page, "Approve the design")
    expect(state_of(page)).to_have_text("Approved (being monitored)")
    expect(page.locator("#workflow-history")).to_contain_text("dsca_approver for DSCA")
    browser.step("approved")
    initiative = Initiative.objects.get(title=TITLE)
    assert initiative.state == InitiativeState.APPROVED
    assert taskers_of(initiative, step=Step.COMPLETION).get().organization.acronym == "EUCOM"  # monitoring due

    # 4. EUCOM's action officer records a monitoring entry from the initiative's page.
    page = browser.sign_in(planner)
    page.goto(reverse("admin:initiatives_initiative_change", args=[initiative.pk]))
    page.locator("#record-monitoring").click()
    page.select_option("#id_indicator", label="Radar operators certified (operators)")
    page.fill("#id_period_end", (datetime.date.today() + datetime.timedelta(days=40)).isoformat())
    page.fill("#id_value", "3")
    page.get_by_role("button", name="Record the entry").click()
    expect(page.locator(".errorlist")).to_contain_text("has not ended yet")
    page.fill("#id_period_end", "2026-10-31")
    page.fill("#id_note", "Three operators certified (training data).")
    page.get_by_role("button", name="Record the entry").click()
    expect(page.locator("ul.messagelist")).to_contain_text("Monitoring entry recorded.")
    expect(page.locator("#monitoring-entries")).to_contain_text("2026-10-31")
    browser.step("monitoring-recorded")
    assert MonitoringEntry.objects.get(indicator__initiative=initiative).value == 3

    # 5. DSCA's action officer writes the evaluation and sends it to EUCOM for coordination.
    dsca_officer = person(world.user("DSCA", AO))
    page = browser.sign_in(dsca_officer)
    page.goto(reverse("admin:initiatives_initiativeevaluation_add"))
    page.fill("#id_title", EVALUATION)
    page.select_option("#id_initiative", value=str(initiative.pk))
    page.select_option("#id_evaluation_type", value="midterm")
    page.fill("#id_period_start", "2026-10-01")
    page.fill("#id_period_end", "2026-10-31")
    page.fill("#id_evaluator", "DSCA assessment, monitoring and evaluation office (training)")
    page.fill("#id_findings", "Operators certified ahead of plan (training data).")
    page.fill("#id_recommendations", "Fund the second site (training data).")
    page.select_option("#id_rating", value="met")
    page.click("input[name=_continue]")
    expect(page.locator("ul.messagelist")).to_contain_text("was added successfully")
    click_transition(page, "Send to the command for coordination")
    expect(state_of(page)).to_have_text("In coordination with the command")
    browser.step("evaluation-sent")

    # 6. EUCOM's reviewer concurs with the findings.
    page = browser.sign_in(person(world.user("EUCOM", REV)))
    open_from_start_page(page, EVALUATION)
    evaluation = InitiativeEvaluation.objects.get(title=EVALUATION)
    tasker = taskers_of(evaluation, step=Step.CONSULTATION).get()
    form = page.locator(f"#respond-{tasker.pk}")
    form.locator("select[name=response]").select_option("concur")
    form.locator("textarea[name=rationale]").fill("The findings match our reporting (training data).")
    form.get_by_role("button", name="Record answer").click()
    expect(page.locator("ul.messagelist")).to_contain_text("Answer recorded for EUCOM.")
    browser.step("evaluation-coordinated")

    # 7. DSCA sends it to USD(P); USD(P)'s approver approves it.
    page = browser.sign_in(dsca_officer)
    page.goto(reverse("admin:initiatives_initiativeevaluation_change", args=[evaluation.pk]))
    click_transition(page, "Send to USD(P) for approval")
    expect(state_of(page)).to_have_text("Awaiting USD(P)'s approval")
    page = browser.sign_in(person(world.user("USD(P)", APP)))
    open_from_start_page(page, EVALUATION)
    click_transition(page, "Approve")
    expect(state_of(page)).to_have_text("Approved")
    browser.step("evaluation-approved")
    assert InitiativeEvaluation.objects.get(pk=evaluation.pk).state == EvaluationState.APPROVED
