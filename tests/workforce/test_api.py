"""The readiness report through the API: DSCA creates it (bad input refused as problem+json
naming the field, nothing saved), submits it; it is in USD(P&R)'s My work, moved on there with
reasons for who may not; its history, the personnel records and readiness endpoints, and the
OpenAPI description of them."""

from __future__ import annotations

import datetime
import json

import pytest
import time_machine
from rest_framework.test import APIClient

from api.services import api_token_issue
from organizations.models import Role
from workforce.models import WorkforceReadinessReport

AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER
NOW = datetime.datetime(2026, 11, 30, 17, 0, tzinfo=datetime.UTC)
V1 = "/api/v1/workforce-readiness-reports"
pytestmark = pytest.mark.django_db


def api(world, acronym, role) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=world.user(acronym, role)).key}")
    return client


@time_machine.travel(NOW, tick=False)
def test_dsca_creates_and_submits_usdpr_finds_it_in_my_work_and_accepts(world):
    dsca = api(world, "DSCA", AO)
    bad = dsca.post(f"{V1}/", {"title": "FY27 Q1", "period_start": "2026-10-01", "period_end": "2026-09-01"},
                    format="json")
    assert bad.status_code == 400 and bad["Content-Type"] == "application/problem+json"
    assert "period_end" in bad.json()["errors"] and not WorkforceReadinessReport.objects.exists()
    created = dsca.post(f"{V1}/", {"title": "FY27 Q1", "period_start": "2026-10-01", "period_end": "2026-12-31",
                                   "assessment": "Gaps in intermediate certification."}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["owner"], body["state"], body["rows"]) == ("DSCA", "draft", [])
    pk = body["id"]
    refused = dsca.post(f"{V1}/{pk}/transitions/submit/", {}, format="json")
    assert refused.status_code == 403 and any("DSCA" in reason for reason in refused.json()["reasons"])
    submitted = api(world, "DSCA", APP).post(f"{V1}/{pk}/transitions/submit/", {}, format="json")
    assert submitted.json()["state"] == "review"
    assert {row["acronym"] for row in submitted.json()["rows"]} == {"ODC-TURKEY", "JUSMAG-PHILIPPINES", "OSC-I"}
    usdpr = api(world, "USD(P&R)", APP)
    work = usdpr.get("/api/v1/my-work/", {"kind": "workforce_readiness_report"}).json()
    assert [(item["kind"], item["title"]) for item in work["results"]] == [("workforce_readiness_report", "FY27 Q1")]
    assert api(world, "EUCOM", APP).get(f"{V1}/{pk}/").status_code == 404
    accepted = usdpr.post(f"{V1}/{pk}/transitions/accept/", {"comment": "Accepted."}, format="json")
    assert accepted.json()["state"] == "accepted" and accepted.json()["decision_note"] == "Accepted."
    history = [entry["action"] for entry in dsca.get(f"{V1}/{pk}/history/").json()]
    assert "submit" in history and "accept" in history


def test_the_workforce_is_in_the_openapi_description(world):
    text = api(world, "DSCA", REV).get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in ("/api/v1/workforce-readiness-reports/{id}/transitions/{name}/", "/api/v1/personnel-records/{id}/",
                 "/api/v1/workforce-readiness/", "/api/v1/billet-requirements/{id}/",
                 "/api/v1/workforce-readiness/billets/"):
        assert path in text
    assert "return_for_rework" in text and "filled_qualified" in text

    paths = json.loads(text)["paths"]
    for path in ("/api/v1/personnel-records/", "/api/v1/billet-requirements/"):
        assert {"get", "post"} <= set(paths[path]), path
        assert "patch" in paths[f"{path}{{id}}/"] and "delete" not in paths[f"{path}{{id}}/"], path
    written = paths["/api/v1/personnel-records/"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert written["$ref"].endswith("/PersonnelRecordWriteRequest")
