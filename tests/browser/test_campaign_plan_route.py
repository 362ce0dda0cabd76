"""A campaign plan's whole route, clicked through the admin pages as the people of the directive
would: drafted and submitted by the command's action officer, non-concurred with a critical
comment by a coordinating component, adjudicated, concurred, reviewed by the Joint Staff and
USD(P), approved by USD(P). Each step checks what is on the screen."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from organizations.models import Role
from planning.models import CampaignPlan, PlanState
from workflow.selectors import taskers_of

AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def state_of(page):
    return page.locator("#workflow-state .wf-state")


def my_answer_form(page, plan, acronym):
    """The answer form of the tasker (``#respond-<pk>``), checked to post to the respond view."""
    tasker = taskers_of(plan).get(organization__acronym=acronym, step=CampaignPlan.objects.get(pk=plan.pk).current_step())
    expect(page.locator("#workflow-state")).to_contain_text(f"Answer for {acronym}")  # the decision panel
    form = page.locator(f"#respond-{tasker.pk}")
    assert form.count() == 1, (
        f"the answer form for {acronym} is on the page but the browser dropped its <form id=\"respond-{tasker.pk}\">: "
        "it is nested inside the admin change form (block after_field_sets), so its button would save that form")
    return form


def transition_button(page, label):
    """The button of a transition, checked to post to its own transition view (a form nested in
    the admin's change form would be dropped by the browser's HTML parser, and the button would
    save the change form instead)."""
    button = page.locator("#workflow-state").get_by_role("button", name=label)
    expect(button).to_be_visible()
    action = button.evaluate("b => (b.form && b.form.action) || ''")
    assert "/transition/" in action, (
        f"the “{label}” button belongs to a form posting to {action!r}, not to its transition: the workflow "
        "panel's forms are nested inside the admin change form (block after_field_sets)")
    return button


def assert_panels_outside_the_change_form(page):
    """The workflow panels hold forms of their own: inside the admin's change form the browser
    drops them (HTML has no nested forms), the buttons post the change form and the misnested
    tags paint the page in the marking banner's colour."""
    inside = page.evaluate("() => [...document.querySelectorAll('.wf-panel')].filter(p => p.closest('form') && "
                           "!p.matches('form')).map(p => p.id)")
    tall = page.evaluate("() => [...document.querySelectorAll('.wf-banner')].map(b => b.offsetHeight)")
    assert not inside and max(tall) < 80, (
        f"workflow panels inside the change form: {inside}; marking banner heights: {tall} (block after_field_sets)")


def open_from_start_page(page, plan):
    """Follow the line of the start page's 'My open taskers' to the plan."""
    line = page.locator("#my-taskers tr", has_text=plan.title)
    expect(line).to_be_visible()
    line.get_by_role("link", name=plan.title).click()
    expect(page.locator("h1, h2").first).to_be_visible()
    expect(page.locator("#workflow-state")).to_be_visible()


def open_from_plan_list(page, plan):
    """Campaign plans in the side menu, then the plan's line in the list."""
    page.locator("tr.model-campaignplan").get_by_role("link", name="Campaign plans").click()
    page.locator("#result_list").get_by_role("link", name=plan.title).click()
    expect(page.locator("#workflow-state")).to_be_visible()


def answer(browser, world, person, plan, acronym, response, *, rationale="", comment=None, step="coordination",
           again=False):
    """A reviewer of ``acronym`` signs in, opens the plan from the start page (or, to change an
    answer already given, from the plan list) and records an answer."""
    page = browser.sign_in(person(world.user(acronym, REV)))
    (open_from_plan_list if again else open_from_start_page)(page, plan)
    form = my_answer_form(page, plan, acronym)
    expect(form).to_contain_text(f"Answer for {acronym} ({step})")
    form.locator("select[name=response]").select_option(response)
    if rationale:
        form.locator("textarea[name=rationale]").fill(rationale)
    if comment:
        form.locator("select[name=comments-0-category]").select_option(comment["category"])
        form.locator("input[name=comments-0-section]").fill(comment["section"])
        form.locator("textarea[name=comments-0-text]").fill(comment["text"])
        form.locator("textarea[name=comments-0-proposed_change]").fill(comment["proposed_change"])
    form.get_by_role("button", name="Record answer").click()
    expect(page.locator("ul.messagelist")).to_contain_text(f"Answer recorded for {acronym}.")
    return page


def approver_of(world, plan):
    """The person who may approve ``plan``, as the engine says: an approver of an organization
    the "approve" transition's actors name for it (the route's approving organization; the one
    place to adapt if the approving authority changes)."""
    from organizations.models import Organization
    from workflow.services import transition_rules

    for actor in transition_rules(CampaignPlan, "approve").actors:
        organizations = Organization.objects.filter(pk__in=actor.organization_ids(CampaignPlan.objects.get(pk=plan.pk)))
        for organization in organizations.order_by("acronym"):
            if organization.acronym in world.orgs and APP in actor.roles:
                return world.user(organization.acronym, APP)
    raise AssertionError(f"nobody may approve {plan}: no approving organization in its route")


def draft_through_the_add_form(browser, world, page, title: str, *, supporting: str = "DON"):
    """The signed-in action officer drafts a plan through the add form (content, a supporting
    organization, an objective traced to the GEF's end state, Poland as partner), saves it and
    stays on its page. Returns the plan."""
    page.locator("tr.model-campaignplan").get_by_role("link", name="Campaign plans").click()
    expect(page.locator("h1")).to_contain_text("Select campaign plan to change")
    page.get_by_role("link", name="Add campaign plan").click()
    expect(page.locator("h1")).to_contain_text("Add campaign plan")
    page.fill("#id_title", title)
    page.select_option("#id_owner", label="EUCOM")
    page.select_option("#id_gef", value=str(world.gef.pk))
    page.fill("#id_period_start", "2027-10-01")
    page.fill("#id_period_end", "2032-09-30")
    page.fill("#id_summary", "Build partner capacity for Baltic resilience (training data).")
    page.fill("#id_complementary_usg_activities", "Department of State INL and USAID programs considered.")
    page.fill("#id_resources_needed", "Title 10 security cooperation funding; exercise participation.")
    page.fill("#id_risk_if_not_resourced", "Partner capability gaps persist.")
    page.select_option("#id_supporting_organizations_from", label=supporting)
    page.click("#id_supporting_organizations_add")
    expect(page.locator("#id_supporting_organizations_to option")).to_have_text([supporting])

    objectives = page.locator("#objectives-group")
    objectives.locator(".add-row a").click()
    page.fill("#id_objectives-0-code", "OBJ-1")
    page.fill("#id_objectives-0-title", "Interoperable air defense")
    page.select_option("#id_objectives-0-end_states_from", label=str(world.end_state))
    page.click("#id_objectives-0-end_states_add")
    expect(page.locator("#id_objectives-0-end_states_to option")).to_have_count(1)

    partners = page.locator("#partner_considerations-group")
    partners.locator(".add-row a").click()
    choose_country(page, "#id_partner_considerations-0-country", "PL", "Poland")
    page.select_option("#id_partner_considerations-0-support", "yes")
    page.fill("#id_partner_considerations-0-can_support", "Yes")
    page.select_option("#id_partner_considerations-0-safeguard", "yes")
    page.select_option("#id_partner_considerations-0-sustain", "partly")
    page.fill("#id_partner_considerations-0-can_safeguard", "Yes; end-use monitoring agreed.")
    page.fill("#id_partner_considerations-0-can_sustain", "With help")
    browser.step("draft-filled")
    page.click("input[name=_continue]")
    expect(page.locator("ul.messagelist")).to_contain_text("was added successfully")
    return CampaignPlan.objects.get(title=title)


def test_a_campaign_plan_from_draft_to_approval_through_the_pages(browser, world, person):
    owner = person(world.user("EUCOM", AO))

    # 1. The action officer drafts the plan through the add form.
    page = browser.sign_in(owner)
    plan = draft_through_the_add_form(browser, world, page, "EUCOM theater campaign plan — Baltic resilience (browser)")
    assert [o.code for o in plan.objectives.all()] == ["OBJ-1"]
    assert [p.country.code.code for p in plan.partner_considerations.all()] == ["PL"]
    expect(state_of(page)).to_have_text("Draft")
    expect(page.locator(".wf-banner").first).to_contain_text("UNCLASSIFIED")
    expect(page.locator("#workflow-diagram-box svg .wf-current")).to_have_attribute("data-state", "draft")
    browser.step("draft-saved")
    # ... and submits it for coordination.
    transition_button(page, "Submit for coordination").click()
    expect(page.locator("ul.messagelist")).to_contain_text(
        "Done: Submit for coordination. The campaign plan is now in coordination.")
    expect(state_of(page)).to_have_text("In coordination")
    taskers = page.locator("#workflow-taskers table")
    expect(taskers).to_contain_text("DON")
    expect(taskers).to_contain_text("USD(AT&L)")
    expect(page.locator("#workflow-state .wf-unavailable")).to_contain_text("Send to review")
    browser.step("submitted")

    # 2. The Navy's reviewer (a designated coordinator) non-concurs with a critical comment.
    page = browser.sign_in(person(world.user("DON", REV)))
    browser.step("navy-start-page")
    answer(browser, world, person, plan, "DON", "nonconcur", rationale="Naval presence figures conflict with the "
           "global force plan.", comment={"category": "critical", "section": "3.b", "text": "Remove the carrier "
                                          "presence assumption.", "proposed_change": "Replace with rotational presence."})
    page = browser.page
    expect(page.locator("#workflow-taskers table")).to_contain_text("Non-concur")
    expect(page.locator("#workflow-comments table")).to_contain_text("Remove the carrier presence assumption.")
    browser.step("navy-nonconcurred")

    # USD(AT&L) concurs.
    answer(browser, world, person, plan, "USD(AT&L)", "concur")
    browser.step("usdatl-concurred")

    # 3. The owner sees the refusal in words, then adjudicates the critical comment (accepted).
    page = browser.sign_in(owner)
    page.goto(reverse("admin:planning_campaignplan_change", args=[plan.pk]))
    expect(page.locator("#workflow-state .wf-unavailable")).to_contain_text("critical comment from DON not adjudicated")
    matrix = page.locator("#workflow-comments")
    row = matrix.locator("tr", has_text="Remove the carrier presence assumption.")
    expect(row).to_contain_text("Critical")
    row.get_by_label("Decision on comment 1").select_option("accepted")
    row.get_by_label("Rationale for comment 1").fill("Rotational presence adopted in 3.b.")
    row.get_by_role("button", name="Adjudicate comment 1").click()
    expect(page.locator("ul.messagelist")).to_contain_text("Adjudication of comment 1 recorded.")
    expect(matrix).to_contain_text("Accepted: Rotational presence adopted in 3.b.")
    # The accepted comment resolves it: sending to review is open now.
    expect(page.locator("#workflow-state .wf-unavailable")).not_to_contain_text("not adjudicated")
    transition_button(page, "Send to review")
    browser.step("adjudicated")

    # 4. The Navy concurs now.
    answer(browser, world, person, plan, "DON", "concur", rationale="Comment accepted.", again=True)
    browser.step("navy-concurred")

    # 5. The owner sends the plan to review.
    page = browser.sign_in(owner)
    page.goto(reverse("admin:planning_campaignplan_change", args=[plan.pk]))
    transition_button(page, "Send to review").click()
    expect(page.locator("ul.messagelist")).to_contain_text("The campaign plan is now in review.")
    expect(state_of(page)).to_have_text("In review")
    expect(page.locator("#workflow-taskers table")).to_contain_text("J5")
    browser.step("sent-to-review")

    # 6. The Joint Staff (J5) and USD(P) review and concur.
    answer(browser, world, person, plan, "J5", "concur", step="review")
    browser.step("j5-reviewed")
    answer(browser, world, person, plan, "USD(P)", "concur", step="review")
    browser.step("usdp-reviewed")

    # 7. The approving organization's approver (the owning command's, Encl. 2, 10.a, in the
    # default route) approves, after reading the confirmation.
    approver = person(approver_of(world, plan))
    page = browser.sign_in(approver)
    page.goto(reverse("admin:planning_campaignplan_change", args=[plan.pk]))
    expect(state_of(page)).to_have_text("In review")
    dialogs = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    transition_button(page, "Approve").click()
    expect(page.locator("ul.messagelist")).to_contain_text("The campaign plan is now approved.")
    assert dialogs and "Approval is final" in dialogs[0]
    expect(state_of(page)).to_have_text("Approved")
    expect(page.locator("#workflow-diagram-box svg .wf-current")).to_have_attribute("data-state", "approved")

    history = page.locator("#workflow-history .wf-timeline li")
    text = " ".join(history.all_inner_texts())
    for expected in ("eucom_action_officer", "don_reviewer", "usdatl_reviewer", "j5_reviewer", "usdp_reviewer",
                     approver.username):
        assert expected in text, f"{expected} missing from the history: {text}"
    assert history.count() >= 8
    browser.step("approved")
    assert CampaignPlan.objects.get(pk=plan.pk).state == PlanState.APPROVED


def choose_country(page, select_id: str, query: str, name: str) -> None:
    """Pick a country in the autocomplete (select2) widget: open it, type, click the result."""
    page.locator(f"{select_id} + .select2 .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill(query)
    page.locator(".select2-results__option", has_text=name).click()
    expect(page.locator(f"{select_id} + .select2 .select2-selection__rendered")).to_contain_text(name)


def test_the_start_page_a_plan_in_coordination_and_the_route_diagram(browser, world, person):
    """What a coordinating reviewer sees (the README's pictures come from here): the start page
    with the tasker, the plan's page with its answer form, comment matrix and history, the help
    page with the whole route; and the start page on a narrow window."""
    from workflow.services import tasker_respond, transition_perform

    plan = transition_perform(document=world.ready_plan(), name="submit", by=world.user("EUCOM", AO))
    navy = taskers_of(plan).get(organization__acronym="DON")
    tasker_respond(tasker=navy, by=world.user("DON", REV), response="nonconcur",
                   rationale="Naval presence figures conflict with the global force plan.",
                   comments=[{"category": "critical", "section": "3.b", "text": "Remove the carrier presence "
                              "assumption.", "proposed_change": "Replace with rotational presence."}])
    tasker_respond(tasker=taskers_of(plan).get(organization__acronym="USD(AT&L)"), by=world.user("USD(AT&L)", REV),
                   response="concur_with_comment",
                   comments=[{"category": "administrative", "section": "1.a", "text": "Spell out BMD."}])
    reviewer = person(world.user("DA", REV))

    page = browser.sign_in(reviewer)
    expect(page.locator("#my-taskers")).to_contain_text(plan.title)
    expect(page.locator("#my-taskers .wf-dot").first).to_be_visible()
    browser.step("start-page")

    open_from_start_page(page, plan)
    expect(state_of(page)).to_have_text("In coordination")
    expect(page.locator("#workflow-state")).to_contain_text("Answer for DA (coordination)")
    expect(page.locator("#workflow-comments table")).to_contain_text("Remove the carrier presence assumption.")
    expect(page.locator("#workflow-history")).to_contain_text("DON answered non-concur")
    expect(page.locator("#workflow-diagram-box svg .wf-current")).to_have_attribute("data-state", "coordination")
    assert_panels_outside_the_change_form(page)
    browser.step("plan-in-coordination")

    page.get_by_role("link", name="How this kind of document moves").click()
    expect(page.locator("#workflow-diagram svg")).to_be_visible()
    expect(page.locator("#workflow-rules")).to_contain_text("Submit for coordination")
    expect(page.locator("#workflow-rules")).to_contain_text("the approving organization")
    browser.step("help-page", readme="workflow-diagram")

    page = browser.sign_in(reviewer, viewport={"width": 420, "height": 900})
    expect(page.locator("#my-taskers")).to_contain_text(plan.title)
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    browser.step("start-page-narrow")
    assert widths[0] <= widths[1] + 2, f"the start page scrolls sideways at 420 px: {widths}"
