"""Offices through time wherever an office of the directive appears (issue #22, point 2; DoDD
5132.03 Encl. 2, 3.a names USD(AT&L), abolished on 1 February 2018): pages and the API name the
office holding the duty today with the directive's beside it ("USD(A&S), formerly USD(AT&L)"),
read once a page; the history keeps the name used at the time."""

from __future__ import annotations

import datetime
import html
import re

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from api.services import api_token_issue
from organizations.models import Organization, OrganizationKind, OrganizationSuccession, Role
from organizations.services import organization_update
from workflow.models import Response, Step, Tasker
from workflow.selectors import history_of

from .test_plan_workflow import act, answer

AO, REV = Role.ACTION_OFFICER, Role.REVIEWER
NDAA = ("National Defense Authorization Act for Fiscal Year 2017, Pub. L. 114-328, § 901 (23 December 2016), "
        "effective 1 February 2018")
FORMERLY = "USD(A&S), formerly USD(AT&L)"


def succeed_atl(world) -> None:
    """USD(AT&L)'s duties pass to USD(A&S) and USD(R&E) on 1 Feb 2018 (as the reference data has it)."""
    osd = Organization.objects.create(acronym="OSD", name="OSD (test)", kind=OrganizationKind.OTHER)
    for acronym in ("USD(A&S)", "USD(R&E)"):
        world.orgs[acronym] = Organization.objects.create(
            acronym=acronym, name=f"{acronym} (test)", kind=OrganizationKind.OSD_PSA, parent=osd,
            active_from=datetime.date(2018, 2, 1))
        OrganizationSuccession.objects.create(predecessor=world.orgs["USD(AT&L)"], successor=world.orgs[acronym],
                                              start=datetime.date(2018, 2, 1), duties="test duties", source=NDAA)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return html.unescape(response.content.decode())


def _submitted(world):
    succeed_atl(world)
    plan = act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    return plan, Tasker.objects.get(organization=world.orgs["USD(A&S)"], step=Step.COORDINATION)


def test_3a_the_plan_page_names_the_successor_with_the_directives_office_in_rows_and_diagram(world):
    plan, tasker = _submitted(world)
    page = text_of(client_for(world.user("EUCOM", AO)).get(
        reverse("admin:planning_campaignplan_change", args=[plan.pk])))
    row = re.search(rf'<tr id="tasker-{tasker.pk}">.*?</tr>', page, re.S).group(0)
    assert f"<td>{FORMERLY}</td>" in row
    assert "holds the duties of USD(AT&L), named by the route" in row  # why it was tasked
    [tooltip] = [t for t in re.findall(r"<title>([^<]*)</title>", page) if "Coordination: " in t]
    assert f"Coordination: {FORMERLY}" in tooltip and "Coordination: USD(R&E), formerly USD(AT&L)" in tooltip
    assert "<td>DA</td>" in page  # an office that did not change reads as before


def test_3a_the_help_page_shows_the_route_as_it_runs_today_and_each_succession_with_its_source(world):
    succeed_atl(world)
    page = text_of(client_for(world.user("EUCOM", AO)).get(
        reverse("admin:workflow_help", args=["planning", "campaignplan"])))
    route = re.search(r'<table class="wf-table" id="workflow-route-authority">.*?</table>', page, re.S).group(0)
    assert f"Coordination: {FORMERLY}" in route and "Coordination: USD(R&E), formerly USD(AT&L)" in route
    successions = re.search(r'<table class="wf-table" id="workflow-successions">.*?</table>', page, re.S).group(0)
    assert "<td>1 February 2018</td><td>USD(AT&L)</td><td>USD(A&S)</td>" in successions
    assert NDAA in successions


def test_3a_the_tasker_list_and_my_work_name_the_successor_with_the_directives_office(world):
    _plan, tasker = _submitted(world)
    reviewer = client_for(world.user("USD(A&S)", REV))
    listing = text_of(reviewer.get(reverse("admin:workflow_tasker_changelist")))
    assert f'<td class="field-organization">{FORMERLY}</td>' in listing
    work = text_of(reviewer.get(reverse("admin:my_work")))
    assert f"<td>{FORMERLY}</td>" in work
    assert f'<option value="{tasker.organization_id}">{FORMERLY}</option>' in work  # the filter, too


def test_3a_the_api_keeps_the_acronym_and_adds_the_label_beside_it(world):
    _plan, tasker = _submitted(world)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=world.user('USD(A&S)', REV)).key}")
    rows = {row["id"]: row for row in client.get(reverse("api:tasker-list")).json()["results"]}
    assert (rows[tasker.pk]["organization"], rows[tasker.pk]["organization_label"]) == ("USD(A&S)", FORMERLY)
    detail = client.get(reverse("api:tasker-detail", args=[tasker.pk])).json()
    assert detail["organization_label"] == FORMERLY
    [item] = [i for i in client.get(reverse("api:my-work")).json()["results"] if i["tasker"] == tasker.pk]
    assert (item["organization"], item["organization_label"]) == ("USD(A&S)", FORMERLY)


def test_3a_the_api_labels_a_page_of_organizations_in_one_query_whatever_its_length(world):
    succeed_atl(world)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=world.user('EUCOM', AO)).key}")
    url = reverse("api:organization-list")
    counts = []
    for size in (2, 8):
        with CaptureQueriesContext(connection) as context:
            rows = client.get(url, {"page_size": size}).json()["results"]
        assert len(rows) == size
        counts.append(sum(1 for q in context.captured_queries if "organizationsuccession" in q["sql"]))
    assert counts == [1, 1]
    everyone = {row["acronym"]: row for row in client.get(url, {"page_size": 100}).json()["results"]}
    assert everyone["USD(A&S)"]["organization_label"] == FORMERLY
    assert everyone["USD(AT&L)"]["organization_label"] == "USD(AT&L)"  # the directive's own office
    assert everyone["DA"]["organization_label"] == "DA"


def test_3a_a_history_entry_written_before_a_rename_keeps_the_name_used_at_the_time(world):
    """The page names DA by its new name; what DA did before the rename still reads "DA"."""
    plan = act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    answer(world, plan, "DA", Response.CONCUR)
    organization_update(organization=world.orgs["DA"], data={"current_acronym": "DAF"})
    page = text_of(client_for(world.user("EUCOM", AO)).get(
        reverse("admin:planning_campaignplan_change", args=[plan.pk])))
    tasker = Tasker.objects.get(organization=world.orgs["DA"], step=Step.COORDINATION)
    row = re.search(rf'<tr id="tasker-{tasker.pk}">.*?</tr>', page, re.S).group(0)
    assert "<td>DAF, formerly DA</td>" in row
    entry = history_of(plan).get(action="tasker_answered")
    assert entry.description == "DA answered concur"
    history = re.search(r'<details[^>]*id="workflow-history".*?</details>', page, re.S).group(0)
    assert "DA answered concur" in history and "DAF answered" not in history


def test_3a_history_names_who_acted_for_whom_by_the_acronym_used_then_after_an_acronym_changes(world):
    """The reference data renames an office by its acronym too (the earlier one kept in its name
    history): the history still says the reviewer acted for "DA", as they did."""
    plan = act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    answer(world, plan, "DA", Response.CONCUR)
    organization_update(organization=world.orgs["DA"], data={"acronym": "DAF"})
    entry = history_of(plan).get(action="tasker_answered")
    assert entry.actor_label == "da_reviewer for DA"
    page = text_of(client_for(world.user("EUCOM", AO)).get(
        reverse("admin:planning_campaignplan_change", args=[plan.pk])))
    history = re.search(r'<details[^>]*id="workflow-history".*?</details>', page, re.S).group(0)
    assert "da_reviewer for DA" in history and "for DAF" not in history
