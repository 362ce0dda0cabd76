"""The plan's admin page as staff use it: transitions with reasons, answers, adjudication,
the comment matrix download, and need-to-know (a plan you may not see is a 404)."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from organizations.models import Role
from planning.models import CampaignPlan, PlanState
from workflow.models import Response
from workflow.selectors import comment_resolution, comments_of, open_taskers

AO, REV = Role.ACTION_OFFICER, Role.REVIEWER
ONE_COMMENT_ROW = {"comments-TOTAL_FORMS": "1", "comments-INITIAL_FORMS": "0"}  # the answer form's rows


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def change_url(plan):
    return reverse("admin:planning_campaignplan_change", args=[plan.pk])


@pytest.fixture
def plan(world):
    return world.ready_plan()


def test_change_page_shows_the_allowed_transition_and_the_reasons_for_the_others(world, plan):
    page = client_for(world.user("EUCOM", AO)).get(change_url(plan))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="submit"' in html and "Submit for coordination" in html
    assert "Not possible while the campaign plan is draft." in html
    assert "UNCLASSIFIED — TRAINING DATA" in html


def test_submitting_from_the_page_moves_the_plan_and_a_refusal_is_shown_in_words(world, plan):
    client = client_for(world.user("EUCOM", AO))
    url = reverse("admin:planning_campaignplan_transition", args=[plan.pk, "send_to_review"])
    response = client.post(url, {"expected_state": "draft"}, follow=True)
    assert "Not possible while the campaign plan is draft." in response.content.decode()
    url = reverse("admin:planning_campaignplan_transition", args=[plan.pk, "submit"])
    client.post(url, {"expected_state": "draft"})
    assert CampaignPlan.objects.get(pk=plan.pk).state == PlanState.COORDINATION


def test_a_stale_page_gets_a_conflict_message_and_nothing_changes(world, plan):
    client = client_for(world.user("EUCOM", AO))
    url = reverse("admin:planning_campaignplan_transition", args=[plan.pk, "withdraw"])
    response = client.post(url, {"expected_state": "coordination", "comment": "x", "confirmed": "yes"}, follow=True)
    assert "Someone else changed this campaign plan" in response.content.decode()
    assert CampaignPlan.objects.get(pk=plan.pk).state == PlanState.DRAFT


def test_a_coordinator_answers_and_the_owner_adjudicates_from_the_page(world, plan):
    owner = client_for(world.user("EUCOM", AO))
    owner.post(reverse("admin:planning_campaignplan_transition", args=[plan.pk, "submit"]))
    tasker = open_taskers(plan).get(organization=world.orgs["DON"])
    navy = client_for(world.user("DON", REV))
    assert f'id="respond-{tasker.pk}"' in navy.get(change_url(plan)).content.decode()
    navy.post(reverse("admin:planning_campaignplan_respond", args=[plan.pk, tasker.pk]), {
        "response": "nonconcur", "rationale": "Double-counted", **ONE_COMMENT_ROW, "comments-0-category": "critical",
        "comments-0-section": "3.a", "comments-0-text": "Remove 3.a", "comments-0-proposed_change": "Delete"})
    tasker.refresh_from_db()
    assert tasker.response == Response.NONCONCUR
    comment = comments_of(plan).get()
    owner.post(reverse("admin:planning_campaignplan_adjudicate", args=[plan.pk, comment.pk]),
               {"decision": "accepted", "rationale": ""})
    comment.refresh_from_db()
    assert comment.decision == "accepted"
    workbook = openpyxl.load_workbook(io.BytesIO(owner.get(
        reverse("admin:planning_campaignplan_comments_xlsx", args=[plan.pk])).content))
    rows = list(workbook.active.iter_rows(min_row=4, values_only=True))
    header = [cell.value for cell in workbook.active[3]]
    row = dict(zip(header, rows[0], strict=True))
    assert (row["Organization"], row["Category"], row["Section"], row["Comment"]) == ("DON", "Critical", "3.a",
                                                                                      "Remove 3.a")
    assert row["Proposed change"] == "Delete" and row["Decision"] == "Accepted"
    assert row["Where it stands"] == comment_resolution(comment)  # the same words as the page's matrix and the API


def test_a_plan_the_user_may_not_see_does_not_exist_for_them(world, plan):
    outsider = client_for(world.user("SOCOM", AO))
    assert outsider.get(change_url(plan)).status_code in (302, 404)
    assert outsider.get(reverse("admin:planning_campaignplan_comments_xlsx", args=[plan.pk])).status_code == 404
    response = outsider.post(reverse("admin:planning_campaignplan_transition", args=[plan.pk, "withdraw"]),
                             {"comment": "x"})
    assert response.status_code == 404
    listing = outsider.get(reverse("admin:planning_campaignplan_changelist"))
    assert plan.title not in listing.content.decode()
    assert CampaignPlan.objects.get(pk=plan.pk).state == PlanState.DRAFT


def test_my_taskers_lists_the_open_taskers_of_my_organizations_only(world, plan):
    client_for(world.user("EUCOM", AO)).post(
        reverse("admin:planning_campaignplan_transition", args=[plan.pk, "submit"]))
    army = client_for(world.user("DA", REV)).get(reverse("admin:workflow_tasker_changelist")).content.decode()
    assert plan.title in army
    socom = client_for(world.user("SOCOM", REV)).get(reverse("admin:workflow_tasker_changelist")).content.decode()
    assert plan.title not in socom


def test_list_exports_carry_the_banner_and_only_what_the_user_may_see(world, plan):
    import csv as csv_module

    from planning.models import CampaignPlan
    from security.models import AuditAction, AuditEvent

    secret = world.ready_plan()
    CampaignPlan.objects.filter(pk=secret.pk).update(title="Secret plan", classification="S", classified_by="t",
                                                     derived_from="t", declassify_on="t")
    officer = client_for(world.user("EUCOM", AO))  # no security profile: UNCLASSIFIED, U.S.
    response = officer.post(reverse("admin:planning_campaignplan_changelist"), {
        "action": "export_csv", "_selected_action": [plan.pk, secret.pk]})
    rows = list(csv_module.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["UNCLASSIFIED"] and rows[-1] == ["UNCLASSIFIED"]
    titles = [row[1] for row in rows[3:-1]]
    assert titles == [plan.title]
    workbook = openpyxl.load_workbook(io.BytesIO(officer.post(reverse("admin:planning_campaignplan_changelist"), {
        "action": "export_xlsx", "_selected_action": [plan.pk]}).content))
    assert workbook.active["B4"].value == plan.title and workbook.active["A4"].value == "(U)"
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, description__contains="CSV").exists()


def test_my_taskers_export_as_csv(world, plan):
    client_for(world.user("EUCOM", AO)).post(
        reverse("admin:planning_campaignplan_transition", args=[plan.pk, "submit"]))
    army = client_for(world.user("DA", REV))
    tasker = open_taskers(plan).get(organization=world.orgs["DA"])
    response = army.post(reverse("admin:workflow_tasker_changelist"),
                         {"action": "export_csv", "_selected_action": [tasker.pk]})
    text = response.content.decode()
    assert text.splitlines()[0] == "UNCLASSIFIED" and plan.title in text and "Coordination" in text


def test_the_overdue_filter_lists_only_plans_with_an_open_tasker_past_its_suspense(world, plan):
    import datetime

    from workflow.models import Tasker

    late = world.ready_plan()
    client = client_for(world.user("EUCOM", AO))
    for document in (plan, late):
        client.post(reverse("admin:planning_campaignplan_transition", args=[document.pk, "submit"]))
    CampaignPlan.objects.filter(pk=late.pk).update(title="Late plan")
    Tasker.objects.filter(object_id=late.pk, organization=world.orgs["DA"]).update(suspense=datetime.date(2020, 1, 2))
    html = client.get(reverse("admin:planning_campaignplan_changelist") + "?overdue=yes").content.decode()
    assert "Late plan" in html and plan.title not in html
