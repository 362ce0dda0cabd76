"""One campaign plan's whole route in Chromium, in which every person finds their work the same
way: a notice (the start page's notifications panel, and an e-mail through a real SMTP server),
then the header's My work link, their item there, and the page it opens, where the decision is
on top. The action officer drafts and submits the plan; two coordinators answer (the Navy
non-concurs with a critical and two other comments, after a first try the engine refuses, its
text still there); the owner adjudicates from the matrix and sends the plan to review; the
reviewers review; the approver approves; and everyone who took part is told.

Who reviews and who approves is read from the engine (the taskers it issued, the organizations
the "approve" transition names: ``approver_of``), not written here."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from organizations.models import Role
from planning.models import CampaignPlan, PlanState
from tests.reminders.conftest import smtp_server, wait_until  # noqa: F401 (the real SMTP server, a fixture)
from workflow.models import Comment, Step
from workflow.selectors import taskers_of

from .test_campaign_plan_route import approver_of, draft_through_the_add_form, state_of, transition_button

AO, REV = Role.ACTION_OFFICER, Role.REVIEWER

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "EUCOM theater campaign plan — Black Sea resilience (journey)"


def with_mail(person, user):
    """``person(user)`` (a password to sign in with) and an e-mail address for the notices."""
    user = person(user)
    if not user.email:
        user.email = f"{user.username}@example.mil"
        user.save(update_fields=["email"])
    return user


def mail_to(smtp, user, subject: str):
    """Wait for the e-mail ``subject`` to ``user`` and return it."""
    def found():
        return [m for m in list(smtp.received) if user.email in m.to and subject in m.subject]

    wait_until(lambda: found(), timeout=20, message=f"the e-mail “{subject}” to {user.email}")
    return found()[0]


def notice_on_the_start_page(browser, user, text: str):
    """``user`` signs in: the start page's notifications panel holds ``text``, unread."""
    page = browser.sign_in(user)
    notice = page.locator("#my-notifications li", has_text=text)
    expect(notice).to_have_count(1)
    expect(notice).to_contain_text("(unread)")
    return page


def my_work_item(browser, page, *, says: str):
    """Follow the header's My work link; the plan's row says what the person may do; open it."""
    page.locator("#my-work-link").click()
    expect(page.locator("h1")).to_have_text("My work")
    row = page.locator("#my-work tbody tr", has_text=TITLE)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(says)
    browser.step(f"my-work-{says}")
    row.get_by_role("link", name=TITLE).click()
    expect(page.locator("#workflow-state")).to_be_visible()
    return row


def answer_form(page, plan, acronym: str):
    step = CampaignPlan.objects.get(pk=plan.pk).current_step()
    tasker = taskers_of(plan).get(organization__acronym=acronym, step=step)
    form = page.locator(f"#respond-{tasker.pk}")
    expect(form).to_contain_text(f"Answer for {acronym} ({step})")
    return tasker, form


def fill_comment(form, tasker, number: int, *, category: str, paragraph: str, text: str, change: str = ""):
    row = form.locator(f"#respond-{tasker.pk}-comment-{number}")
    row.get_by_label("Category").select_option(category)
    row.get_by_label("Paragraph").fill(paragraph)
    row.get_by_label("Comment").fill(text)
    if change:
        row.get_by_label("Proposed change").fill(change)


def test_every_role_finds_their_work_in_my_work_and_is_told_of_it(browser, world, person, smtp_server):  # noqa: F811
    smtp = smtp_server
    author = with_mail(person, world.user("EUCOM", AO))
    # Every organization's reviewer (a designated coordinator) and approver, with a mailbox: the
    # route decides which of them are tasked, and a notice goes to those who hold the role then.
    for acronym in world.orgs:
        for role in (REV, Role.APPROVER):
            with_mail(person, world.user(acronym, role))

    # The author drafts the plan; My work offers to submit it; they submit it from there.
    page = browser.sign_in(author)
    plan = draft_through_the_add_form(browser, world, page, TITLE, supporting="DON")
    my_work_item(browser, page, says="Submit for coordination")
    transition_button(page, "Submit for coordination").click()
    expect(page.locator("ul.messagelist")).to_contain_text("The campaign plan is now in coordination.")
    expect(state_of(page)).to_have_text("In coordination")

    coordinators = sorted(t.organization.acronym for t in taskers_of(plan, step=Step.COORDINATION)
                          .select_related("organization"))
    assert coordinators == ["DON", "USD(AT&L)"], coordinators  # the supporting Navy and the route's own

    # The Navy's coordinator: told of the tasker, finds it in My work, answers.
    navy = with_mail(person, world.user("DON", REV))
    other = with_mail(person, world.user("USD(AT&L)", REV))
    for user, acronym in ((navy, "DON"), (other, "USD(AT&L)")):
        mail = mail_to(smtp, user, f"New coordination tasker for {acronym}")
        assert TITLE in mail.body and "/admin/planning/campaignplan/" in mail.body
    page = notice_on_the_start_page(browser, navy, f"New coordination tasker for DON on the campaign plan “{TITLE}”")
    my_work_item(browser, page, says="Answer")
    tasker, form = answer_form(page, plan, "DON")
    form.get_by_label("Answer").select_option("nonconcur")
    form.locator("textarea[name=rationale]").fill("Naval presence figures conflict with the global force plan.")
    fill_comment(form, tasker, 1, category="substantive", paragraph="4.a",
                 text="State the partner's sustainment funding.", change="Add a sentence on sustainment funding.")
    fill_comment(form, tasker, 2, category="administrative", paragraph="1", text="Spell out BMD at first use.")
    form.get_by_role("button", name="Record answer").click()
    # Refused (a non-concur needs a critical comment): what was typed is all still there.
    form = page.locator(f"#respond-{tasker.pk}")
    expect(form.locator(".errornote")).to_contain_text("A non-concur needs at least one critical comment.")
    expect(form.get_by_label("Answer")).to_have_value("nonconcur")
    expect(form.locator("textarea[name=rationale]")).to_have_value(
        "Naval presence figures conflict with the global force plan.")
    expect(form.locator(f"#respond-{tasker.pk}-comment-1").get_by_label("Comment")).to_have_value(
        "State the partner's sustainment funding.")
    expect(form.locator(f"#respond-{tasker.pk}-comment-2").get_by_label("Comment")).to_have_value(
        "Spell out BMD at first use.")
    browser.step("navy-refused-text-kept")
    fill_comment(form, tasker, 3, category="critical", paragraph="3.b", text="Remove the carrier presence assumption.",
                 change="Replace with rotational presence.")
    form.get_by_role("button", name="Record answer").click()
    expect(page.locator("ul.messagelist")).to_contain_text("Answer recorded for DON.")
    assert sorted(Comment.objects.filter(organization__acronym="DON").values_list("category", flat=True)) == [
        "administrative", "critical", "substantive"]

    # The second coordinator concurs, from their own notice and My work.
    page = notice_on_the_start_page(browser, other,
                                    f"New coordination tasker for USD(AT&L) on the campaign plan “{TITLE}”")
    my_work_item(browser, page, says="Answer")
    _, form = answer_form(page, plan, "USD(AT&L)")
    form.get_by_label("Answer").select_option("concur")
    form.get_by_role("button", name="Record answer").click()
    expect(page.locator("ul.messagelist")).to_contain_text("Answer recorded for USD(AT&L).")

    # The owner: told that every answer is in, adjudicates the three comments from the matrix,
    # critical first, then sends the plan to review from My work.
    mail_to(smtp, author, "All coordination answers in")
    page = notice_on_the_start_page(browser, author, f"All coordination answers are in on the campaign plan “{TITLE}”")
    my_work_item(browser, page, says="Adjudicate 3 comments")
    rows = page.locator("#workflow-comments tbody tr")
    expect(rows.first).to_contain_text("Remove the carrier presence assumption.")
    expect(rows.first.locator(".wf-critical")).to_have_text("Critical")
    decisions = {1: ("accepted", "Rotational presence adopted in 3.b."),
                 2: ("accepted", "Sustainment funding stated in 4.a."),
                 3: ("rejected", "BMD is spelled out in the glossary.")}
    for number, (decision, rationale) in decisions.items():
        page.get_by_label(f"Decision on comment {number}").select_option(decision)
        page.get_by_label(f"Rationale for comment {number}").fill(rationale)
        page.get_by_role("button", name=f"Adjudicate comment {number}").click()
        expect(page.locator("ul.messagelist")).to_contain_text(f"Adjudication of comment {number} recorded.")
    browser.step("owner-adjudicated")
    my_work_item(browser, page, says="Send to review")
    transition_button(page, "Send to review").click()
    expect(page.locator("ul.messagelist")).to_contain_text("The campaign plan is now in review.")

    # The Navy is told its comment was adjudicated (in the application now; by mail in the digest).
    notice_on_the_start_page(browser, navy, f"Your critical comment on the campaign plan “{TITLE}” was accepted")

    # The reviewers the engine tasked: each told, each finds it in My work, each concurs.
    reviewers = sorted(t.organization.acronym for t in taskers_of(plan, step=Step.REVIEW)
                       .select_related("organization"))
    assert reviewers, "the route tasked no reviewer"
    for acronym in reviewers:
        reviewer = with_mail(person, world.user(acronym, REV))
        mail_to(smtp, reviewer, f"New review tasker for {acronym}")
        page = notice_on_the_start_page(browser, reviewer, f"New review tasker for {acronym} on the campaign plan")
        my_work_item(browser, page, says="Answer")
        _, form = answer_form(page, plan, acronym)
        form.get_by_label("Answer").select_option("concur")
        form.get_by_role("button", name="Record answer").click()
        expect(page.locator("ul.messagelist")).to_contain_text(f"Answer recorded for {acronym}.")

    # The approver (whoever the engine names): told of the approval tasker, approves from My work.
    approver = with_mail(person, approver_of(world, plan))
    approving = taskers_of(plan, step=Step.APPROVAL).select_related("organization").get().organization.acronym
    mail_to(smtp, approver, f"New approval tasker for {approving}")
    page = notice_on_the_start_page(browser, approver, f"New approval tasker for {approving} on the campaign plan")
    my_work_item(browser, page, says="Approve")
    transition_button(page, "Approve").click()
    expect(page.locator("ul.messagelist")).to_contain_text("The campaign plan is now approved.")
    expect(state_of(page)).to_have_text("Approved")
    page.locator("#my-work-link").click()
    expect(page.locator("#my-work tbody tr", has_text=TITLE)).to_have_count(0)
    browser.step("approved")
    assert CampaignPlan.objects.get(pk=plan.pk).state == PlanState.APPROVED

    # Everyone who took part is told, by e-mail and in the application.
    for user in (author, navy, other, *(world.user(a, REV) for a in reviewers)):
        mail = mail_to(smtp, user, "Campaign plan approved")
        assert re.search(rf"{re.escape(TITLE)}.? is now approved", mail.body), mail.body
    page = notice_on_the_start_page(browser, author, f"The campaign plan “{TITLE}” is now approved")
    page.locator("#my-notifications").get_by_role("link", name="All notifications").click()
    expect(page.locator("#result_list")).to_contain_text(f"The campaign plan “{TITLE}” is now approved")
    browser.step("author-told-of-approval")

