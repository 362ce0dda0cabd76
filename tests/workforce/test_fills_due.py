"""Encl. 2, 8.j: the Military Departments provide qualified people for the SCO billets. The
readiness view and its billets export show, per billet in force, the Department that is to provide
its holder (from the billet's Service) and, by Department, the billets it owes a qualified holder
(vacant, or filled by someone not qualified); a Department's staff see every billet their
Department provides, counts only, and no other; the page's queries do not grow with the rows."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from api.services import api_token_issue
from organizations.models import Organization, OrganizationKind, Role
from workforce.exports import BILLET_COLUMNS
from workforce.models import CertificationLevel, QualificationKind

from .conftest import SCM_O, certification, person

AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER
NOW = datetime.datetime(2026, 11, 30, 17, 0, tzinfo=datetime.UTC)
VIEW = "/admin/workforce/personnelrecord/readiness/"
pytestmark = pytest.mark.django_db


def _holders(world):
    """ODC Turkey: a qualified chief (Army), one FMS officer (Navy) a level short; OSC-I: none."""
    person(world, 1, qualifications=[certification(), {"kind": QualificationKind.TRAINING, "name": SCM_O,
                                                        "completed_on": datetime.date(2024, 5, 1)}],
           languages=[{"language": "Turkish", "listening": "2", "reading": "2", "speaking": "2"}])
    person(world, 2, position="FMS case officer", grade="O-4", service="navy",
           qualifications=[certification(CertificationLevel.BASIC)])


def _department(world, acronym, name):
    world.orgs[acronym] = Organization.objects.create(acronym=acronym, name=name,
                                                      kind=OrganizationKind.MILITARY_DEPARTMENT)


def fills(page) -> dict[str, tuple]:
    return {row["military_department"]: (row["billets_authorized"], row["billets_filled"], row["filled_qualified"],
                                         row["vacant"], row["unqualified"], row["owed"])
            for row in page.context_data["fills_due"]}


@time_machine.travel(NOW, tick=False)
def test_the_command_sees_which_department_owes_each_billet_of_its_scos(world, client):
    _holders(world)
    client.force_login(world.user("EUCOM", REV))
    page = client.get(VIEW)
    assert page.status_code == 200
    billets = {(row["acronym"], row["position"]): (row["military_department"], row["owed"])
               for row in page.context_data["billets"]}
    assert billets == {("ODC-TURKEY", "Chief, Office of Defense Cooperation"): ("DA", 0),
                       ("ODC-TURKEY", "FMS case officer"): ("DON", 2),
                       ("ODC-TURKEY", "Budget analyst"): ("DoD civilian (no Department named)", 1)}
    # authorized, filled, qualified, vacant, filled but not qualified, owed
    assert fills(page) == {"DA": (1, 1, 1, 0, 0, 0), "DON": (2, 1, 0, 1, 1, 2),
                           "DoD civilian (no Department named)": (1, 0, 0, 1, 0, 1)}
    assert list(fills(page)) == ["DA", "DON", "DoD civilian (no Department named)"]  # Departments first
    assert "SCO billet holder" not in page.content.decode()  # counts only


@time_machine.travel(NOW, tick=False)
def test_a_military_departments_staff_see_the_billets_their_department_provides_and_export_them(world, client):
    _holders(world)
    _department(world, "DON", "Department of the Navy (test)")
    client.force_login(world.user("DON", AO))
    page = client.get(VIEW)
    rows = page.context_data["billets"]
    assert {(row["acronym"], row["position"]) for row in rows} == {
        ("ODC-TURKEY", "FMS case officer"), ("JUSMAG-PHILIPPINES", "FMS case officer"), ("OSC-I", "FMS case officer")}
    assert fills(page) == {"DON": (6, 1, 0, 5, 1, 6)}
    assert page.context_data["rows"] == []  # no SCO's readiness, no personnel record: only the fills due
    lines = list(csv.reader(io.StringIO(client.get(VIEW, {"format": "csv", "table": "billets"}).content.decode())))
    assert lines[2] == [column for column, _ in BILLET_COLUMNS]
    body = lines[3:6]
    assert sorted((line[2], line[6], line[12]) for line in body) == [
        ("JUSMAG-PHILIPPINES", "DON", "2"), ("ODC-TURKEY", "DON", "2"), ("OSC-I", "DON", "2")]
    assert lines[6] == ["UNCLASSIFIED"]
    bad = client.get(VIEW, {"format": "csv", "table": "people"})
    assert bad.status_code == 400 and "choose scos or billets" in bad.content.decode()
    # The same through the API.
    token = api_token_issue(user=world.user("DON", AO)).key
    answer = APIClient(HTTP_AUTHORIZATION=f"Token {token}").get("/api/v1/workforce-readiness/billets/").json()
    assert sorted((row["acronym"], row["military_department"], row["owed"]) for row in answer) == [
        ("JUSMAG-PHILIPPINES", "DON", 2), ("ODC-TURKEY", "DON", 2), ("OSC-I", "DON", 2)]
    # Another Department's staff see none of the Navy's billets.
    _department(world, "DAF", "Department of the Air Force (test)")
    client.force_login(world.user("DAF", APP))
    assert client.get(VIEW).context_data["billets"] == []


@time_machine.travel(NOW, tick=False)
def test_the_readiness_page_reads_a_fixed_number_of_queries(world, client):
    _holders(world)
    client.force_login(world.user("DSCA", REV))
    client.get(VIEW)

    def count():
        with CaptureQueriesContext(connection) as context:
            assert client.get(VIEW).status_code == 200
        return len(context.captured_queries)

    before = count()
    person(world, 3, sco="OSC-I", position="FMS case officer", grade="O-4", service="navy",
           qualifications=[certification(CertificationLevel.EXPERT)])
    person(world, 4, sco="JUSMAG-PHILIPPINES", position="Budget analyst", grade="GS-12", service="civilian")
    assert count() == before
