"""No one opens a shell: EUCOM's action officer (the command supervising ODC Turkey) sets what a
billet requires in the admin, a language without its level refused beside the field with what was
typed kept; ODC Turkey's action officer adds the person filling it with a certification and a
language line; the readiness page then counts the billet filled by a qualified person and shows
which Military Department owes what (Encl. 2, 8.j)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from organizations.models import Role
from workforce.models import BilletRequirement, PersonnelRecord

AO = Role.ACTION_OFFICER
IDENTIFIER = "SCO billet holder 0077, browser record"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_command_sets_a_requirement_the_sco_adds_its_holder_and_readiness_counts_it(browser, world, person):
    # 1. EUCOM's action officer sets the budget analyst billet's requirement.
    page = browser.sign_in(person(world.user("EUCOM", AO)))
    page.locator("tr.model-billetrequirement").get_by_role("link").first.click()
    page.get_by_role("link", name="Add billet requirement").click()
    expect(page.locator("#id_authorization")).to_be_visible()
    options = page.locator("#id_authorization option").all_inner_texts()
    assert "ODC-TURKEY: Budget analyst (GS-12, DoD civilian)" in options
    assert not any(option.startswith("OSC-I") for option in options)  # CENTCOM's SCO: not EUCOM's to set
    page.select_option("#id_authorization", label="ODC-TURKEY: Budget analyst (GS-12, DoD civilian)")
    page.select_option("#id_certification_level", label="Intermediate")
    page.fill("#id_language", "Turkish")
    page.click("input[name=_continue]")
    expect(page.locator(".field-language_level .errorlist")).to_contain_text("Give the ILR level required in Turkish")
    expect(page.locator("#id_language")).to_have_value("Turkish")  # what was typed is kept
    assert not BilletRequirement.objects.filter(authorization__position="Budget analyst").exists()
    page.select_option("#id_language_level", value="1+")
    page.click("input[name=_continue]")
    expect(page.locator("ul.messagelist")).to_contain_text("was added successfully")
    browser.step("requirement-set")

    # 2. ODC Turkey's action officer adds the person filling it, with a certification and a language.
    page = browser.sign_in(person(world.user("ODC-TURKEY", AO)))
    page.locator("tr.model-personnelrecord").get_by_role("link").first.click()
    page.get_by_role("link", name="Add personnel record").click()
    page.fill("#id_identifier", IDENTIFIER)
    page.select_option("#id_owner", label="ODC-TURKEY")
    page.select_option("#id_billet", label="ODC-TURKEY: Budget analyst (GS-12, DoD civilian)")
    page.fill("#id_grade", "GS-12")
    page.fill("#id_service", "civilian")
    page.fill("#id_assigned_on", "2026-01-05")
    page.locator("#qualifications-group .add-row a").click()
    page.select_option("#id_qualifications-0-kind", value="certification")
    page.fill("#id_qualifications-0-name", "SC workforce certification")
    page.select_option("#id_qualifications-0-level", label="Intermediate")
    page.fill("#id_qualifications-0-completed_on", "2025-03-01")
    page.fill("#id_qualifications-0-expires_on", "2029-03-01")
    page.locator("#languages-group .add-row a").click()
    page.fill("#id_languages-0-language", "Turkish")
    page.select_option("#id_languages-0-listening", value="2")
    page.select_option("#id_languages-0-reading", value="1+")
    page.select_option("#id_languages-0-speaking", value="1+")
    browser.step("record-filled")
    page.click("input[name=_continue]")
    expect(page.locator("ul.messagelist")).to_contain_text("was added successfully")
    record = PersonnelRecord.objects.get(identifier=IDENTIFIER)
    assert list(record.languages.values_list("language", "speaking")) == [("Turkish", "1+")]

    # 3. The readiness page: the billet is filled by a qualified person; nothing is owed for it.
    page.goto("/admin/workforce/personnelrecord/")
    page.get_by_role("link", name="Readiness by command, SCO and region").click()
    sco = page.locator("#readiness-by-sco tbody tr", has_text="Office of Defense Cooperation Turkey")
    expect(sco.locator("td").nth(5)).to_have_text("1")  # filled by qualified
    billet = page.locator("#readiness-billets tbody tr", has_text="Budget analyst")
    expect(billet.locator("td")).to_have_text(["EUCOM", "ODC-TURKEY", "GS-12", "DoD civilian",
                                               "DoD civilian (no Department named)", "1", "1", "1", "0"])
    expect(page.locator("#readiness-fills-due")).to_contain_text("DON")
    browser.step("readiness", full_page=True)
