"""My work in a real browser: a coordinator signs in, follows the header's My work link to their
tasker, opens it and finds the answer form first, answers; the plan's owner then finds the
comment to adjudicate in their own My work and adjudicates it from the page it leads to."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from organizations.models import Role
from workflow.services import transition_perform

AO, REV = Role.ACTION_OFFICER, Role.REVIEWER

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_coordinator_answers_from_my_work_and_the_owner_finds_the_comment_to_adjudicate(browser, world, person):
    owner = person(world.user("EUCOM", AO))
    plan = transition_perform(document=world.ready_plan(), name="submit", by=owner)

    # The Navy's coordinator: the header says one tasker waits; My work lists it with its suspense in words.
    page = browser.sign_in(person(world.user("DON", REV)))
    link = page.locator("#my-work-link")
    expect(link).to_contain_text("My work")
    expect(link.locator(".wf-badge")).to_have_text("1 open tasker")
    link.click()
    expect(page.locator("h1")).to_have_text("My work")
    row = page.locator("#my-work tbody tr", has_text=plan.title)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Coordination")
    expect(row).to_contain_text("Answer")
    expect(row).to_contain_text("DON")
    expect(row.locator(".wf-due-words")).to_have_text(re.compile(r"^Due in \d+ working days$"))
    browser.step("navy-my-work")

    # The task page: the decision first, the answer form above the plan's content.
    row.get_by_role("link", name=plan.title).click()
    decision = page.locator("#workflow-state")
    expect(decision.locator("h2").first).to_have_text("Your decision")
    form = decision.locator("form[id^=respond-]")
    expect(form).to_contain_text("Answer for DON (coordination)")
    form_top = form.bounding_box()["y"]
    content_top = page.locator("#campaignplan_form").bounding_box()["y"]
    assert form_top < content_top, f"the answer form ({form_top:.0f} px) is below the plan ({content_top:.0f} px)"
    assert form_top < 900, f"the answer form starts {form_top:.0f} px down the page"
    # The plan's content is folded below the decision, and opens.
    summary = page.locator("#campaignplan_form details summary", has_text="Summary")
    expect(summary).to_be_visible()
    expect(page.locator("#campaignplan_form .field-summary")).not_to_be_visible()
    summary.click()
    expect(page.locator("#campaignplan_form .field-summary")).to_be_visible()
    browser.step("navy-task-page")

    form.locator("select[name=response]").select_option("nonconcur")
    form.locator("textarea[name=rationale]").fill("Naval presence figures conflict with the global force plan.")
    first_comment = form.get_by_role("group", name="Comment 1", exact=True)
    first_comment.get_by_label("Category").select_option("critical")
    first_comment.get_by_label("Section").fill("3.b")
    first_comment.get_by_label("Comment").fill("Remove the carrier presence assumption.")
    form.get_by_role("button", name="Record answer").click()
    expect(page.locator("ul.messagelist")).to_contain_text("Answer recorded for DON.")
    expect(page.locator("#my-work-link .wf-badge")).to_have_count(0)  # nothing else waits for the Navy
    page.locator("#my-work-link").click()
    expect(page.locator("#my-work-empty")).to_have_text("Nothing waits for you now.")
    browser.step("navy-answered")

    # The owner: My work says a comment waits for adjudication, and leads to the matrix.
    page = browser.sign_in(owner)
    page.locator("#my-work-link").click()
    row = page.locator("#my-work tbody tr", has_text=plan.title)
    expect(row).to_contain_text("Adjudicate 1 comment")
    expect(row).to_contain_text("No suspense")
    browser.step("owner-my-work")
    row.get_by_role("link", name=plan.title).click()
    expect(page.locator("#workflow-state")).to_contain_text("1 comment waits for your adjudication")
    matrix_row = page.locator("#workflow-comments tr", has_text="Remove the carrier presence assumption.")
    expect(matrix_row).to_be_visible()
    matrix_row.get_by_label("Decision on comment 1").select_option("accepted")
    matrix_row.get_by_role("button", name="Adjudicate comment 1").click()
    expect(page.locator("ul.messagelist")).to_contain_text("Adjudication of comment 1 recorded.")
    page.locator("#my-work-link").click()
    expect(page.locator("#my-work tbody tr", has_text=plan.title)).to_have_count(0)  # the others still answer
    browser.step("owner-adjudicated")


def test_destructive_steps_are_red_and_need_a_tick_that_works_without_scripts(browser, world, person):
    owner = person(world.user("EUCOM", AO))
    plan = transition_perform(document=world.ready_plan(), name="submit", by=owner)
    page = browser.sign_in(owner)
    page.goto(f"/admin/planning/campaignplan/{plan.pk}/change/")
    form = page.locator("#workflow-state form.wf-destructive")
    button = form.get_by_role("button", name="Withdraw")
    expect(button).to_have_class("button wf-button-danger")
    form.locator("textarea[name=comment]").fill("Overtaken by events")
    button.click()  # not ticked: the browser keeps the form
    assert page.evaluate("() => document.querySelector('#workflow-state form.wf-destructive input[name=confirmed]')"
                         ".validity.valueMissing")
    expect(page.locator("#workflow-state .wf-state")).to_have_text("In coordination")
    form.get_by_label("Yes, withdraw", exact=False).check()
    button.click()
    expect(page.locator("ul.messagelist")).to_contain_text("The campaign plan is now withdrawn.")
    # After it: nothing to do, and no list of refusals on top, only a folded "Why can't I…?".
    expect(page.locator("#workflow-state h2").first).to_have_text("Workflow")
    expect(page.locator("#workflow-state .wf-why-not")).not_to_have_attribute("open", "")
    expect(page.locator("#workflow-state .wf-unavailable")).not_to_be_visible()
