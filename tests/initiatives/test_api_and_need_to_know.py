"""Initiatives and evaluations through the API (with its OpenAPI description), and on every
channel only for those who may see them: the admin list, the API, the history, My work."""

from __future__ import annotations

import datetime

import time_machine
from rest_framework.test import APIClient

from api.services import api_token_issue
from initiatives.models import Initiative, MonitoringEntry
from organizations.models import Role
from workflow.inbox import my_work
from workflow.services import transition_perform

from .conftest import DESIGN, INDICATORS

AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER
NOW = datetime.datetime(2026, 11, 30, 17, 0, tzinfo=datetime.UTC)
V1 = "/api/v1/initiatives"


def api(world, acronym, role) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=world.user(acronym, role)).key}")
    return client


def _payload(world, **changes):
    indicators = [{**row, "baseline_on": row["baseline_on"].isoformat()} for row in INDICATORS]
    return {**DESIGN, "objective": world.objective.pk, "partner": "TR", "program": "BPC", "indicators": indicators,
            **changes}


@time_machine.travel(NOW, tick=False)
def test_create_through_the_api_follow_the_route_and_record_monitoring(world):
    planner = api(world, "EUCOM", AO)
    created = planner.post(f"{V1}/", _payload(world), format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["owner"], body["administering_office"], body["state"]) == ("EUCOM", "DSCA", "draft")
    pk = body["id"]
    assert planner.post(f"{V1}/{pk}/transitions/submit/", {}, format="json").json()["state"] == "concurrence"
    assert api(world, "EUCOM", APP).post(f"{V1}/{pk}/transitions/concur/", {}, format="json").json()["state"] == \
        "approval"
    assert api(world, "DSCA", APP).post(f"{V1}/{pk}/transitions/approve/", {}, format="json").json()["state"] == \
        "approved"
    indicator = body["indicators"][0]["id"]
    other = world.initiative(title="Another")  # a draft of the same command: its indicator is not this one's
    refused = planner.post(f"{V1}/{pk}/monitoring-entries/", {
        "indicator": other.indicators.first().pk, "period_end": "2026-11-15", "value": "3"}, format="json")
    assert refused.status_code == 400 and refused["Content-Type"] == "application/problem+json"
    assert "is not in the monitoring plan" in refused.json()["errors"]["indicator"][0]
    recorded = planner.post(f"{V1}/{pk}/monitoring-entries/", {"indicator": indicator, "period_end": "2026-11-15",
                                                                "value": "3"}, format="json")
    assert recorded.status_code == 201, recorded.content
    assert planner.get(f"{V1}/{pk}/").json()["monitoring_entries"][0]["value"] == "3.00"
    history = [entry["description"] for entry in planner.get(f"{V1}/{pk}/history/").json()]
    assert any(line.startswith("Monitoring: Maritime patrol crews certified = 3") for line in history)


@time_machine.travel(NOW, tick=False)
def test_bad_input_is_refused_beside_its_field_and_saves_nothing(world):
    planner = api(world, "EUCOM", AO)
    answer = planner.post(f"{V1}/", _payload(world, start_fiscal_year=2029, end_fiscal_year=2027,
                                             estimated_cost="-1"), format="json")
    assert answer.status_code == 400 and answer["Content-Type"] == "application/problem+json"
    errors = answer.json()["errors"]
    assert "comes before the first" in errors["end_fiscal_year"][0]
    assert errors["estimated_cost"] == ["The estimated cost cannot be negative."]
    assert not Initiative.objects.exists()
    outsider = api(world, "CENTCOM", AO).post(f"{V1}/", _payload(world), format="json")
    assert outsider.status_code == 403
    initiative = transition_perform(document=world.initiative(), name="submit", by=world.user("EUCOM", AO))
    late = planner.patch(f"{V1}/{initiative.pk}/", {"title": "Changed"}, format="json")
    assert late.status_code == 409
    early = planner.post(f"{V1}/{initiative.pk}/monitoring-entries/", {
        "indicator": initiative.indicators.first().pk, "period_end": "2026-11-15", "value": "3"}, format="json")
    assert early.status_code == 409 and not MonitoringEntry.objects.exists()  # not approved yet


@time_machine.travel(NOW, tick=False)
def test_an_unrelated_command_sees_nothing_anywhere_and_the_commander_finds_it_in_my_work(world, client):
    initiative = transition_perform(document=world.initiative(), name="submit", by=world.user("EUCOM", AO))
    outsider = api(world, "CENTCOM", APP)
    assert outsider.get(f"{V1}/").json()["results"] == []
    assert outsider.get(f"{V1}/{initiative.pk}/").status_code == 404
    assert outsider.get(f"{V1}/{initiative.pk}/history/").status_code == 404
    client.force_login(world.user("CENTCOM", APP))
    listing = client.get("/admin/initiatives/initiative/")
    assert listing.status_code == 200 and initiative.title not in listing.content.decode()
    assert client.get(f"/admin/initiatives/initiative/{initiative.pk}/change/").status_code in (302, 404)
    mine = [item for item in my_work(world.user("EUCOM", APP)).items
            if item.kind == "initiative" and item.document_id == initiative.pk]
    assert [(item.what, item.actions[0]) for item in mine] == [("decide", "Concur and send to the administering office")]
    # The planners have nothing to decide until the commander has.
    assert not [item for item in my_work(world.user("EUCOM", AO)).items if item.kind == "initiative"]
    assert not [item for item in my_work(world.user("CENTCOM", APP)).items if item.kind == "initiative"]


def test_both_kinds_are_in_the_openapi_description(world):
    text = api(world, "DSCA", REV).get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/initiatives/{id}/transitions/{name}/" in text
    assert "/api/v1/initiatives/{id}/monitoring-entries/" in text
    assert "/api/v1/initiative-evaluations/{id}/transitions/{name}/" in text
    assert "nonconcur" in text and "send_for_approval" in text


@time_machine.travel(NOW, tick=False)
def test_the_export_holds_only_what_the_reader_may_see_under_its_banner(world, client):
    import csv
    import io

    mine = world.initiative()
    secret = world.initiative(title="Secret initiative", classification="S")
    client.force_login(world.user("EUCOM", REV, clearance="C"))
    answer = client.post("/admin/initiatives/initiative/", {
        "action": "export_csv", "_selected_action": [mine.pk, secret.pk]})
    lines = list(csv.reader(io.StringIO(answer.content.decode())))
    assert lines[0] == ["UNCLASSIFIED"] and lines[-1] == ["UNCLASSIFIED"]
    assert [line[1] for line in lines[3:-1]] == [mine.title]  # the secret one is not even selectable
