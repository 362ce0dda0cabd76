"""GET /api/v1/my-work/: the same items as the admin's My work (one service,
``workflow.inbox.my_work``), a page at a time, filtered, in the OpenAPI schema, with
problem+json for what it does not take."""

from __future__ import annotations

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from tests.workflow.helpers import act, in_coordination
from workflow.inbox import my_work
from workflow.models import Tasker

from .conftest import AO, APP, REV

URL = "/api/v1/my-work/"


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def test_the_api_lists_the_same_items_as_the_admin(world, as_member):
    plan = in_coordination(world)
    body = as_member("EUCOM", APP).get(URL).json()
    items = my_work(world.user("EUCOM", APP)).items
    assert body["count"] == len(items) == 1
    [item] = body["results"]
    assert item["what"] == "decide" and item["kind"] == "campaign_plan" and item["kind_label"] == "Campaign plan"
    assert item["document"] == {"type": "campaign-plans", "id": plan.pk}
    assert item["title"] == plan.title and item["organization"] == "EUCOM"
    assert item["actions"] == ["Adjudicate 1 comment", "Elevate non-concurrence to review"] == items[0].actions
    assert (item["due"], item["due_state"], item["due_words"], item["tasker"]) == (None, "none", "No suspense", None)
    assert item["page_url"].endswith(f"/admin/planning/campaignplan/{plan.pk}/change/#workflow-comments")


def test_a_coordinators_tasker_with_its_suspense_in_words_filtered_and_paged(world, as_member):
    first = act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    second = act(world.ready_plan(owner="CENTCOM", partners=("IL",)), "submit", world.user("CENTCOM", AO))
    today = timezone.localdate()
    Tasker.objects.filter(object_id=first.pk, organization=world.orgs["DA"]).update(
        suspense=today - datetime.timedelta(days=3))
    client = as_member("DA", REV)
    page = client.get(URL, {"page_size": 1}).json()
    assert (page["count"], page["page"], page["pages"], page["previous"]) == (2, 1, 2, None)
    [item] = page["results"]
    tasker = Tasker.objects.get(object_id=first.pk, organization=world.orgs["DA"])
    assert (item["what"], item["tasker"], item["due_state"], item["due_words"], item["actions"]) == (
        "answer", tasker.pk, "overdue", "Overdue 3 days", ["Answer"])
    assert item["due"] == tasker.suspense.isoformat()
    following = client.get(page["next"]).json()
    assert [i["document"]["id"] for i in following["results"]] == [second.pk] and following["next"] is None
    assert [i["document"]["id"] for i in client.get(URL, {"due": "overdue"}).json()["results"]] == [first.pk]
    assert client.get(URL, {"kind": "assessment"}).json()["count"] == 0
    assert client.get(URL, {"organization": "DON"}).json()["count"] == 0
    assert client.get(URL, {"organization": "DA", "sort": "-due"}).json()["results"][0]["document"]["id"] == second.pk


def test_what_it_does_not_take_is_a_400_naming_the_parameter(world, as_member):
    client = as_member("DA", REV)
    for query, named in (({"due": "perhaps"}, "due"), ({"kind": "memo"}, "kind"), ({"sort": "title"}, "sort"),
                         ({"page_size": "500"}, "page_size"), ({"page": "0"}, "page"),
                         ({"organization": "NOPE"}, "organization"), ({"organization": "D\x00A"}, "organization"),
                         ({"stat": "draft"}, "stat")):
        body = problem(client.get(URL, query), 400)
        assert named in body["errors"], (query, body)


def test_it_answers_people_who_work_here_only(world):
    assert problem(APIClient().get(URL), 401)["status"] == 401


def test_the_schema_describes_it(world):
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/my-work/"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"kind", "organization", "due", "sort", "page", "page_size"}
    assert "200" in operation["responses"]
    index = APIClient().get("/api/v1/").json()
    assert index["collections"]["my-work"].endswith(URL)


def test_its_queries_do_not_grow_with_the_items(world, as_member):
    client = as_member("EUCOM", APP)
    counts = []
    for plans in (1, 4):
        for _ in range(plans):
            in_coordination(world)
        client.get(URL)
        with CaptureQueriesContext(connection) as context:
            assert client.get(URL).status_code == 200
        counts.append(len([q for q in context.captured_queries if "SAVEPOINT" not in q["sql"]]))
    assert counts[0] == counts[1] <= 15, counts
    assert client.get(URL).json()["count"] == 5  # one plan waiting for the approver each
