"""An SCO manpower change request's whole route, clicked through the admin pages by the roles the
directive names: the SCO's action officer drafts and submits it, the supervising command (EUCOM)
endorses it, USD(P&R) gives its input and the Joint Staff coordinates, the SCO sends it to DSCA,
DSCA approves; the SCO's page then shows the new authorization beside the one it replaced."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from manpower.models import ManpowerChangeRequest, RequestState
from manpower.selectors import manning_current
from organizations.models import Role
from workflow.models import Step
from workflow.selectors import taskers_of

AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER
TITLE = "ODC Turkey: a third FMS case officer (browser)"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def state_of(page):
    return page.locator("#workflow-state .wf-state")


def click_transition(page, label):
    button = page.locator("#workflow-state").get_by_role("button", name=label, exact=True)
    expect(button).to_be_visible()
    assert "/transition/" in button.evaluate("b => (b.form && b.form.action) || ''")
    button.click()


def open_from_start_page(page):
    line = page.locator("#my-taskers tr", has_text=TITLE)
    expect(line).to_be_visible()
    line.get_by_role("link", name=TITLE).click()
    expect(page.locator("#workflow-state")).to_be_visible()


def give_input(browser, person, world, acronym):
    page = browser.sign_in(person(world.user(acronym, REV)))
    open_from_start_page(page)
    request = ManpowerChangeRequest.objects.get(title=TITLE)
    tasker = taskers_of(request, step=Step.CONSULTATION).get(organization__acronym=acronym)
    form = page.locator(f"#respond-{tasker.pk}")
    expect(form).to_contain_text(f"Answer for {acronym}")
    form.locator("select[name=response]").select_option("concur")
    form.locator("textarea[name=rationale]").fill(f"{acronym}: the grade and skill fit the billet (training data).")
    form.get_by_role("button", name="Record answer").click()
    expect(page.locator("ul.messagelist")).to_contain_text(f"Answer recorded for {acronym}.")
    browser.step(f"{acronym}-input")


def test_a_manpower_change_from_the_sco_to_dsca_approval_through_the_pages(browser, world, person):
    sco_officer = person(world.user("ODC-TURKEY", AO))

    # 1. The SCO's action officer drafts the request with its billet line, and submits it.
    page = browser.sign_in(sco_officer)
    page.locator("tr.model-manpowerchangerequest").get_by_role("link").first.click()
    page.get_by_role("link", name="Add SCO manpower change request").click()
    page.fill("#id_title", TITLE)
    page.select_option("#id_change_type", value="authorizations")
    page.select_option("#id_sco", label="Office of Defense Cooperation Turkey")
    page.fill("#id_effective_on", "2027-01-01")
    page.fill("#id_justification", "Foreign military sales cases grew by a third (training data).")
    page.locator("#billets-group .add-row a").click()
    page.select_option("#id_billets-0-action", value="change")
    page.fill("#id_billets-0-position", "FMS case officer")
    page.select_option("#id_billets-0-grade", value="O-4")
    page.select_option("#id_billets-0-service", value="navy")
    page.fill("#id_billets-0-skill", "Security assistance")
    page.fill("#id_billets-0-billets", "3")
    browser.step("draft-filled")
    page.click("input[name=_continue]")
    expect(page.locator("ul.messagelist")).to_contain_text("was added successfully")
    expect(state_of(page)).to_have_text("Draft")
    click_transition(page, "Submit to the supervising command")
    expect(page.locator("ul.messagelist")).to_contain_text("is now awaiting command endorsement")
    expect(page.locator("#workflow-taskers table")).to_contain_text("EUCOM")
    browser.step("submitted")

    # 2. EUCOM's approver finds it among the command's taskers and endorses it.
    page = browser.sign_in(person(world.user("EUCOM", APP)))
    open_from_start_page(page)
    click_transition(page, "Endorse")
    expect(state_of(page)).to_have_text("In coordination (USD(P&R) input, Joint Staff)")
    expect(page.locator("#workflow-taskers table")).to_contain_text("USD(P&R)")
    browser.step("endorsed")

    # 3. USD(P&R) gives its input, the Joint Staff coordinates.
    give_input(browser, person, world, "USD(P&R)")
    give_input(browser, person, world, "J5")

    # 4. The SCO sends it to DSCA.
    page = browser.sign_in(sco_officer)
    request = ManpowerChangeRequest.objects.get(title=TITLE)
    page.goto(reverse("admin:manpower_manpowerchangerequest_change", args=[request.pk]))
    click_transition(page, "Send to DSCA for approval")
    expect(state_of(page)).to_have_text("Awaiting DSCA approval")
    browser.step("sent-to-dsca")

    # 5. DSCA's approver approves; the manning changes from the effective date.
    page = browser.sign_in(person(world.user("DSCA", APP)))
    open_from_start_page(page)
    # Not an SDO/DATT change: DIA has no part, and the page says why.
    expect(page.locator("#workflow-state .wf-unavailable")).to_contain_text(
        "Only a change to the SDO/DATT's grade or Military Department affiliation goes to DIA.")
    click_transition(page, "Approve")
    expect(state_of(page)).to_have_text("Approved")
    expect(page.locator("#workflow-history")).to_contain_text("Approve — dsca_approver for DSCA")
    browser.step("approved")
    request.refresh_from_db()
    assert request.state == RequestState.APPROVED
    sco = world.scos["ODC-TURKEY"]
    assert manning_current(sco, on=datetime.date(2027, 1, 1)).get(position="FMS case officer").billets == 3
    page.goto(reverse("admin:manpower_securitycooperationorganization_change", args=[sco.pk]))
    manning = page.locator("#authorizations-group")
    expect(manning).to_contain_text("FMS case officer")
    expect(manning.locator("tr", has_text="FMS case officer")).to_have_count(2)  # the old row kept, with its end
    browser.step("manning")
