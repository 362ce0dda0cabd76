"""The API's edges, as an integrator meets them: problem+json everywhere (docs, schema, 406,
unknown paths), public problem types, the index at /api/v1/, /api/v1/me/, strict query
parameters, one status for "you may not" (403) and one for "not now" (409)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import URLPattern, URLResolver
from rest_framework.test import APIClient

from api.problems import PROBLEM_TYPES
from api.query import StrictQueryMixin
from api.views import not_found
from organizations.models import Delegation, Role
from planning.models import CampaignPlan
from security.models import SecurityProfile
from workflow.selectors import open_taskers
from workflow.services import transition_perform

from .conftest import AO, APP, REV, plan_payload

V1 = "/api/v1"


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()  # a JSON body, whatever the endpoint answers otherwise
    assert body["status"] == status and {"type", "title", "detail"} <= set(body)
    return body


# --- problem+json everywhere -----------------------------------------------------------------

def test_the_docs_and_the_schema_are_public(world):
    anonymous = APIClient()
    docs = anonymous.get("/api/docs/")
    assert docs.status_code == 200 and b"swagger-ui" in docs.content
    schema = anonymous.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200 and "/api/v1/me/" in schema.json()["paths"]


def test_the_schema_refused_in_a_format_it_does_not_speak_is_a_json_problem_not_yaml(world):
    body = problem(APIClient().get("/api/schema/", HTTP_ACCEPT="text/csv"), 406)
    assert body["type"] == "/api/problems/not-acceptable/"


def test_a_resource_asked_for_in_html_is_a_406_problem(world, as_member):
    body = problem(as_member("EUCOM", AO).get(f"{V1}/campaign-plans/", HTTP_ACCEPT="text/html"), 406)
    assert body["type"] == "/api/problems/not-acceptable/"


@pytest.mark.parametrize("path", ["/api/v1/nothing/", "/api/v2/", "/api/v1/campaign-plans/abc/", "/api/x"])
def test_an_unknown_path_is_a_404_problem(world, as_member, path):
    problem(as_member("EUCOM", AO).get(path), 404)


def test_every_problem_type_is_readable_without_signing_in(world):
    anonymous = APIClient()
    listed = anonymous.get("/api/problems/")
    assert listed.status_code == 200
    assert {p["type"] for p in listed.json()} == {p.uri for p in PROBLEM_TYPES.values()}
    for problem_type in PROBLEM_TYPES.values():
        answer = anonymous.get(problem_type.uri)
        assert answer.status_code == 200, problem_type.uri
        assert answer.json()["status"] == problem_type.status and answer.json()["description"]
    # The type a 401 points at can be followed by the client it refused.
    refused = problem(anonymous.get(f"{V1}/campaign-plans/"), 401)
    assert anonymous.get(refused["type"]).json()["title"] == "Not authenticated"


# --- index and me ----------------------------------------------------------------------------

def test_the_index_links_every_collection_me_the_docs_and_the_schema(world, as_member):
    index = APIClient().get(f"{V1}/")
    assert index.status_code == 200
    body = index.json()
    assert set(body["collections"]) >= {"campaign-plans", "campaign-support-plans", "taskers", "comments",
                                        "organizations", "countries", "gef", "assessment-cycles"}
    eucom = as_member("EUCOM", AO)
    for name, link in [*body["collections"].items(), ("me", body["me"])]:
        assert eucom.get(link).status_code == 200, name
    assert APIClient().get(body["docs"]).status_code == 200
    assert APIClient().get(body["schema"]).status_code == 200
    assert APIClient().get(body["problems"]).status_code == 200


def test_me_names_the_tokens_user_memberships_active_delegations_clearance_and_nationality(world, as_member):
    approver, delegate = world.user("EUCOM", APP), world.user("EUCOM", REV)
    world.user("DA", AO)
    SecurityProfile.objects.create(user=approver, clearance="S", citizenship="US")
    today = datetime.date.today()
    Delegation.objects.create(organization=world.orgs["EUCOM"], role=Role.APPROVER, delegator=approver,
                              delegate=delegate, start=today - datetime.timedelta(days=1),
                              end=today + datetime.timedelta(days=5), reason="Leave")
    Delegation.objects.create(organization=world.orgs["EUCOM"], role=Role.APPROVER, delegator=approver,
                              delegate=world.user("EUCOM", AO), start=datetime.date(2021, 1, 1),
                              end=datetime.date(2021, 2, 1), reason="Long over")

    me = as_member("EUCOM", APP).get(f"{V1}/me/").json()
    assert me["username"] == approver.username
    assert (me["clearance"], me["nationality"]) == ("S", "US")
    assert me["memberships"] == [{"organization": "EUCOM", "role": "approver", "coordinator": True,
                                  "start": "2020-01-01", "end": None}]
    assert me["delegations"]["received"] == []
    assert [(d["delegate"], d["reason"]) for d in me["delegations"]["given"]] == [(delegate.username, "Leave")]

    theirs = as_member("EUCOM", REV).get(f"{V1}/me/").json()
    assert [d["delegator"] for d in theirs["delegations"]["received"]] == [approver.username]
    assert (theirs["clearance"], theirs["nationality"]) == (None, None)  # no security profile yet
    problem(APIClient().get(f"{V1}/me/"), 401)


# --- strict query parameters -----------------------------------------------------------------

@pytest.mark.parametrize(("query", "named"), [
    ({"stat": "draft"}, "stat"),
    ({"page_size": "abc"}, "page_size"),
    ({"page_size": "0"}, "page_size"),
    ({"page_size": "201"}, "page_size"),
    ({"state": "nonsense"}, "state"),
    ({"overdue": "perhaps"}, "overdue"),
    ({"format": "xml"}, None),
])
def test_an_unknown_parameter_or_a_bad_value_is_a_400_naming_it(world, as_member, query, named):
    answer = as_member("EUCOM", AO).get(f"{V1}/campaign-plans/", query)
    if named is None:  # DRF's own format switch: never a silent default either
        assert answer.status_code in (400, 404) and answer["Content-Type"] == "application/problem+json"
        return
    body = problem(answer, 400)
    assert list(body["errors"]) == [named]


def test_known_parameters_still_filter_and_page(world, as_member):
    world.ready_plan()
    eucom = as_member("EUCOM", AO)
    page = eucom.get(f"{V1}/campaign-plans/", {"state": "draft", "page_size": "1", "search": "EUCOM"}).json()
    assert len(page["results"]) == 1


def test_endpoints_without_filters_take_no_parameters(world, as_member):
    plan = world.ready_plan()
    body = problem(as_member("EUCOM", AO).get(f"{V1}/campaign-plans/{plan.pk}/transitions/", {"all": "1"}), 400)
    assert list(body["errors"]) == ["all"] and "takes: none" in body["errors"]["all"][0]
    problem(as_member("EUCOM", AO).get(f"{V1}/me/", {"user": "someone"}), 400)


def _api_views(patterns):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _api_views(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            cls = getattr(pattern.callback, "cls", None) or getattr(pattern.callback, "view_class", None)
            if cls is not None and cls is not not_found.cls and pattern.callback.__module__.startswith(("api", "rest")):
                yield str(pattern.pattern), cls


def test_every_api_view_is_strict_about_its_query_parameters():
    from api.urls import urlpatterns

    views = [(route, cls) for route, cls in _api_views(urlpatterns)
             if not route.startswith(("schema", "docs")) and not cls.__module__.startswith("drf_spectacular")]
    assert len(views) >= 12
    assert [route for route, cls in views if not issubclass(cls, StrictQueryMixin)] == []


# --- 403 "you may not", 409 "not now" --------------------------------------------------------

def test_a_transition_the_user_may_not_make_is_403_and_one_not_possible_now_is_409(world, as_member):
    plan = world.ready_plan()
    body = problem(as_member("EUCOM", REV).post(f"{V1}/campaign-plans/{plan.pk}/transitions/submit/", {},
                                                format="json"), 403)
    assert body["type"] == "/api/problems/action-refused/" and body["reasons"]
    body = problem(as_member("EUCOM", AO).post(f"{V1}/campaign-plans/{plan.pk}/transitions/approve/",
                                               {"comment": "ok"}, format="json"), 409)
    assert body["type"] == "/api/problems/transition-refused/"
    assert CampaignPlan.objects.get(pk=plan.pk).state == "draft"


def test_workflow_actions_answer_403_for_who_and_409_for_when(world, as_member):
    plan = transition_perform(document=world.ready_plan(), name="submit", by=world.user("EUCOM", AO))
    tasker = open_taskers(plan).get(organization=world.orgs["DON"])
    navy = as_member("DON", REV)
    answer = {"response": "concur_with_comment", "rationale": "",
              "comments": [{"category": "critical", "section": "3.a", "text": "Recount"}]}
    assert navy.post(f"{V1}/taskers/{tasker.pk}/respond/", answer, format="json").status_code == 200
    comment = navy.get(f"{V1}/comments/", {"tasker": tasker.pk}).json()["results"][0]
    # The commenting organization may not adjudicate its own comment: who.
    body = problem(navy.post(f"{V1}/comments/{comment['id']}/adjudicate/", {"decision": "accepted"},
                             format="json"), 403)
    assert body["type"] == "/api/problems/action-refused/"
    # The DA is not tasked with the Navy's tasker: who.
    problem(as_member("DA", REV).post(f"{V1}/taskers/{tasker.pk}/acknowledge/", {}, format="json"), 403)
    # Agreeing before the owner adjudicated: when.
    body = problem(navy.post(f"{V1}/comments/{comment['id']}/agree/", {}, format="json"), 409)
    assert body["type"] == "/api/problems/not-now/" and "not adjudicated yet" in body["reasons"][0]


def test_the_schema_documents_403_and_409_apart(world):
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/v1/campaign-plans/{id}/transitions/{name}/"]["post"]
    assert "you may not" in operation["responses"]["403"]["description"].lower()
    assert "not now" in operation["responses"]["409"]["description"].lower()


def test_a_new_plan_draft_created_then_patched_by_someone_else_is_403(world, as_member):
    eucom = as_member("EUCOM", AO)
    plan = eucom.post(f"{V1}/campaign-plans/", plan_payload(world), format="json").json()
    body = problem(as_member("EUCOM", REV).patch(f"{V1}/campaign-plans/{plan['id']}/", {"title": "Mine"},
                                                 format="json"), 403)
    assert "Only an action officer or approver of EUCOM" in body["reasons"][0]
