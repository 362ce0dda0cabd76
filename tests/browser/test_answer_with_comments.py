"""A coordinator's non-concurrence as the staff write it, in Chromium: a first try refused by the
engine (no critical comment) keeps every word typed; the answer then goes in with one critical
and two other comments, imported in part from the Navy's comment matrix spreadsheet; the owner
adjudicates from the matrix, critical first, and comes back to the same row each time with the
text typed in the other rows still there."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.urls import reverse
from playwright.sync_api import expect

from organizations.models import Role
from workflow.models import Comment
from workflow.selectors import taskers_of
from workflow.services import transition_perform

AO, REV = Role.ACTION_OFFICER, Role.REVIEWER

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def matrix_xlsx(path) -> None:
    """The Navy's comment matrix, as its staff keep it: a marking line, then the usual columns."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["UNCLASSIFIED // TRAINING DATA"])
    sheet.append(["#", "Organization", "Category", "Page", "Paragraph", "Line", "Comment", "Rationale",
                  "Proposed change"])
    sheet.append([1, "DON", "Administrative", 2, "1", 9, "Spell out BMD at first use.", "Readers outside OSD.",
                  "Ballistic missile defense (BMD)"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    path.write_bytes(buffer.getvalue())


def test_a_coordinator_nonconcurs_with_a_critical_and_two_other_comments_after_a_refused_first_try(
        browser, world, person, tmp_path):
    plan = transition_perform(document=world.ready_plan(), name="submit", by=world.user("EUCOM", AO))
    tasker = taskers_of(plan).get(organization__acronym="DON")
    plan_url = reverse("admin:planning_campaignplan_change", args=[plan.pk])

    # The Navy's reviewer opens the plan: no answer is chosen for them.
    page = browser.sign_in(person(world.user("DON", REV)))
    page.goto(plan_url)
    form = page.locator(f"#respond-{tasker.pk}")
    expect(form.get_by_label("Answer")).to_have_value("")
    form.get_by_label("Answer").select_option("nonconcur")
    form.locator("textarea[name=rationale]").fill("Naval presence figures conflict with the global force plan.")
    first = form.locator(f"#respond-{tasker.pk}-comment-1")
    first.get_by_label("Category").select_option("substantive")
    first.get_by_label("Page").fill("14")
    first.get_by_label("Paragraph").fill("4.a")
    first.get_by_label("Line").fill("2")
    first.get_by_label("Comment").fill("State the partner's sustainment funding.")
    first.get_by_label("Rationale").fill("Directive 4.b asks for it.")
    first.get_by_label("Proposed change").fill("Add a sentence on sustainment funding.")
    browser.step("answer-typed")
    form.get_by_role("button", name="Record answer").click()

    # Refused (a non-concur needs a critical comment): said above the form, everything still there.
    form = page.locator(f"#respond-{tasker.pk}")
    expect(form.locator(".errornote")).to_contain_text("A non-concur needs at least one critical comment.")
    expect(page.locator("ul.messagelist")).to_contain_text("The answer for DON was not recorded.")
    first = form.locator(f"#respond-{tasker.pk}-comment-1")
    expect(form.get_by_label("Answer")).to_have_value("nonconcur")
    expect(first.get_by_label("Comment")).to_have_value("State the partner's sustainment funding.")
    expect(first.get_by_label("Proposed change")).to_have_value("Add a sentence on sustainment funding.")
    expect(first.get_by_label("Page")).to_have_value("14")
    browser.step("answer-refused")

    # The administrative comment comes from the Navy's matrix spreadsheet, into the rows to read.
    matrix = tmp_path / "navy-matrix.xlsx"
    matrix_xlsx(matrix)
    form.get_by_label("Comment matrix (.xlsx)").set_input_files(str(matrix))
    form.get_by_role("button", name="Import comments").click()
    expect(page.locator("ul.messagelist")).to_contain_text("1 comment imported from navy-matrix.xlsx")
    form = page.locator(f"#respond-{tasker.pk}")
    second = form.locator(f"#respond-{tasker.pk}-comment-2")
    expect(second.get_by_label("Comment")).to_have_value("Spell out BMD at first use.")
    expect(form.locator(f"#respond-{tasker.pk}-comment-1").get_by_label("Comment")).to_have_value(
        "State the partner's sustainment funding.")
    assert not Comment.objects.exists()  # nothing sent before the reviewer records the answer

    # More rows without JavaScript, then the critical comment.
    form.get_by_role("button", name="More comment rows").click()
    form = page.locator(f"#respond-{tasker.pk}")
    third = form.locator(f"#respond-{tasker.pk}-comment-3")
    third.get_by_label("Category").select_option("critical")
    third.get_by_label("Paragraph").fill("3.b")
    third.get_by_label("Comment").fill("Remove the carrier presence assumption.")
    third.get_by_label("Proposed change").fill("Replace with rotational presence.")
    expect(form.get_by_label("Answer")).to_have_value("nonconcur")
    form.get_by_role("button", name="Record answer").click()
    expect(page.locator("ul.messagelist")).to_contain_text("Answer recorded for DON.")
    assert sorted(Comment.objects.values_list("category", flat=True)) == ["administrative", "critical", "substantive"]
    browser.step("answer-recorded")

    # The owner adjudicates from the matrix: the critical comment first, marked in words.
    page = browser.sign_in(person(world.user("EUCOM", AO)))
    page.goto(plan_url)
    rows = page.locator("#workflow-comments tbody tr")
    expect(rows.first).to_contain_text("Remove the carrier presence assumption.")
    expect(rows.first.locator(".wf-critical")).to_have_text("Critical")
    critical = Comment.objects.get(category="critical")
    substantive = Comment.objects.get(category="substantive")
    page.get_by_label("Rationale for comment 2").fill("Typed, not yet sent")
    page.get_by_label("Decision on comment 1").select_option("rejected")
    page.get_by_role("button", name="Adjudicate comment 1").click()
    # Refused (a rejection needs a rationale): beside the row, and the other row's text kept.
    expect(page.locator(f"#comment-{critical.pk} .errorlist")).to_contain_text("Required.")
    expect(page.get_by_label("Rationale for comment 2")).to_have_value("Typed, not yet sent")
    page.get_by_label("Decision on comment 1").select_option("accepted")
    page.get_by_label("Rationale for comment 1").fill("Rotational presence adopted in 3.b.")
    page.get_by_role("button", name="Adjudicate comment 1").click()
    expect(page.locator("ul.messagelist")).to_contain_text("Adjudication of comment 1 recorded.")
    # Back at the same row, focused, with the text typed in the other row still there.
    assert page.url.endswith(f"#comment-{critical.pk}")
    expect(page.locator(f"#decision-{critical.pk}")).to_be_focused()
    expect(page.get_by_label("Rationale for comment 2")).to_have_value("Typed, not yet sent")
    expect(page.locator(f"#comment-{critical.pk}")).to_contain_text("Accepted: Rotational presence adopted in 3.b.")
    substantive.refresh_from_db()
    assert substantive.decision == ""
    browser.step("adjudicated-row-by-row")
