"""A workforce readiness report's whole route, clicked through the admin pages by the roles the
directive names: DSCA's action officer writes it, DSCA's approver submits it to USD(P&R), whose
reviewer returns it with a reason, DSCA revises and resubmits, and USD(P&R)'s approver, finding
it among its taskers on the start page, accepts it; the report then carries the readiness of
every SCO as of the period's end, exportable as CSV with its documented columns."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from organizations.models import Role
from workforce.models import ReportState, WorkforceReadinessReport

AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER
TITLE = "SC workforce readiness, FY26 Q4 (browser)"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def state_of(page):
    return page.locator("#workflow-state .wf-state")


def press(page, name: str, comment: str | None = None):
    form = page.locator("#workflow-state form", has=page.get_by_role("button", name=name, exact=True))
    if comment is not None:
        form.locator("textarea[name=comment]").fill(comment)
    confirm = form.get_by_role("checkbox", name=re.compile(rf"^Yes, {re.escape(name.lower())}"))
    if confirm.count():  # a destructive step: ticked "Yes, …" first
        confirm.check()
    form.get_by_role("button", name=name, exact=True).click()


def open_from_start_page(page):
    page.goto(reverse("admin:index"))
    line = page.locator("#my-taskers tr", has_text=TITLE)
    expect(line).to_be_visible()
    line.get_by_role("link", name=TITLE).click()
    expect(page.locator("#workflow-state")).to_be_visible()


def test_a_readiness_report_from_dsca_to_usdpr_acceptance_through_the_pages(browser, world, person):
    # 1. DSCA's action officer writes the report; a period ending before it starts is refused beside the field.
    page = browser.sign_in(person(world.user("DSCA", AO)))
    page.locator("tr.model-workforcereadinessreport").get_by_role("link").first.click()
    page.get_by_role("link", name="Add workforce readiness report").click()
    page.fill("#id_title", TITLE)
    page.fill("#id_period_start", "2026-07-01")
    page.fill("#id_period_end", "2026-06-30")
    page.fill("#id_assessment", "Most billets filled by certified people (training data).")
    page.click("input[name=_continue]")
    expect(page.locator(".field-period_end .errorlist")).to_contain_text("The period ends after it starts")
    expect(page.locator("#id_title")).to_have_value(TITLE)  # what was typed is kept
    assert not WorkforceReadinessReport.objects.exists()
    page.fill("#id_period_end", "2026-09-30")
    page.click("input[name=_continue]")
    expect(page.locator("ul.messagelist")).to_contain_text("was added successfully")
    expect(state_of(page)).to_have_text("Draft")
    # Only DSCA's approver submits: the action officer sees why not.
    expect(page.locator("#workflow-state .wf-unavailable")).to_contain_text("Submit to USD(P&R)")
    browser.step("draft")

    # 2. DSCA's approver submits it; USD(P&R) is tasked.
    page = browser.sign_in(person(world.user("DSCA", APP)))
    report = WorkforceReadinessReport.objects.get(title=TITLE)
    page.goto(reverse("admin:workforce_workforcereadinessreport_change", args=[report.pk]))
    press(page, "Submit to USD(P&R)")
    expect(state_of(page)).to_have_text("Submitted to USD(P&R)")
    expect(page.locator("#workflow-taskers table")).to_contain_text("USD(P&R)")
    browser.step("submitted")

    # 3. USD(P&R)'s reviewer finds it among the office's taskers and returns it with the reason.
    page = browser.sign_in(person(world.user("USD(P&R)", REV)))
    open_from_start_page(page)
    press(page, "Return for rework", comment="Give the plan to close the language gaps.")
    expect(state_of(page)).to_have_text("Returned for rework")
    browser.step("returned")

    # 4. DSCA revises the assessment and resubmits.
    page = browser.sign_in(person(world.user("DSCA", AO)))
    page.goto(reverse("admin:workforce_workforcereadinessreport_change", args=[report.pk]))
    expect(page.locator(".field-return_reason")).to_contain_text("Give the plan to close the language gaps.")
    page.fill("#id_assessment", "Two officers start host-language training in January (training data).")
    page.click("input[name=_continue]")
    expect(page.locator("ul.messagelist")).to_contain_text("was changed successfully")
    page = browser.sign_in(person(world.user("DSCA", APP)))
    page.goto(reverse("admin:workforce_workforcereadinessreport_change", args=[report.pk]))
    press(page, "Submit to USD(P&R)")
    expect(state_of(page)).to_have_text("Submitted to USD(P&R)")

    # 5. USD(P&R)'s approver accepts it from the start page; the readiness is shown and exported.
    page = browser.sign_in(person(world.user("USD(P&R)", APP)))
    open_from_start_page(page)
    press(page, "Accept", comment="Accepted for the readiness reporting (training data).")
    expect(state_of(page)).to_have_text("Accepted by USD(P&R)")
    expect(page.locator("#workflow-history")).to_contain_text("Accept — usdpr_approver for USD(P&R)")
    table = page.locator("table.wf-readiness")
    expect(table).to_contain_text("Office of Defense Cooperation Turkey")
    browser.step("accepted")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export as CSV").click()
    with open(download.value.path(), encoding="utf-8") as file:
        text = file.read()
    assert "billets_authorized" in text and "ODC-TURKEY" in text and "Columns" in text
    report.refresh_from_db()
    assert report.state == ReportState.ACCEPTED and report.as_of.isoformat() == "2026-09-30"
