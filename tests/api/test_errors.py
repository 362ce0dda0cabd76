"""Every failure answers as RFC 9457 problem details (application/problem+json), translated once
from the services' domain errors: 400 with field errors, 401, 403, 404 for what the user may not
see, 409 with the reasons, 429 past the rate limit. Never a 500 for bad input."""

from __future__ import annotations

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from planning.models import CampaignPlan

from .conftest import AO, REV, plan_payload

V1 = "/api/v1"


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    return body


def test_invalid_input_is_a_400_with_each_field_and_its_messages(world, as_member):
    body = problem(as_member("EUCOM", AO).post(f"{V1}/campaign-plans/", plan_payload(
        world, owner="NOSUCH", title="", objectives=[{"code": "", "title": "T", "end_states": []}],
        partner_considerations=[{"country": "PL"}, {"country": "pl"}]), format="json"), 400)
    assert body["type"] == "/api/problems/invalid-input/"
    assert set(body["errors"]) == {"owner", "title", "objectives[0].code", "partner_considerations"}
    assert "PL repeated" in body["errors"]["partner_considerations"][0]


def test_the_services_field_errors_reach_the_client_unchanged(world, as_member):
    plan = world.ready_plan()
    as_member("EUCOM", AO).post(f"{V1}/campaign-plans/{plan.pk}/transitions/submit/", {}, format="json")
    don = as_member("DON", REV)
    tasker = don.get(f"{V1}/taskers/", {"assigned_to_me": "true"}).json()["results"][0]
    body = problem(don.post(f"{V1}/taskers/{tasker['id']}/respond/", {
        "response": "nonconcur", "comments": [{"category": "substantive", "text": "Expand 2.c"}]}, format="json"), 400)
    assert body["errors"] == {"rationale": ["A non-concur needs a rationale."],
                              "comments": ["A non-concur needs at least one critical comment."]}


def test_a_model_rule_is_a_400_on_its_field(world, as_member):
    body = problem(as_member("EUCOM", AO).post(f"{V1}/campaign-plans/", plan_payload(
        world, period_start="2030-01-01", period_end="2029-01-01"), format="json"), 400)
    assert body["errors"] == {"period_end": ["The period must end after it starts."]}


def test_a_document_the_user_may_not_see_is_a_404_everywhere(world, as_member):
    plan = world.ready_plan()
    outsider = as_member("CENTCOM", AO)
    for path in ("", "transitions/", "history/"):
        problem(outsider.get(f"{V1}/campaign-plans/{plan.pk}/{path}"), 404)
    problem(outsider.post(f"{V1}/campaign-plans/{plan.pk}/transitions/withdraw/", {"comment": "x"}, format="json"), 404)
    problem(outsider.patch(f"{V1}/campaign-plans/{plan.pk}/", {"title": "Mine now"}, format="json"), 404)
    assert outsider.get(f"{V1}/campaign-plans/").json()["results"] == []


def test_a_transition_not_allowed_now_is_a_409_listing_every_reason(world, as_member):
    eucom = as_member("EUCOM", AO)
    plan = eucom.post(f"{V1}/campaign-plans/", plan_payload(world, summary="", objectives=[]), format="json").json()
    body = problem(eucom.post(f"{V1}/campaign-plans/{plan['id']}/transitions/submit/", {}, format="json"), 409)
    assert body["type"] == "/api/problems/transition-refused/"
    assert "Missing before submission: a summary." in body["reasons"]
    assert "Add at least one objective." in body["reasons"]
    assert CampaignPlan.objects.get(pk=plan["id"]).state == "draft"


def test_a_change_made_by_someone_else_since_reading_is_a_409_conflict(world, as_member):
    plan = world.ready_plan()
    eucom = as_member("EUCOM", AO)
    eucom.post(f"{V1}/campaign-plans/{plan.pk}/transitions/submit/", {}, format="json")
    body = problem(eucom.post(f"{V1}/campaign-plans/{plan.pk}/transitions/withdraw/",
                              {"comment": "Superseded by events", "expected_state": "draft"}, format="json"), 409)
    assert body["type"] == "/api/problems/conflict/"
    assert "Someone else changed this campaign plan" in body["reasons"][0]
    assert CampaignPlan.objects.get(pk=plan.pk).state == "coordination"


def test_an_unknown_transition_is_a_404(world, as_member):
    plan = world.ready_plan()
    problem(as_member("EUCOM", AO).post(f"{V1}/campaign-plans/{plan.pk}/transitions/save/", {}, format="json"), 404)


def test_answering_for_another_organization_is_a_403_with_the_reason(world, as_member):
    plan = world.ready_plan()
    as_member("EUCOM", AO).post(f"{V1}/campaign-plans/{plan.pk}/transitions/submit/", {}, format="json")
    da_tasker = as_member("DA", REV).get(f"{V1}/taskers/", {"organization": "DA"}).json()["results"][0]
    body = problem(as_member("EUCOM", AO).post(f"{V1}/taskers/{da_tasker['id']}/respond/", {"response": "concur"},
                                               format="json"), 403)
    assert body["reasons"] == ["Only a reviewer or approver designated as a coordinator of DA may do this."]


def test_editing_a_plan_once_submitted_is_not_now_a_409(world, as_member):
    plan = world.ready_plan()
    eucom = as_member("EUCOM", AO)
    eucom.post(f"{V1}/campaign-plans/{plan.pk}/transitions/submit/", {}, format="json")
    body = problem(eucom.patch(f"{V1}/campaign-plans/{plan.pk}/", {"title": "Changed"}, format="json"), 409)
    assert body["type"] == "/api/problems/not-now/"
    assert "Only a draft can be edited" in body["reasons"][0]
    assert CampaignPlan.objects.get(pk=plan.pk).title == plan.title


def test_without_credentials_the_answer_is_401_asking_for_a_token(world):
    response = APIClient().get(f"{V1}/campaign-plans/")
    body = problem(response, 401)
    assert response["WWW-Authenticate"] == "Token"
    assert body["type"] == "/api/problems/not-authenticated/"


def test_a_revoked_token_no_longer_authenticates(world, as_member):
    client = as_member("EUCOM", AO)
    assert client.get(f"{V1}/organizations/").status_code == 200
    AuthToken.objects.filter(user=world.user("EUCOM", AO)).delete()
    problem(client.get(f"{V1}/organizations/"), 401)


def test_past_the_rate_limit_the_answer_is_429_with_retry_after(world, as_member, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"user": "2/minute", "anon": "2/minute"}}
    client = as_member("EUCOM", AO)
    assert [client.get(f"{V1}/gef/").status_code for _ in range(2)] == [200, 200]
    response = client.get(f"{V1}/gef/")
    problem(response, 429)
    assert int(response["Retry-After"]) > 0


@pytest.mark.parametrize("path", ["/api/v1/nothing-here/", "/api/v1/campaign-plans/abc/", "/api/v1/countries/POL/"])
def test_a_path_outside_the_api_is_a_404_problem_not_an_html_page(world, as_member, path):
    problem(as_member("EUCOM", AO).get(path), 404)


def test_a_problem_type_is_documented_at_its_uri(world, as_member):
    body = as_member("EUCOM", AO).get("/api/problems/transition-refused/").json()
    assert body["status"] == 409 and body["description"]


@pytest.mark.parametrize("query", ["/api/v1/comments/?tasker=-7e288", "/api/v1/comments/?tasker=99999999999999999999",
                                   "/api/v1/taskers/?document_id=1e300"])
def test_an_id_filter_out_of_range_is_a_bad_request_not_a_server_error(world, as_member, query):
    client = as_member("EUCOM", "action_officer")
    response = client.get(query)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")


ODD_PATHS = [
    "/api/v1/nothing%0Ahere/", "/api/%0A", "/api/v1%0A/", "/api/v1/campaign-plans/%0A", "/api/schema/%0A",
    "/api/problems/conflict%0A/", "/api/v1/campaign-plans/1%0D%0A/history/", "/api/v1/taskers/%09/",
    "/api/v1/%E2%80%A8/", "/api/v1/%FF%FE/", "/api/v1/%00", "/api/v1/campaign-plans/1%00/",
    "/api/v1/organizations/EU%00COM/", "/api/v1/countries/P%00L/", "/api/v1/comments/%00/",
    "/api/v1/campaign-plans/1/transitions/%00/", "/api/v1/assessment-cycles/%0A/",
    "/api/v1/campaign-plans/99999999999999999999999999999999/", "/api/v1/campaign-plans/-1/",
]


@pytest.mark.parametrize("path", ODD_PATHS)
def test_an_api_path_with_a_newline_null_byte_or_other_odd_character_is_a_problem_not_an_html_page(
        world, as_member, path):
    response = as_member("EUCOM", AO).get(path)
    assert response.status_code in (400, 404), (path, response.status_code)
    problem(response, response.status_code)


def _fullwidth(number: int) -> str:
    """The id in full-width digits (U+FF10-U+FF19), percent-encoded as a client would send them."""
    from urllib.parse import quote
    return quote("".join(chr(0xFF10 + int(digit)) for digit in str(number)))


@pytest.mark.parametrize("odd_id", [lambda pk: f"{pk}%0A", lambda pk: f"{pk}%0D%0A", lambda pk: f"%20{pk}",
                                    lambda pk: f"+{pk}", lambda pk: f"{pk}_", lambda pk: _fullwidth(pk)],
                         ids=["newline", "crlf", "space", "plus", "underscore", "fullwidth"])
def test_an_id_with_a_newline_sign_or_other_character_names_no_document_not_even_a_visible_one(
        world, as_member, odd_id):
    """Python's int() forgives whitespace, signs, underscores and other scripts' digits; a
    document's address is its id in ASCII digits and nothing else."""
    plan = world.ready_plan()
    client = as_member("EUCOM", AO)
    assert client.get(f"/api/v1/campaign-plans/{plan.pk}/").status_code == 200
    for path in (f"/api/v1/campaign-plans/{odd_id(plan.pk)}/", f"/api/v1/campaign-plans/{odd_id(plan.pk)}/history/"):
        response = client.get(path)
        problem(response, 404)
        assert plan.title not in response.content.decode(), path


def test_a_newline_in_an_api_path_asks_a_client_without_credentials_for_them_as_a_problem(world):
    response = APIClient().get("/api/v1/campaign-plans%0A/")
    problem(response, 401)


@pytest.mark.parametrize("query", ["/api/v1/campaign-plans/?search=%00", "/api/v1/taskers/?organization=%00",
                                   "/api/v1/campaign-plans/?state=%00", "/api/v1/campaign-plans/?owner=%00",
                                   "/api/v1/organizations/?kind=%00"])
def test_a_null_byte_in_a_search_or_filter_is_a_400_naming_the_parameter(world, as_member, query):
    body = problem(as_member("EUCOM", AO).get(query), 400)
    assert body["type"] == "/api/problems/invalid-input/" and body["errors"]
