"""A materiel diversion request's whole route, clicked through the admin pages by the roles the
directive names: EUCOM's action officer drafts and submits it (the partner's FAD shown beside
the partner), DSCA's approver finds competing partner needs it cannot resolve and refers them to
the Chairman, the Joint Staff's approver recommends priorities, USD(P)'s approver approves; the
page then shows the decision with the partner's FAD of the day."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import expect

from materiel.models import DiversionState, MaterielDiversionRequest
from organizations.models import Role
from organizations.services import fad_assign

AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER
TITLE = "Interceptors for Poland (browser)"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def state_of(page):
    return page.locator("#workflow-state .wf-state")


def click_transition(page, label, comment=""):
    form = page.locator("#workflow-state form", has=page.get_by_role("button", name=label, exact=True))
    expect(form).to_be_visible()
    if comment:
        form.locator("textarea[name=comment]").fill(comment)
    form.get_by_role("button", name=label, exact=True).click()


def open_from_start_page(page):
    line = page.locator("#my-taskers tr", has_text=TITLE)
    expect(line).to_be_visible()
    line.get_by_role("link", name=TITLE).click()
    expect(page.locator("#workflow-state")).to_be_visible()


def choose_country(page, select_id: str, query: str, name: str) -> None:
    page.locator(f"{select_id} + .select2 .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill(query)
    page.locator(".select2-results__option", has_text=name).click()
    expect(page.locator(f"{select_id} + .select2 .select2-selection__rendered")).to_contain_text(name)


def test_a_diversion_from_the_command_through_the_chairmans_priorities_to_usdp_approval(browser, world, person):
    fad_assign(by=world.user("J5", APP), country=world.countries["PL"], designator="II",
               effective_from=datetime.date(2026, 1, 1), rationale="Frontline Ally (training data).")
    officer = person(world.user("EUCOM", AO))

    # 1. EUCOM's action officer drafts the request: a blank quantity is refused beside its field,
    # nothing typed is lost; then it is saved and submitted to DSCA.
    page = browser.sign_in(officer)
    page.locator("tr.model-materieldiversionrequest").get_by_role("link").first.click()
    page.get_by_role("link", name="Add materiel diversion request").click()
    page.fill("#id_title", TITLE)
    page.select_option("#id_owner", label="EUCOM")
    choose_country(page, "#id_partner", "PL", "Poland")
    page.fill("#id_item", "Patriot PAC-3 MSE interceptor")
    page.fill("#id_source", "FMS case slot exchange (training data)")
    page.select_option("#id_urgency", value="urgent")
    page.fill("#id_needed_by", "2027-03-01")
    page.fill("#id_justification", "Interceptor stocks below the Ally's minimum (training data).")
    page.fill("#id_quantity", "0")
    page.click("input[name=_continue]")
    expect(page.locator(".field-quantity .errorlist")).to_be_visible()
    expect(page.locator("#id_item")).to_have_value("Patriot PAC-3 MSE interceptor")
    page.fill("#id_quantity", "12")
    browser.step("draft-filled")
    page.click("input[name=_continue]")
    expect(page.locator("ul.messagelist")).to_contain_text("was added successfully")
    expect(state_of(page)).to_have_text("Draft")
    expect(page.locator(".field-partner_fad")).to_contain_text("FAD II (since")
    click_transition(page, "Submit to DSCA")
    expect(state_of(page)).to_have_text("In consultation with DSCA")
    expect(page.locator("#workflow-taskers table")).to_contain_text("DSCA")
    browser.step("submitted")

    # 2. DSCA's approver cannot resolve competing needs and refers them to the Chairman.
    page = browser.sign_in(person(world.user("DSCA", APP)))
    open_from_start_page(page)
    click_transition(page, "Refer competing partner needs to the Chairman",
                     comment="Two Indo-Pacific partners seek the same production slots (training data).")
    expect(state_of(page)).to_have_text("Awaiting the Chairman's priority recommendation")
    expect(page.locator("#workflow-taskers table")).to_contain_text("J5")
    browser.step("referred")

    # 3. The Joint Staff's approver recommends priorities.
    page = browser.sign_in(person(world.user("J5", APP)))
    open_from_start_page(page)
    click_transition(page, "Recommend priorities", comment="Poland first (FAD II); the others next quarter.")
    expect(state_of(page)).to_have_text("Awaiting the USD(P) decision")
    browser.step("recommended")

    # 4. USD(P)'s approver reads the recommendation and approves.
    page = browser.sign_in(person(world.user("USD(P)", APP)))
    open_from_start_page(page)
    expect(page.locator(".field-priority_recommendation")).to_contain_text("Poland first")
    click_transition(page, "Approve the diversion", comment="Approved as recommended (training data).")
    expect(state_of(page)).to_have_text("Approved")
    expect(page.locator("#workflow-history")).to_contain_text("usdp_approver for USD(P)")
    expect(page.locator(".field-partner_fad_at_decision")).to_contain_text("FAD II")
    browser.step("approved")
    request = MaterielDiversionRequest.objects.get(title=TITLE)
    assert (request.state, request.quantity, request.partner_fad_at_decision) == (DiversionState.APPROVED, 12, "II")
