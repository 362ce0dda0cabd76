"""Need-to-know on every channel (admin list and page, the report and its export, the API), and
the API's requests: create, read, change, transitions with reasons, refusals as problem+json."""

from __future__ import annotations

import datetime
import io

import pytest
import time_machine
from openpyxl import load_workbook
from rest_framework.test import APIClient

from api.services import api_token_issue
from manpower.models import ManningAuthorization, ManpowerChangeRequest, RequestState
from manpower.selectors import requests_visible_to
from manpower.services import request_write
from organizations.authority import may
from organizations.models import Role
from workflow.exceptions import NotPermitted
from workflow.models import Response, Step
from workflow.selectors import open_taskers
from workflow.services import tasker_respond, transition_perform

AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER
NOW = datetime.datetime(2026, 11, 30, 17, 0, tzinfo=datetime.UTC)
V1 = "/api/v1/manpower-change-requests"


def api(world, acronym, role) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=world.user(acronym, role)).key}")
    return client


def _submitted(world):
    return transition_perform(document=world.request(), name="submit", by=world.user("ODC-TURKEY", AO))


@time_machine.travel(NOW, tick=False)
def test_an_unrelated_command_sees_nothing_anywhere(world, client):
    request = _submitted(world)
    outsider = world.user("CENTCOM", APP)  # supervises OSC-I, not ODC Turkey
    client.force_login(outsider)
    listing = client.get("/admin/manpower/manpowerchangerequest/")
    assert listing.status_code == 200 and request.title not in listing.content.decode()
    assert client.get(f"/admin/manpower/manpowerchangerequest/{request.pk}/change/").status_code in (302, 404)
    report = client.get("/admin/manpower/securitycooperationorganization/report/")
    assert "Office of Defense Cooperation Turkey" not in report.content.decode()
    assert "Office of Security Cooperation Iraq" in report.content.decode()  # its own SCO
    export = client.get("/admin/manpower/securitycooperationorganization/report/?format=xlsx")
    cells = [c for row in load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True) for c in row]
    assert "Office of Defense Cooperation Turkey" not in cells and "Office of Security Cooperation Iraq" in cells
    outsider_api = api(world, "CENTCOM", APP)
    assert outsider_api.get(f"{V1}/").json()["results"] == []
    assert outsider_api.get(f"{V1}/{request.pk}/").status_code == 404
    assert outsider_api.get(f"{V1}/{request.pk}/history/").status_code == 404
    assert outsider_api.get("/api/v1/taskers/").json()["results"] == []


@time_machine.travel(NOW, tick=False)
def test_the_requesting_sco_its_command_the_tasked_offices_and_dsca_see_it(world, client):
    request = _submitted(world)
    for acronym, role in (("ODC-TURKEY", AO), ("EUCOM", APP), ("DSCA", REV)):
        assert api(world, acronym, role).get(f"{V1}/{request.pk}/").status_code == 200, acronym
    # USD(P&R) and the Joint Staff once they are tasked, not before.
    assert api(world, "J5", REV).get(f"{V1}/{request.pk}/").status_code == 404
    transition_perform(document=request, name="endorse", by=world.user("EUCOM", APP))
    assert api(world, "J5", REV).get(f"{V1}/{request.pk}/").status_code == 200
    client.force_login(world.user("EUCOM", APP))
    page = client.get(f"/admin/manpower/manpowerchangerequest/{request.pk}/change/")
    assert page.status_code == 200
    assert "is now" not in page.content.decode() and request.title in page.content.decode()


@time_machine.travel(NOW, tick=False)
def test_a_reader_without_the_clearance_does_not_see_a_secret_request(world):
    request = world.request(classification="S")
    uncleared = world.user("EUCOM", REV, clearance="C")
    assert not requests_visible_to(uncleared).filter(pk=request.pk).exists()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=uncleared).key}")
    assert client.get(f"{V1}/{request.pk}/").status_code == 404


@time_machine.travel(NOW, tick=False)
def test_create_through_the_api_then_follow_the_route(world):
    sco_ao = api(world, "ODC-TURKEY", AO)
    created = sco_ao.post(f"{V1}/", {
        "title": "Add an armaments officer", "change_type": "authorizations", "sco": "ODC-TURKEY",
        "effective_on": "2027-03-01", "justification": "Co-production.",
        "billets": [{"action": "add", "position": "Armaments officer", "grade": "O-4", "service": "air_force",
                     "skill": "63A"}]}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["owner"], body["supervising_command"], body["state"]) == ("ODC-TURKEY", "EUCOM", "draft")
    assert body["billets"] == [{"action": "add", "position": "Armaments officer", "grade": "O-4",
                                "service": "air_force", "skill": "63A", "billets": 1}]
    pk = body["id"]
    options = {o["name"]: o for o in sco_ao.get(f"{V1}/{pk}/transitions/").json()}
    assert options["submit"]["allowed"] is True
    assert options["endorse"]["allowed"] is False and options["endorse"]["reasons"]
    assert sco_ao.post(f"{V1}/{pk}/transitions/submit/", {}, format="json").json()["state"] == "endorsement"
    refused = api(world, "EUCOM", AO).post(f"{V1}/{pk}/transitions/endorse/", {}, format="json")
    assert refused.status_code == 403 and refused["Content-Type"] == "application/problem+json"
    assert any("supervising combatant command" in reason for reason in refused.json()["reasons"])
    endorsed = api(world, "EUCOM", APP).post(f"{V1}/{pk}/transitions/endorse/", {"comment": "Endorsed."},
                                             format="json")
    assert endorsed.json()["state"] == "coordination"
    history = [entry["description"] for entry in sco_ao.get(f"{V1}/{pk}/history/").json()]
    assert any("EUCOM" in line for line in history)


@time_machine.travel(NOW, tick=False)
def test_bad_input_is_refused_beside_the_field_and_saves_nothing(world):
    sco_ao = api(world, "ODC-TURKEY", AO)
    before = ManpowerChangeRequest.objects.count()
    answer = sco_ao.post(f"{V1}/", {
        "title": "Abolish a ghost", "change_type": "authorizations", "sco": "ODC-TURKEY",
        "billets": [{"action": "abolish", "position": "Chief of nothing"}]}, format="json")
    assert answer.status_code == 400 and answer["Content-Type"] == "application/problem+json"
    assert answer.json()["errors"]["billets"] == [
        "Billet 1: Office of Defense Cooperation Turkey has no authorized position “Chief of nothing” to abolish."]
    unknown = sco_ao.post(f"{V1}/", {"title": "x", "change_type": "authorizations", "sco": "NOPE"}, format="json")
    assert unknown.status_code == 400 and "sco" in unknown.json()["errors"]
    secret = sco_ao.post(f"{V1}/", {"title": "x", "change_type": "structure", "sco": "ODC-TURKEY",
                                    "classification": "TS"}, format="json")
    assert secret.status_code == 201  # cleared TOP SECRET
    confidential = api(world, "ODC-TURKEY", APP)
    from security.models import SecurityProfile

    SecurityProfile.objects.filter(user=world.user("ODC-TURKEY", APP)).update(clearance="C")
    beyond = confidential.post(f"{V1}/", {"title": "x", "change_type": "structure", "sco": "ODC-TURKEY",
                                          "classification": "S"}, format="json")
    assert beyond.status_code == 400 and beyond.json()["errors"] == {"classification": ["Beyond your clearance."]}
    assert ManpowerChangeRequest.objects.count() == before + 1


@time_machine.travel(NOW, tick=False)
def test_another_commands_action_officer_may_not_write_for_the_sco(world):
    answer = api(world, "INDOPACOM", AO).post(f"{V1}/", {"title": "x", "change_type": "structure",
                                                         "sco": "ODC-TURKEY"}, format="json")
    assert answer.status_code == 403
    assert answer.json()["reasons"] == ["Only an action officer or approver of ODC-TURKEY or EUCOM may write this "
                                        "request."]


@time_machine.travel(NOW, tick=False)
def test_the_scos_and_its_commands_writers_change_a_draft_and_another_commands_are_refused(world):
    request = world.request()
    answer = api(world, "ODC-TURKEY", AO).patch(f"{V1}/{request.pk}/", {"title": "Two FMS case officers"},
                                                format="json")
    assert answer.status_code == 200
    answer = api(world, "EUCOM", AO).patch(f"{V1}/{request.pk}/", {"title": "Three FMS case officers"}, format="json")
    assert answer.status_code == 200  # the supervising command writes for its SCO
    assert ManpowerChangeRequest.objects.get(pk=request.pk).title == "Three FMS case officers"
    with pytest.raises(NotPermitted) as refusal:
        request_write(by=world.user("INDOPACOM", AO), request=request, fields={"title": "Taken over"})
    assert str(refusal.value) == "Only an action officer or approver of ODC-TURKEY or EUCOM may write this request."
    assert ManpowerChangeRequest.objects.get(pk=request.pk).title == "Three FMS case officers"


def test_the_requests_list_offers_changes_to_the_writers_of_scos_and_commands_only(world):
    """Asked without a request (the admin's menu, list and "Add"): the SCOs' and commands' action
    officers and approvers; not reviewers, nor the offices the route consults."""
    for acronym, role in (("ODC-TURKEY", AO), ("EUCOM", AO), ("EUCOM", APP), ("ODC-TURKEY", APP)):
        assert may(world.user(acronym, role), "change", ManpowerChangeRequest), (acronym, role)
    for acronym, role in (("EUCOM", REV), ("DSCA", APP), ("DSCA", AO), ("J5", APP)):
        assert not may(world.user(acronym, role), "change", ManpowerChangeRequest), (acronym, role)


def test_an_scos_manning_is_read_by_its_staff_its_command_and_the_offices_reading_all(world):
    row = ManningAuthorization.objects.filter(sco=world.scos["ODC-TURKEY"]).first()
    for acronym, role in (("ODC-TURKEY", AO), ("EUCOM", REV), ("DSCA", REV), ("DIA", REV)):
        assert may(world.user(acronym, role), "view", row), acronym
    for acronym, role in (("CENTCOM", APP), ("INDOPACOM", AO), ("DLA", APP)):
        assert not may(world.user(acronym, role), "view", row), acronym


@time_machine.travel(NOW, tick=False)
def test_a_change_after_submission_is_refused_as_not_now(world):
    request = _submitted(world)
    answer = api(world, "ODC-TURKEY", AO).patch(f"{V1}/{request.pk}/", {"title": "Changed"}, format="json")
    assert answer.status_code == 409
    assert ManpowerChangeRequest.objects.get(pk=request.pk).title == request.title


@time_machine.travel(NOW, tick=False)
def test_the_report_counts_authorizations_against_requests(world, client, django_assert_max_num_queries):
    request = _submitted(world)
    client.force_login(world.user("DSCA", REV))
    with django_assert_max_num_queries(15):
        page = client.get("/admin/manpower/securitycooperationorganization/report/")
    html = page.content.decode()
    row = html[html.index("Office of Defense Cooperation Turkey"):].split("</tr>")[0]
    # 4 billets authorized (1 chief, 2 FMS officers, 1 analyst), 1 request in flight asking to change (net 0).
    cells = [c.split("</td>")[0] for c in row.split("<td>")[1:]]
    assert cells == ["4", "1", "0", "0", "0"], cells
    assert request.state == RequestState.ENDORSEMENT


@time_machine.travel(NOW, tick=False)
def test_consultation_taskers_are_answered_by_the_offices_through_the_api(world):
    request = transition_perform(document=_submitted(world), name="endorse", by=world.user("EUCOM", APP))
    tasker = open_taskers(request, step=Step.CONSULTATION).get(organization=world.orgs["USD(P&R)"])
    answer = api(world, "USD(P&R)", REV).post(f"/api/v1/taskers/{tasker.pk}/respond/",
                                              {"response": "concur", "rationale": "Grades fit."}, format="json")
    assert answer.status_code == 200, answer.content
    tasker_respond(tasker=open_taskers(request).get(), by=world.user("J5", REV), response=Response.CONCUR)
    moved = api(world, "ODC-TURKEY", AO).post(f"{V1}/{request.pk}/transitions/send_for_approval/", {}, format="json")
    assert moved.json()["state"] == "approval"


@pytest.mark.parametrize("path", ["/api/schema/"])
def test_the_kind_is_in_the_openapi_description(world, path):
    schema = api(world, "DSCA", REV).get(path, HTTP_ACCEPT="application/json")
    text = schema.content.decode()
    assert "/api/v1/manpower-change-requests/{id}/transitions/{name}/" in text
    assert "approve_jointly" in text and "send_to_dia" in text
