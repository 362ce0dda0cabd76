"""Need-to-know on every channel (admin list and page, export, the API), the API's requests
(create, read, change, transitions with reasons, refusals as problem+json, the OpenAPI
description), and the Chairman's force/activity designators: assigned with effective dates and
rationale (history kept), only by the Chairman's office, and shown wherever a partner appears."""

from __future__ import annotations

import datetime
import io

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import load_workbook
from rest_framework.test import APIClient

from api.services import api_token_issue
from materiel.models import MaterielDiversionRequest
from organizations.models import FADAssignment, Role
from organizations.selectors import fad_of_country
from organizations.services import fad_assign
from workflow.services import transition_perform

AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER
NOW = datetime.datetime(2026, 11, 30, 17, 0, tzinfo=datetime.UTC)
V1 = "/api/v1/materiel-diversion-requests"
FADS = "/api/v1/force-activity-designators"


def api(world, acronym, role) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=world.user(acronym, role)).key}")
    return client


def _submitted(world):
    return transition_perform(document=world.request(), name="submit", by=world.user("EUCOM", AO))


@time_machine.travel(NOW, tick=False)
def test_another_command_sees_nothing_anywhere(world, client):
    request = _submitted(world)
    outsider = world.user("INDOPACOM", APP)
    client.force_login(outsider)
    listing = client.get("/admin/materiel/materieldiversionrequest/")
    assert listing.status_code == 200 and request.title not in listing.content.decode()
    assert client.get(f"/admin/materiel/materieldiversionrequest/{request.pk}/change/").status_code in (302, 404)
    outsider_api = api(world, "INDOPACOM", APP)
    assert outsider_api.get(f"{V1}/").json()["results"] == []
    assert outsider_api.get(f"{V1}/{request.pk}/").status_code == 404
    assert outsider_api.get(f"{V1}/{request.pk}/history/").status_code == 404


@time_machine.travel(NOW, tick=False)
def test_the_requester_the_tasked_offices_and_usdp_see_it(world):
    request = _submitted(world)
    for acronym, role in (("EUCOM", AO), ("DSCA", REV), ("USD(P)", REV)):
        assert api(world, acronym, role).get(f"{V1}/{request.pk}/").status_code == 200, acronym
    # The Chairman's office once it is tasked, not before.
    assert api(world, "J5", REV).get(f"{V1}/{request.pk}/").status_code == 404
    transition_perform(document=request, name="refer_competing_needs", by=world.user("DSCA", APP),
                       comment="Competing.")
    assert api(world, "J5", REV).get(f"{V1}/{request.pk}/").status_code == 200


@time_machine.travel(NOW, tick=False)
def test_a_reader_without_the_clearance_does_not_see_a_secret_request(world, client):
    request = world.request(classification="S", title="Secret diversion")
    uncleared = world.user("EUCOM", REV, clearance="C")
    client.force_login(uncleared)
    assert "Secret diversion" not in client.get("/admin/materiel/materieldiversionrequest/").content.decode()
    reader = APIClient()
    reader.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=uncleared).key}")
    assert reader.get(f"{V1}/{request.pk}/").status_code == 404


@time_machine.travel(NOW, tick=False)
def test_create_through_the_api_then_follow_the_route(world):
    fad_assign(by=world.user("J5", APP), country=world.countries["EE"], designator="III",
               effective_from=datetime.date(2026, 1, 1), rationale="Eastern flank.")
    eucom = api(world, "EUCOM", AO)
    created = eucom.post(f"{V1}/", {"title": "Night vision for Estonia", "partner": "ee", "item": "AN/PVS-31",
                                    "quantity": 150, "source": "Theatre stocks", "urgency": "routine",
                                    "justification": "New battalions."}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["owner"], body["partner"], body["state"]) == ("EUCOM", "EE", "draft")
    assert body["partner_fad"] == {"designator": "III", "label": "FAD III", "effective_from": "2026-01-01"}
    pk = body["id"]
    options = {o["name"]: o for o in eucom.get(f"{V1}/{pk}/transitions/").json()}
    assert options["submit"]["allowed"] is True and options["approve"]["allowed"] is False
    assert eucom.post(f"{V1}/{pk}/transitions/submit/", {}, format="json").json()["state"] == "consultation"
    refused = api(world, "USD(P)", APP).post(f"{V1}/{pk}/transitions/advise/", {"comment": "x"}, format="json")
    assert refused.status_code == 403 and refused["Content-Type"] == "application/problem+json"
    assert any("DSCA" in reason for reason in refused.json()["reasons"])
    not_now = api(world, "USD(P)", APP).post(f"{V1}/{pk}/transitions/approve/", {}, format="json")
    assert not_now.status_code == 409  # USD(P) decides once DSCA has been consulted
    advised = api(world, "DSCA", APP).post(f"{V1}/{pk}/transitions/advise/", {"comment": "Stocks allow it."},
                                           format="json")
    assert advised.json()["state"] == "decision" and advised.json()["dsca_advice"] == "Stocks allow it."
    history = [entry["description"] for entry in eucom.get(f"{V1}/{pk}/history/").json()]
    assert any("DSCA" in line for line in history)


@time_machine.travel(NOW, tick=False)
def test_bad_input_is_refused_beside_the_field_and_saves_nothing(world):
    eucom = api(world, "EUCOM", AO)
    before = MaterielDiversionRequest.objects.count()
    answer = eucom.post(f"{V1}/", {"title": "x", "partner": "PL", "item": "", "quantity": 1, "source": "Stocks"},
                        format="json")
    assert answer.status_code == 400 and answer["Content-Type"] == "application/problem+json"
    assert answer.json()["errors"] == {"item": ["Name the materiel or equipment to divert."]}
    for bad in ({"quantity": 0}, {"partner": "XX"}, {"urgency": "yesterday"}, {"quantity": "many"}):
        answer = eucom.post(f"{V1}/", {"title": "x", "partner": "PL", "item": "y", "quantity": 1, "source": "z", **bad},
                            format="json")
        assert answer.status_code == 400 and set(answer.json()["errors"]) == set(bad), bad
    assert MaterielDiversionRequest.objects.count() == before


def test_only_a_commands_or_departments_writers_have_a_requesting_office(world):
    """A request names no office: the writer's own is taken, and only a combatant command's or a
    Military Department's action officer or approver has one; a reviewer there, or a defense
    agency's officer, is told so beside the office and nothing is saved."""
    before = MaterielDiversionRequest.objects.count()
    for acronym, role in (("EUCOM", REV), ("DSCA", AO), ("DLA", APP)):
        answer = api(world, acronym, role).post(f"{V1}/", {"title": "x", "partner": "PL", "item": "y", "quantity": 1,
                                                           "source": "z"}, format="json")
        assert answer.status_code == 400, acronym
        assert answer.json()["errors"] == {"owner": ["Only an action officer or approver of a combatant command or "
                                                     "Military Department writes a diversion request."]}, acronym
    assert MaterielDiversionRequest.objects.count() == before
    answer = api(world, "DA", APP).post(f"{V1}/", {"title": "x", "partner": "PL", "item": "y", "quantity": 1,
                                                   "source": "z"}, format="json")
    assert answer.status_code == 201
    assert MaterielDiversionRequest.objects.get(pk=answer.json()["id"]).owner.acronym == "DA"


@time_machine.travel(NOW, tick=False)
def test_a_change_after_submission_is_refused_as_not_now(world):
    request = _submitted(world)
    answer = api(world, "EUCOM", AO).patch(f"{V1}/{request.pk}/", {"title": "Changed"}, format="json")
    assert answer.status_code == 409
    assert MaterielDiversionRequest.objects.get(pk=request.pk).title == request.title


@time_machine.travel(NOW, tick=False)
def test_the_export_carries_the_banner_the_partners_fad_and_only_visible_rows(world, client):
    fad_assign(by=world.user("J5", APP), country=world.countries["PL"], designator="II",
               effective_from=datetime.date(2026, 1, 1), rationale="Ally.")
    mine = world.request(classification="C")
    other = world.request(owner="INDOPACOM", partner="PH", title="Engines for the Philippines")
    client.force_login(world.user("EUCOM", AO))
    answer = client.post("/admin/materiel/materieldiversionrequest/",
                         {"action": "export_xlsx", "_selected_action": [mine.pk, other.pk]})
    rows = list(load_workbook(io.BytesIO(answer.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "CONFIDENTIAL" and rows[-1][0] == "CONFIDENTIAL"
    titles = [row[1] for row in rows[3:-1]]
    assert titles == ["Interceptors for Poland"]
    assert rows[3][4].startswith("FAD II (since")


@pytest.mark.parametrize("path", ["/api/schema/"])
def test_the_kind_and_the_fads_are_in_the_openapi_description(world, path):
    text = api(world, "DSCA", REV).get(path, HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/materiel-diversion-requests/{id}/transitions/{name}/" in text
    assert "/api/v1/force-activity-designators/" in text
    assert "refer_competing_needs" in text and "recommend_priorities" in text


# --- force/activity designators ----------------------------------------------------------------

@time_machine.travel(NOW, tick=False)
def test_a_new_fad_ends_the_current_period_and_keeps_the_history(world):
    chairman = world.user("J5", APP)
    first = fad_assign(by=chairman, country=world.countries["PH"], designator="III",
                       effective_from=datetime.date(2025, 10, 1), rationale="Treaty ally.")
    second = fad_assign(by=chairman, country=world.countries["PH"], designator="II",
                        effective_from=datetime.date(2026, 2, 1), rationale="Maritime security.")
    first.refresh_from_db()
    assert first.effective_until == datetime.date(2026, 2, 1) and second.effective_until is None
    assert fad_of_country(world.countries["PH"], on=datetime.date(2026, 1, 31)).designator == "III"
    assert fad_of_country(world.countries["PH"]).designator == "II"
    assert second.assigned_for == world.orgs["J5"]
    history = api(world, "EUCOM", AO).get(f"{FADS}/?country=ph").json()["results"]
    assert [(row["designator"], row["effective_until"]) for row in history] == [("II", None), ("III", "2026-02-01")]
    current = api(world, "EUCOM", AO).get(f"{FADS}/?current=true").json()["results"]
    assert [(row["partner"], row["label"]) for row in current] == [("Philippines", "FAD II")]


@time_machine.travel(NOW, tick=False)
def test_only_the_chairmans_office_assigns_fads(world):
    for acronym, role in (("J5", REV), ("DSCA", APP), ("USD(P)", APP), ("EUCOM", APP)):
        with pytest.raises(PermissionDenied):
            fad_assign(by=world.user(acronym, role), country=world.countries["JO"], designator="I",
                       effective_from=datetime.date(2026, 1, 1), rationale="x")
        answer = api(world, acronym, role).post(f"{FADS}/", {"country": "JO", "designator": "I",
                                                             "effective_from": "2026-01-01", "rationale": "x"},
                                                format="json")
        assert answer.status_code == 403, (acronym, role)
    assert not FADAssignment.objects.exists()
    answer = api(world, "J5", APP).post(f"{FADS}/", {"partner_organization": "NATO Support and Procurement Agency",
                                                     "designator": "III", "effective_from": "2026-01-01",
                                                     "rationale": "Allied sustainment."}, format="json")
    assert answer.status_code == 201, answer.content
    assert (answer.json()["partner"], answer.json()["assigned_for"]) == ("NATO Support and Procurement Agency", "J5")


@time_machine.travel(NOW, tick=False)
def test_bad_fad_input_is_refused_beside_its_field(world):
    chairman = world.user("J5", APP)
    with pytest.raises(ValidationError) as refused:
        fad_assign(by=chairman, designator="VI", effective_from=None, rationale=" ")
    assert set(refused.value.message_dict) == {"country", "designator", "effective_from", "rationale"}
    fad_assign(by=chairman, country=world.countries["PL"], designator="II", effective_from=datetime.date(2026, 6, 1),
               rationale="Ally.")
    answer = api(world, "J5", APP).post(f"{FADS}/", {"country": "PL", "designator": "I", "effective_from": "2026-05-01",
                                                     "rationale": "Earlier."}, format="json")
    assert answer.status_code == 400
    assert answer.json()["errors"]["effective_from"] == [
        "Poland already holds FAD II from 2026-06-01; a new designator must start after the latest one."]
    both = api(world, "J5", APP).post(f"{FADS}/", {"country": "PL", "partner_organization": "NSPA", "designator": "I",
                                                   "effective_from": "2026-07-01", "rationale": "x"}, format="json")
    assert both.status_code == 400 and "partner_organization" in both.json()["errors"]
    assert FADAssignment.objects.count() == 1


@time_machine.travel(NOW, tick=False)
def test_the_fad_is_shown_wherever_a_partner_appears(world, client):
    fad_assign(by=world.user("J5", APP), country=world.countries["PL"], designator="II",
               effective_from=datetime.date(2026, 1, 1), rationale="Ally.")
    request = world.request()
    client.force_login(world.user("EUCOM", AO))
    listing = client.get("/admin/materiel/materieldiversionrequest/").content.decode()
    assert "FAD II (since" in listing
    page = client.get(f"/admin/materiel/materieldiversionrequest/{request.pk}/change/").content.decode()
    assert "FAD II (since" in page
    countries = api(world, "EUCOM", AO).get("/api/v1/countries/").json()["results"]
    fads = {row["code"]: row["fad"] for row in countries}
    assert fads["PL"]["label"] == "FAD II" and fads["EE"] is None
