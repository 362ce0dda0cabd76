"""Two features of a draft campaign plan walked through the pages as the people would, each step
checking what is on the screen:

1. Activities under the objectives (DoDD 5132.03 Encl. 2, 10.b): the owning command's action
   officer adds an activity in the "activities" inline, sees it saved, is refused (by row) an
   activity outside the plan's period, then one marked beyond their clearance, without losing what
   was typed or what was stored, submits, and the functional command the activity's function brings
   in is on the taskers with the reason naming the activity (and finds the tasker on its own start
   page).
2. The higher-approval route option (Encl. 2, 10.a names no approver above the commander): the
   policy office chooses it in the Route panel's form, sees it with its citation and in the
   history; the plan's own action officer sees the option, never the form.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from organizations.models import Role
from planning.models import CampaignPlan, PlanActivity, PlanState
from workflow.models import HistoryEntry

from .test_campaign_plan_route import choose_country, open_from_start_page, state_of, transition_button

AO, REV = Role.ACTION_OFFICER, Role.REVIEWER
SECRETARY = "Campaign plan approved by the Secretary of Defense (practice)"
TITLE = "Baltic air defense staff exercise"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_plan(page, plan):
    page.goto(reverse("admin:planning_campaignplan_change", args=[plan.pk]))
    expect(page.locator("#workflow-state")).to_be_visible()


def test_encl2_10b_the_action_officer_adds_an_activity_under_an_objective_and_its_function_coordinates(
        browser, world, person):
    plan = world.ready_plan()  # OBJ-1, Poland as partner, 2027-01-01 to 2032-01-01
    owner = person(world.user("EUCOM", AO))

    # 1. The action officer opens the draft and adds an activity under OBJ-1.
    page = browser.sign_in(owner)
    open_plan(page, plan)
    expect(state_of(page)).to_have_text("Draft")
    activities = page.locator("#activities-group")
    expect(activities.locator("h2")).to_have_text("Activities (under the objectives, portion-marked)")
    expect(activities.locator(".inline-related:not(.empty-form)")).to_have_count(0)
    activities.locator(".add-row a").click()
    page.select_option("#id_activities-0-objective", label="OBJ-1 Interoperable air defense")
    page.fill("#id_activities-0-title", TITLE)
    page.fill("#id_activities-0-description", "Staff-level exercise of the air defense cell (training data).")
    choose_country(page, "#id_activities-0-partner", "Pol", "Poland")
    page.fill("#id_activities-0-start_date", "2027-03-01")
    page.fill("#id_activities-0-end_date", "2027-04-30")
    page.locator("#id_activities-0-functions").get_by_label("Special operations").check()
    browser.step("activity-filled")
    page.click("input[name=_continue]")
    expect(page.locator("ul.messagelist")).to_contain_text("was changed successfully")
    expect(page.locator("ul.errorlist")).to_have_count(0)

    # ... and sees it on the page, as saved.
    row = page.locator("#activities-0")
    expect(row.locator(".inline_label")).to_have_text(TITLE)
    expect(page.locator("#id_activities-0-title")).to_have_value(TITLE)
    expect(page.locator("#id_activities-0-objective option:checked")).to_have_text("OBJ-1 Interoperable air defense")
    expect(page.locator("#id_activities-0-partner + .select2 .select2-selection__rendered")).to_contain_text("Poland")
    expect(page.locator("#id_activities-0-start_date")).to_have_value("2027-03-01")
    expect(page.locator("#id_activities-0-functions").get_by_label("Special operations")).to_be_checked()
    expect(page.locator("#id_activities-0-functions").get_by_label("Cyberspace")).not_to_be_checked()
    browser.step("activity-saved")

    # 2. A second save with the activity running past the plan's period is refused by row; what
    # was typed stays on the form, and nothing is saved.
    page.fill("#id_activities-0-title", TITLE + " (extended)")
    page.fill("#id_activities-0-end_date", "2032-06-30")
    page.click("input[name=_continue]")
    expect(page.locator(".errornote")).to_be_visible()
    expect(row).to_contain_text(
        f"Activity 1 (\u201c{TITLE} (extended)\u201d) ends 2032-06-30, outside the plan's period "
        "(2027-01-01 to 2032-01-01).")
    expect(page.locator("#id_activities-0-title")).to_have_value(TITLE + " (extended)")
    expect(page.locator("#id_activities-0-end_date")).to_have_value("2032-06-30")
    expect(page.locator("#id_activities-0-functions").get_by_label("Special operations")).to_be_checked()
    browser.step("activity-refused")

    # 3. Back within the period but marked CUI, beyond what the officer (no clearance recorded) may
    # read: refused beside the row's marking, the mark as chosen kept, the plan unchanged.
    page.fill("#id_activities-0-end_date", "2027-04-30")
    page.select_option("#id_activities-0-classification", "CUI")
    page.click("input[name=_continue]")
    expect(page.locator(".errornote")).to_be_visible()
    expect(row).to_contain_text("You may not mark a plan CUI")
    expect(page.locator("#id_activities-0-classification")).to_have_value("CUI")
    expect(page.locator("#id_activities-0-title")).to_have_value(TITLE + " (extended)")
    browser.step("activity-mark-refused")
    assert CampaignPlan.objects.get(pk=plan.pk).classification == "U"

    # 4. Nothing of the refused saves was stored (the activity is the plan's by its ``Plan`` key,
    # ``plan_ptr_id``, which differs from ``plan.pk`` once other plans were made). Back on the plan
    # as saved, the action officer submits it: Special Operations Command is tasked for the
    # activity's function, with the reason naming the activity and its objective.
    saved = PlanActivity.objects.get(plan=plan.plan_ptr_id)
    assert (saved.title, str(saved.end_date)) == (TITLE, "2027-04-30")
    open_plan(page, plan)
    expect(page.locator("#id_activities-0-end_date")).to_have_value("2027-04-30")
    transition_button(page, "Submit for coordination").click()
    expect(page.locator("ul.messagelist")).to_contain_text("The campaign plan is now in coordination.")
    expect(state_of(page)).to_have_text("In coordination")
    socom = page.locator("#workflow-taskers tr", has_text="SOCOM")
    expect(socom).to_have_count(1)
    expect(socom).to_contain_text(
        f"function: special operations (activity \u201c{TITLE}\u201d of objective OBJ-1) "
        "(DoDD 5132.03 Encl. 2, 10.b)")
    browser.step("submitted-socom-tasked")

    # 5. SOCOM's reviewer finds the tasker on the start page and opens the plan.
    page = browser.sign_in(person(world.user("SOCOM", REV)))
    open_from_start_page(page, plan)
    expect(page.locator("#workflow-state")).to_contain_text("Answer for SOCOM (coordination)")
    expect(page.locator("#activities-group")).to_contain_text(TITLE)
    browser.step("socom-opens-plan")


def test_encl2_10a_the_policy_office_sets_the_higher_approval_route_option_on_the_route_panel(
        browser, world, person):
    plan = world.ready_plan()
    owner = person(world.user("EUCOM", AO))
    policy = person(world.user("USD(P)", AO))

    # 1. The plan's own action officer sees the default route and no form to choose another.
    page = browser.sign_in(owner)
    open_plan(page, plan)
    route = page.locator("#workflow-route-panel #plan-route-option")
    expect(route).to_contain_text("Route: the default route of this kind")
    expect(page.locator("#plan-route-option-form")).to_have_count(0)
    expect(page.get_by_role("button", name="Set the route")).to_have_count(0)
    approval_box = page.locator("#workflow-diagram-box svg [data-state=approved]")
    expect(approval_box).to_contain_text("Approved")
    expect(approval_box).not_to_contain_text("Approval: the policy office")
    browser.step("owner-default-route")

    # 2. The policy office opens the draft and chooses the Secretary's approval.
    page = browser.sign_in(policy)
    open_plan(page, plan)
    form = page.locator("#workflow-route-panel #plan-route-option-form")
    expect(form).to_be_visible()
    expect(form).to_contain_text("Choose the route (the office that owns the procedure, before submission)")
    default = form.get_by_label("Campaign plan (DoDD 5132.03 default) (default)")
    expect(default).to_be_checked()
    expect(form.locator("label", has_text="(default)")).to_contain_text("Encl. 2, 10.a")
    expect(form.locator("label", has_text=SECRETARY)).to_contain_text("Practice (not DoDD 5132.03)")
    browser.step("policy-route-form")
    form.get_by_label(SECRETARY).check()
    form.get_by_role("button", name="Set the route").click()
    expect(page.locator("ul.messagelist")).to_contain_text(f"Route option set: {SECRETARY}.")

    # ... sees the option with its citation in the Route panel, checked in the form, and in the history.
    route = page.locator("#workflow-route-panel #plan-route-option")
    expect(route.locator("p").first).to_contain_text(f"Route option: {SECRETARY}")
    expect(route.locator("p .wf-citation").first).to_contain_text("Practice (not DoDD 5132.03)")
    expect(page.locator("#plan-route-option-form").get_by_label(SECRETARY)).to_be_checked()
    approval_box = page.locator("#workflow-diagram-box svg [data-state=approved]")
    expect(approval_box).to_contain_text("Approval: the policy office")
    expect(approval_box).to_contain_text("Practice (not DoDD 5132.03)")
    history = page.locator("#workflow-history .wf-timeline")
    expect(history).to_contain_text(f"Route option set by USD(P): {SECRETARY} (Practice (not DoDD 5132.03)")
    expect(history).to_contain_text("usdp_action_officer")
    browser.step("policy-route-set")
    assert CampaignPlan.objects.get(pk=plan.pk).route.name == SECRETARY

    # 3. The owner's action officer sees the option and its citation and the history, still no form.
    page = browser.sign_in(owner)
    open_plan(page, plan)
    route = page.locator("#workflow-route-panel #plan-route-option")
    expect(route).to_contain_text(f"Route option: {SECRETARY}")
    expect(route).to_contain_text("Practice (not DoDD 5132.03)")
    expect(route).not_to_contain_text("the default route of this kind")
    expect(page.locator("#plan-route-option-form")).to_have_count(0)
    expect(page.locator("#workflow-history .wf-timeline")).to_contain_text(f"Route option set by USD(P): {SECRETARY}")
    expect(state_of(page)).to_have_text("Draft")
    browser.step("owner-sees-route-option")
    assert HistoryEntry.objects.filter(object_id=plan.pk, action="route_option_set").count() == 1
    assert CampaignPlan.objects.get(pk=plan.pk).state == PlanState.DRAFT
