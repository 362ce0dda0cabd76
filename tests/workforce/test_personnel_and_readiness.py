"""Personnel records are personal data: need-to-know on every channel (admin list, its filter,
the change page, the readiness view and its exports, the API); readiness counts billets filled by
qualified people (certification level, training, language at its ILR level) by command, region
and SCO; the exports carry their documented columns; bad input is refused beside its field."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
import time_machine
from openpyxl import load_workbook
from rest_framework.test import APIClient

from api.services import api_token_issue
from manpower.models import SecurityCooperationOrganization
from organizations.authority import may
from organizations.models import Role
from security.models import AuditAction, AuditEvent
from workflow.exceptions import InvalidInput, NotPermitted
from workforce.exports import READINESS_COLUMNS
from workforce.models import (
    BilletRequirement,
    CertificationLevel,
    PersonnelRecord,
    QualificationKind,
    WorkforceReadinessReport,
)
from workforce.selectors import personnel_visible_to, readiness_rows
from workforce.services import personnel_write

from .conftest import SCM_O, billet, certification, person

AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER
NOW = datetime.datetime(2026, 11, 30, 17, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 11, 30)
pytestmark = pytest.mark.django_db


def api(world, acronym, role) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=world.user(acronym, role)).key}")
    return client


def _people(world):
    """At ODC Turkey: a qualified chief, an FMS officer one level short, an FMS officer whose
    certification lapsed; at OSC-I (CENTCOM) one qualified FMS officer."""
    chief = person(world, 1, qualifications=[
        certification(expires_on=datetime.date(2027, 1, 15)),  # 46 days left
        {"kind": QualificationKind.TRAINING, "name": SCM_O, "completed_on": datetime.date(2024, 5, 1)}],
        languages=[{"language": "Turkish", "listening": "2", "reading": "2", "speaking": "2+"}])
    short = person(world, 2, position="FMS case officer", grade="O-4",
                   qualifications=[certification(CertificationLevel.BASIC)])
    lapsed = person(world, 3, position="FMS case officer", grade="O-4",
                    qualifications=[certification(CertificationLevel.INTERMEDIATE,
                                                  expires_on=datetime.date(2026, 11, 1))])
    iraq = person(world, 4, sco="OSC-I", position="FMS case officer", grade="O-4",
                  qualifications=[certification(CertificationLevel.EXPERT, expires_on=datetime.date(2027, 2, 1))])
    return chief, short, lapsed, iraq


@time_machine.travel(NOW, tick=False)
def test_readiness_counts_billets_filled_by_qualified_people_and_expiring_certifications(world):
    _people(world)
    rows = {row["acronym"]: row for row in readiness_rows(SecurityCooperationOrganization.objects.all(), on=TODAY)}
    turkey, iraq, philippines = rows["ODC-TURKEY"], rows["OSC-I"], rows["JUSMAG-PHILIPPINES"]
    assert (turkey["billets_authorized"], turkey["billets_filled"], turkey["filled_qualified"], turkey["gaps"],
            turkey["vacant"], turkey["expiring_90_days"]) == (4, 3, 1, 3, 1, 1)
    assert (turkey["command"], turkey["region"]) == ("EUCOM", "Europe and Eurasia")
    assert (iraq["filled_qualified"], iraq["gaps"], iraq["region"]) == (1, 3, "Middle East, Central and South Asia")
    assert philippines["billets_filled"] == 0 and philippines["gaps"] == 4
    # The budget analyst's billet has no requirement set: counted, and said.
    assert turkey["billets_without_requirement"] == 1


@time_machine.travel(NOW, tick=False)
def test_only_the_owning_office_its_command_usdpr_and_dsca_see_a_personnel_record_anywhere(world, client):
    chief, *_ = _people(world)
    seeing = [("ODC-TURKEY", AO), ("EUCOM", APP), ("USD(P&R)", REV), ("DSCA", REV)]
    not_seeing = [("J5", REV), ("DIA", APP), ("INDOPACOM", APP), ("CENTCOM", APP), ("JUSMAG-PHILIPPINES", AO),
                  ("DLA", APP)]
    for acronym, role in seeing:
        assert personnel_visible_to(world.user(acronym, role)).filter(pk=chief.pk).exists(), acronym
        assert api(world, acronym, role).get(f"/api/v1/personnel-records/{chief.pk}/").status_code == 200
    for acronym, role in not_seeing:
        user = world.user(acronym, role)
        assert not personnel_visible_to(user).filter(pk=chief.pk).exists(), acronym
        reader = api(world, acronym, role)
        assert reader.get(f"/api/v1/personnel-records/{chief.pk}/").status_code == 404
        assert chief.identifier not in reader.get("/api/v1/personnel-records/").content.decode()
        client.force_login(user)
        listing = client.get("/admin/workforce/personnelrecord/")
        assert chief.identifier not in listing.content.decode()
        assert "ODC-TURKEY" not in listing.content.decode()  # nor the owner in the list's filter
        assert client.get(f"/admin/workforce/personnelrecord/{chief.pk}/change/").status_code in (302, 403, 404)
        page = client.get("/admin/workforce/personnelrecord/readiness/")
        assert chief.identifier not in page.content.decode()
        export = client.get("/admin/workforce/personnelrecord/readiness/?format=csv")
        if export.status_code == 200:
            assert "ODC-TURKEY" not in export.content.decode()
    # CENTCOM supervises OSC-I: it reads OSC-I's record (among those expiring) and readiness, never ODC Turkey's.
    client.force_login(world.user("CENTCOM", APP))
    page = client.get("/admin/workforce/personnelrecord/readiness/").content.decode()
    assert "SCO billet holder 0004, test record" in page and "Office of Defense Cooperation Turkey" not in page
    client.force_login(world.user("EUCOM", APP))
    page = client.get("/admin/workforce/personnelrecord/readiness/").content.decode()
    assert chief.identifier in page and "SCO billet holder 0004" not in page
    assert [r["acronym"] for r in api(world, "EUCOM", APP).get("/api/v1/workforce-readiness/").json()] == ["ODC-TURKEY"]


@time_machine.travel(NOW, tick=False)
def test_the_exports_carry_the_documented_columns_and_only_what_the_reader_may_see(world, client):
    _people(world)
    client.force_login(world.user("USD(P&R)", REV))
    lines = list(csv.reader(io.StringIO(client.get("/admin/workforce/personnelrecord/readiness/?format=csv")
                                        .content.decode())))
    columns = [column for column, _meaning in READINESS_COLUMNS]
    assert lines[0] == ["UNCLASSIFIED"] and lines[2] == columns
    turkey = next(line for line in lines if len(line) > 5 and line[5] == "ODC-TURKEY")
    values = dict(zip(columns, turkey, strict=True))
    assert values["as_of"] == "2026-11-30" and values["gaps"] == "3" and values["filled_qualified"] == "1"
    documented = lines[lines.index(["Columns"]) + 2:]
    assert [line[0] for line in documented] == columns and all(line[1] for line in documented)
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, description__startswith="SC workforce readiness").exists()
    workbook = load_workbook(io.BytesIO(client.get("/admin/workforce/personnelrecord/readiness/?format=xlsx").content))
    assert workbook.sheetnames == ["Readiness", "Columns"]
    assert [row[0] for row in workbook["Columns"].iter_rows(min_row=3, values_only=True)][:len(columns)] == columns
    bad = client.get("/admin/workforce/personnelrecord/readiness/?format=pdf")
    assert bad.status_code == 400 and "choose csv or xlsx" in bad.content.decode()
    client.force_login(world.user("EUCOM", APP))
    lines = client.get("/admin/workforce/personnelrecord/readiness/?format=csv").content.decode()
    assert "ODC-TURKEY" in lines and "OSC-I" not in lines


@time_machine.travel(NOW, tick=False)
def test_bad_input_is_refused_beside_its_field_or_row_and_nothing_is_saved(world, client):
    person(world, 1, qualifications=[certification()])
    with pytest.raises(InvalidInput) as error:
        person(world, 2, position="Chief, Office of Defense Cooperation",  # one billet, filled already
               qualifications=[certification(expires_on=datetime.date(2024, 1, 1))],
               languages=[{"language": "Turkish", "listening": "7", "reading": "2", "speaking": "2"}])
    fields = error.value.field_errors
    assert "all filled already" in fields["billet"][0]
    assert any("cannot expire" in reason for reason in fields["qualifications"])
    assert any("listening" in reason for reason in fields["languages"])
    assert not PersonnelRecord.objects.filter(identifier__startswith="SCO billet holder 0002").exists()
    with pytest.raises(NotPermitted):
        person(world, 5, by=world.user("EUCOM", AO))  # EUCOM does not keep ODC Turkey's records
    # The admin's form: the refusal beside the row, what was typed kept, nothing saved.
    client.force_login(world.user("ODC-TURKEY", AO))
    form = {"identifier": "SCO billet holder 0009, test record", "owner": world.scos["ODC-TURKEY"].organization.pk,
            "billet": billet(world, "ODC-TURKEY", "Budget analyst").pk, "grade": "GS-12", "service": "civilian",
            "assigned_on": "2026-01-05", "notes": "",
            "qualifications-TOTAL_FORMS": "1", "qualifications-INITIAL_FORMS": "0",
            "qualifications-0-kind": "certification", "qualifications-0-name": "SC workforce certification",
            "qualifications-0-level": "", "qualifications-0-completed_on": "2025-01-01",
            "languages-TOTAL_FORMS": "0", "languages-INITIAL_FORMS": "0",
            "regions-TOTAL_FORMS": "0", "regions-INITIAL_FORMS": "0"}
    page = client.post("/admin/workforce/personnelrecord/add/", form)
    assert page.status_code == 200
    assert "A certification needs its level" in page.content.decode()
    assert "SCO billet holder 0009, test record" in page.content.decode()
    assert not PersonnelRecord.objects.filter(identifier__startswith="SCO billet holder 0009").exists()
    form["qualifications-0-level"] = "1"
    assert client.post("/admin/workforce/personnelrecord/add/", form).status_code == 302
    saved = PersonnelRecord.objects.get(identifier="SCO billet holder 0009, test record")
    assert saved.supervising_command == world.orgs["EUCOM"] and saved.qualifications.get().level == 1
    assert AuditEvent.objects.filter(description__startswith="Personnel record created (kept by ODC-TURKEY)").exists()
    with pytest.raises(InvalidInput):
        personnel_write(by=world.user("ODC-TURKEY", AO), record=saved, fields={"identifier": ""})


def test_the_declared_rules_let_the_owning_office_and_its_readers_act_on_a_record_and_no_one_else(world):
    """Who may read, add and change personnel records, billet requirements and readiness reports
    (the admin's and the API's rules), asked with a record and without."""
    record = person(world, 1)
    requirement = BilletRequirement.objects.get(authorization=billet(world, "ODC-TURKEY", "FMS case officer"))
    for acronym, role in (("ODC-TURKEY", AO), ("EUCOM", APP), ("USD(P&R)", REV)):
        assert may(world.user(acronym, role), "view", record), acronym
        assert may(world.user(acronym, role), "view", requirement), acronym
    for acronym, role in (("INDOPACOM", APP), ("JUSMAG-PHILIPPINES", AO)):
        assert not may(world.user(acronym, role), "view", record), acronym
        assert not may(world.user(acronym, role), "view", requirement), acronym
    # The keeping office's writers change the record; its command reads it but does not write it.
    assert may(world.user("ODC-TURKEY", AO), "change", record) and may(world.user("ODC-TURKEY", APP), "change", record)
    assert not may(world.user("EUCOM", APP), "change", record) and not may(world.user("ODC-TURKEY", REV), "change",
                                                                            record)
    # Without a record: any office's action officers and approvers keep records; reviewers do not.
    assert may(world.user("EUCOM", APP), "add", PersonnelRecord) and may(world.user("EUCOM", AO), "add",
                                                                         PersonnelRecord)
    assert not may(world.user("EUCOM", REV), "add", PersonnelRecord)
    # DSCA's action officers and approvers write the readiness report; its reviewers and other offices do not.
    assert may(world.user("DSCA", AO), "add", WorkforceReadinessReport)
    assert may(world.user("DSCA", APP), "add", WorkforceReadinessReport)
    assert not may(world.user("DSCA", REV), "add", WorkforceReadinessReport)
    assert not may(world.user("USD(P&R)", APP), "add", WorkforceReadinessReport)
