"""Personnel records (with their certifications, languages and regions) and billet requirements
written through the API by the same services as the admin: the permitted office writes, anyone
else is refused (403, the reason in words, nothing saved), a bad line is a 400 naming its row,
and reading them keeps need-to-know (an empty list, a 404 for a record)."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from rest_framework.test import APIClient

from api.services import api_token_issue
from organizations.models import Role
from security.models import AuditEvent
from workforce.models import BilletRequirement, CertificationLevel, PersonnelRecord

from .conftest import billet, certification, person

AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER
NOW = datetime.datetime(2026, 11, 30, 17, 0, tzinfo=datetime.UTC)
PEOPLE = "/api/v1/personnel-records"
REQUIREMENTS = "/api/v1/billet-requirements"
pytestmark = pytest.mark.django_db


def api(world, acronym, role) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=world.user(acronym, role)).key}")
    return client


def record(**values) -> dict:
    return {"identifier": "SCO billet holder 0101, API record", "owner": "ODC-TURKEY",
            "billet": {"sco": "ODC-TURKEY", "position": "Chief, Office of Defense Cooperation"},
            "grade": "O-6", "service": "army", "assigned_on": "2026-06-01",
            "qualifications": [{"kind": "certification", "name": "SC workforce certification", "level": 3,
                                "completed_on": "2025-01-01", "expires_on": "2028-01-01"},
                               {"kind": "training", "name": "Security Cooperation Management Overseas (SCM-O)",
                                "completed_on": "2024-05-01"}],
            "languages": [{"language": "Turkish", "listening": "2", "reading": "2", "speaking": "2+"}],
            "regions": [{"region": "europe_eurasia", "years": 4}], **values}


@time_machine.travel(NOW, tick=False)
def test_the_sco_creates_and_changes_a_personnel_record_with_its_lines(world):
    odc = api(world, "ODC-TURKEY", AO)
    created = odc.post(f"{PEOPLE}/", record(), format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["owner"], body["supervising_command"], body["billet"]) == (
        "ODC-TURKEY", "EUCOM", {"sco": "ODC-TURKEY", "position": "Chief, Office of Defense Cooperation"})
    assert [(line["language"], line["speaking"]) for line in body["languages"]] == [("Turkish", "2+")]
    assert sorted(line["kind"] for line in body["qualifications"]) == ["certification", "training"]
    # The chief is qualified now: the readiness counts it.
    rows = {row["acronym"]: row for row in odc.get("/api/v1/workforce-readiness/").json()}
    assert rows["ODC-TURKEY"]["filled_qualified"] == 1
    # PATCH: a list given replaces the record's list; lists left out are kept.
    changed = odc.patch(f"{PEOPLE}/{body['id']}/", {"languages": [
        {"language": "Turkish", "listening": "3", "reading": "2+", "speaking": "3"},
        {"language": "Greek", "listening": "1", "reading": "1", "speaking": "1"}]}, format="json")
    assert changed.status_code == 200, changed.content
    saved = PersonnelRecord.objects.get(pk=body["id"])
    assert sorted(saved.languages.values_list("language", "speaking")) == [("Greek", "1"), ("Turkish", "3")]
    assert saved.qualifications.count() == 2 and saved.regions.get().years == 4
    assert AuditEvent.objects.filter(description__startswith="Personnel record changed (kept by ODC-TURKEY)").exists()


@time_machine.travel(NOW, tick=False)
def test_a_refused_or_invalid_personnel_write_saves_nothing_and_says_why(world):
    # EUCOM supervises ODC Turkey (it reads its records) but does not keep them.
    refused = api(world, "EUCOM", AO).post(f"{PEOPLE}/", record(), format="json")
    assert refused.status_code == 403 and refused["Content-Type"] == "application/problem+json"
    assert "ODC" in refused.json()["detail"] and "may write the personnel records" in refused.json()["detail"]
    odc = api(world, "ODC-TURKEY", AO)
    bad = odc.post(f"{PEOPLE}/", record(languages=[
        {"language": "Turkish", "listening": "2", "reading": "2", "speaking": "2"},
        {"language": "Greek", "listening": "2", "reading": "2", "speaking": "6"}]), format="json")
    assert bad.status_code == 400 and "languages[1].speaking" in bad.json()["errors"]
    lapsed = odc.post(f"{PEOPLE}/", record(qualifications=[
        {"kind": "certification", "name": "SC workforce certification", "level": 3,
         "completed_on": "2025-01-01", "expires_on": "2024-01-01"}]), format="json")
    assert lapsed.status_code == 400
    assert any(message.startswith("Row 1 (expires on)") for message in lapsed.json()["errors"]["qualifications"])
    nowhere = odc.post(f"{PEOPLE}/", record(billet={"sco": "ODC-TURKEY", "position": "Ambassador"}), format="json")
    assert nowhere.status_code == 400 and "billet" in nowhere.json()["errors"]
    assert not PersonnelRecord.objects.exists()
    # A change refused by the row: the record keeps its lines.
    chief = person(world, 1, qualifications=[certification()],
                   languages=[{"language": "Turkish", "listening": "2", "reading": "2", "speaking": "2"}])
    twice = odc.patch(f"{PEOPLE}/{chief.pk}/", {"languages": [
        {"language": "Turkish", "listening": "2", "reading": "2", "speaking": "2"},
        {"language": "turkish", "listening": "3", "reading": "3", "speaking": "3"}]}, format="json")
    assert twice.status_code == 400 and any("listed twice" in m for m in twice.json()["errors"]["languages"])
    assert list(chief.languages.values_list("speaking", flat=True)) == ["2"]
    moved = odc.patch(f"{PEOPLE}/{chief.pk}/", {"owner": "EUCOM"}, format="json")
    assert moved.status_code == 400 and "owner" in moved.json()["errors"]
    assert api(world, "DSCA", APP).patch(f"{PEOPLE}/{chief.pk}/", {"grade": "O-5"}, format="json").status_code == 403
    chief.refresh_from_db()
    assert chief.grade == "O-6" and chief.owner.acronym == "ODC-TURKEY"


@time_machine.travel(NOW, tick=False)
def test_personnel_records_are_read_only_with_need_to_know(world):
    chief = person(world, 1, qualifications=[certification()])
    iraq = person(world, 2, sco="OSC-I", position="FMS case officer", grade="O-4")
    for acronym, role, seen in (("ODC-TURKEY", REV, {chief.identifier}), ("EUCOM", REV, {chief.identifier}),
                                ("CENTCOM", REV, {iraq.identifier}), ("USD(P&R)", REV, {chief.identifier, iraq.identifier}),
                                ("JUSMAG-PHILIPPINES", APP, set()), ("J5", APP, set())):
        client = api(world, acronym, role)
        listed = {row["identifier"] for row in client.get(f"{PEOPLE}/").json()["results"]}
        assert listed == seen, acronym
        assert client.get(f"{PEOPLE}/{chief.pk}/").status_code == (200 if chief.identifier in seen else 404), acronym
    assert api(world, "J5", APP).patch(f"{PEOPLE}/{chief.pk}/", {"grade": "O-5"}, format="json").status_code == 404


@time_machine.travel(NOW, tick=False)
def test_dsca_or_the_command_sets_billet_requirements_and_others_are_refused(world):
    analyst = {"sco": "ODC-TURKEY", "position": "Budget analyst"}
    refused = api(world, "ODC-TURKEY", APP).post(f"{REQUIREMENTS}/", {"billet": analyst, "certification_level": 2},
                                                 format="json")
    assert refused.status_code == 403 and "DSCA or of EUCOM" in refused.json()["detail"]
    assert api(world, "USD(P&R)", APP).post(f"{REQUIREMENTS}/", {"billet": analyst, "certification_level": 2},
                                            format="json").status_code == 403
    # CENTCOM may not even read ODC Turkey's billets.
    assert api(world, "CENTCOM", APP).post(f"{REQUIREMENTS}/", {"billet": analyst, "certification_level": 2},
                                           format="json").status_code == 400
    eucom = api(world, "EUCOM", AO)
    bad = eucom.post(f"{REQUIREMENTS}/", {"billet": analyst, "certification_level": 2, "language": "Turkish"},
                     format="json")
    assert bad.status_code == 400 and bad.json()["errors"]["language_level"] == [
        "Give the ILR level required in Turkish (0 to 5)."]
    assert not BilletRequirement.objects.filter(authorization=billet(world, "ODC-TURKEY", "Budget analyst")).exists()
    created = eucom.post(f"{REQUIREMENTS}/", {"billet": analyst, "certification_level": 2, "language": "Turkish",
                                              "language_level": "1+", "region": "europe_eurasia"}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["billet"]["sco"], body["billet"]["position"], body["certification_level"], body["language_level"]) == (
        "ODC-TURKEY", "Budget analyst", 2, "1+")
    again = eucom.post(f"{REQUIREMENTS}/", {"billet": analyst, "certification_level": 1}, format="json")
    assert again.status_code == 400 and "has a requirement already" in again.json()["detail"]
    changed = api(world, "DSCA", AO).patch(f"{REQUIREMENTS}/{body['id']}/", {"certification_level": 3}, format="json")
    assert changed.status_code == 200 and changed.json()["language"] == "Turkish"  # the rest is kept
    assert BilletRequirement.objects.get(pk=body["id"]).certification_level == CertificationLevel.ADVANCED
    assert api(world, "DSCA", AO).delete(f"{REQUIREMENTS}/{body['id']}/").status_code == 405


@time_machine.travel(NOW, tick=False)
def test_billet_requirements_are_read_as_the_scos_readiness_is(world):
    for acronym, seen in (("EUCOM", {"ODC-TURKEY"}), ("CENTCOM", {"OSC-I"}), ("ODC-TURKEY", {"ODC-TURKEY"}),
                          ("DSCA", {"ODC-TURKEY", "JUSMAG-PHILIPPINES", "OSC-I"}), ("J5", set())):
        rows = api(world, acronym, REV).get(f"{REQUIREMENTS}/").json()["results"]
        assert {row["billet"]["sco"] for row in rows} == seen, acronym
    iraq = BilletRequirement.objects.get(authorization=billet(world, "OSC-I", "FMS case officer"))
    assert api(world, "EUCOM", REV).get(f"{REQUIREMENTS}/{iraq.pk}/").status_code == 404
    assert api(world, "EUCOM", AO).patch(f"{REQUIREMENTS}/{iraq.pk}/", {"certification_level": 1},
                                         format="json").status_code == 404
