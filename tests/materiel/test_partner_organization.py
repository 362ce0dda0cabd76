"""A diversion to a partner organization (Encl. 2, 9.f: FADs are assigned "to partner countries and
organizations"): a request names one partner, a country or an organization, as a FAD does; the
organization's FAD in force is shown wherever the partner appears (admin list and page, export,
API) and recorded at the decision; naming both or neither is refused beside the field, saving
nothing (service, admin form, API, and the database's constraint)."""

from __future__ import annotations

import datetime
import io

import pytest
import time_machine
from django.db import IntegrityError, transaction
from openpyxl import load_workbook
from rest_framework.test import APIClient

from api.services import api_token_issue
from materiel.models import MaterielDiversionRequest
from materiel.services import request_write
from organizations.models import Role
from organizations.services import fad_assign
from workflow.exceptions import InvalidInput
from workflow.services import transition_perform

AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER
NOW = datetime.datetime(2026, 11, 30, 17, 0, tzinfo=datetime.UTC)
NSPA = "NATO Support and Procurement Agency"
V1 = "/api/v1/materiel-diversion-requests"
BOTH = "Name one partner: a partner country or a partner organization, not both."
NEITHER = "Name the partner it goes to: a partner country or a partner organization."
FIELDS = {"title": "Engines for the Heavy Airlift Wing", "item": "F117 engine", "quantity": 2, "unit": "each",
          "source": "Air Force spares pool", "urgency": "priority", "justification": "Aircraft grounded."}


def api(world, acronym, role) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=world.user(acronym, role)).key}")
    return client


def _nspa_fad(world, designator="III", day=datetime.date(2026, 1, 1)):
    return fad_assign(by=world.user("J5", APP), partner_organization=NSPA, designator=designator, effective_from=day,
                      rationale="Multinational sustainment of Allied fleets.")


def _to_nspa(world, name=NSPA, **fields):
    return request_write(by=world.user("EUCOM", AO), owner=world.orgs["EUCOM"], partner_organization=name,
                         fields={**FIELDS, **fields})


@time_machine.travel(NOW, tick=False)
def test_a_request_to_a_partner_organization_carries_its_fad_to_the_decision(world):
    _nspa_fad(world, "III", datetime.date(2025, 10, 1))
    _nspa_fad(world, "II", datetime.date(2026, 6, 1))
    request = _to_nspa(world, name="  nato support and procurement agency ")  # the FAD's partner, whatever the case
    assert (request.partner_id, request.partner_name) == (None, "nato support and procurement agency")
    assert request.partner_fad.designator == "II"
    request = transition_perform(document=request, name="submit", by=world.user("EUCOM", AO))
    request = transition_perform(document=request, name="advise", by=world.user("DSCA", APP), comment="Ok.")
    request = transition_perform(document=request, name="approve", by=world.user("USD(P)", APP))
    assert request.partner_fad_at_decision == "II"
    _nspa_fad(world, "I", datetime.date(2026, 11, 30))  # a later FAD leaves the decision's record as it was
    assert MaterielDiversionRequest.objects.get(pk=request.pk).partner_fad_at_decision == "II"


@time_machine.travel(NOW, tick=False)
def test_an_organization_without_a_fad_is_decided_with_none_recorded(world):
    request = _to_nspa(world, name="Organization for Security and Co-operation in Europe")
    assert request.partner_fad is None
    request = transition_perform(document=request, name="submit", by=world.user("EUCOM", AO))
    request = transition_perform(document=request, name="advise", by=world.user("DSCA", APP), comment="Ok.")
    request = transition_perform(document=request, name="disapprove", by=world.user("USD(P)", APP), comment="No.")
    assert request.partner_fad_at_decision == ""


@time_machine.travel(NOW, tick=False)
def test_naming_both_partners_or_neither_is_refused_beside_the_field_and_saves_nothing(world):
    eucom = world.user("EUCOM", AO)
    before = MaterielDiversionRequest.objects.count()
    with pytest.raises(InvalidInput) as both:
        request_write(by=eucom, owner=world.orgs["EUCOM"], partner=world.countries["PL"], partner_organization=NSPA,
                      fields=FIELDS)
    assert both.value.field_errors == {"partner_organization": [BOTH]}
    for blank in (None, "   "):
        with pytest.raises(InvalidInput) as neither:
            request_write(by=eucom, owner=world.orgs["EUCOM"], partner_organization=blank, fields=FIELDS)
        assert neither.value.field_errors == {"partner": [NEITHER]}
    with pytest.raises(InvalidInput) as too_long:
        _to_nspa(world, name="N" * 201)
    assert set(too_long.value.field_errors) == {"partner_organization"}
    assert MaterielDiversionRequest.objects.count() == before
    # A change naming both is refused too, and the request keeps its partner.
    request = world.request(partner="PL")
    with pytest.raises(InvalidInput):
        request_write(by=eucom, request=request, partner=world.countries["EE"], partner_organization=NSPA, fields={})
    request.refresh_from_db()
    assert (request.partner.code, request.partner_organization) == ("PL", "")


@time_machine.travel(NOW, tick=False)
def test_naming_the_other_kind_of_partner_replaces_the_first(world):
    request = world.request(partner="PL")
    request = request_write(by=world.user("EUCOM", APP), request=request, partner_organization=NSPA, fields={})
    assert (request.partner_id, request.partner_organization) == (None, NSPA)
    request = request_write(by=world.user("EUCOM", APP), request=request, partner=world.countries["EE"], fields={})
    assert (request.partner.code, request.partner_organization) == ("EE", "")
    request = request_write(by=world.user("EUCOM", APP), request=request, fields={"title": "Retitled"})
    assert (request.partner.code, request.title) == ("EE", "Retitled")  # a change not naming the partner keeps it


@pytest.mark.django_db(transaction=False)
@time_machine.travel(NOW, tick=False)
def test_the_database_refuses_a_request_with_two_partners_or_none(world):
    request = world.request(partner="PL")
    for partner, organization in ((request.partner, NSPA), (None, "")):
        with pytest.raises(IntegrityError), transaction.atomic():
            MaterielDiversionRequest.objects.filter(pk=request.pk).update(partner=partner,
                                                                          partner_organization=organization)


@time_machine.travel(NOW, tick=False)
def test_the_admin_shows_the_organization_and_its_fad_and_refuses_two_partners(world, client):
    _nspa_fad(world)
    request = _to_nspa(world)
    client.force_login(world.user("EUCOM", AO))
    listing = client.get("/admin/materiel/materieldiversionrequest/").content.decode()
    assert NSPA in listing and "FAD III (since" in listing
    page = client.get(f"/admin/materiel/materieldiversionrequest/{request.pk}/change/").content.decode()
    assert NSPA in page and "FAD III (since" in page
    form = {**FIELDS, "title": "Typed in the admin", "owner": world.orgs["EUCOM"].pk,
            "partner": world.countries["PL"].pk, "partner_organization": NSPA, "classification": "U", "needed_by": ""}
    answer = client.post("/admin/materiel/materieldiversionrequest/add/", form)
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "not both" in html and "Typed in the admin" in html  # the reason shown, what was typed kept
    assert not MaterielDiversionRequest.objects.filter(title="Typed in the admin").exists()
    form["partner"] = ""
    assert client.post("/admin/materiel/materieldiversionrequest/add/", form).status_code == 302
    saved = MaterielDiversionRequest.objects.get(title="Typed in the admin")
    assert (saved.partner_id, saved.partner_organization, saved.created_by) == (None, NSPA, world.user("EUCOM", AO))
    form["partner_organization"] = ""
    form["title"] = "No partner"
    answer = client.post("/admin/materiel/materieldiversionrequest/add/", form)
    assert answer.status_code == 200 and "Name the partner it goes to" in answer.content.decode()
    assert not MaterielDiversionRequest.objects.filter(title="No partner").exists()


@time_machine.travel(NOW, tick=False)
def test_the_export_names_the_organization_with_its_fad(world, client):
    _nspa_fad(world)
    request = _to_nspa(world)
    client.force_login(world.user("EUCOM", AO))
    answer = client.post("/admin/materiel/materieldiversionrequest/", {"action": "export_xlsx",
                                                                      "_selected_action": [request.pk]})
    rows = list(load_workbook(io.BytesIO(answer.content)).active.iter_rows(values_only=True))
    header = rows[2]
    row = dict(zip(header, rows[3], strict=True))
    assert row["Partner"] == NSPA and row["Partner's FAD today"].startswith("FAD III (since")


@time_machine.travel(NOW, tick=False)
def test_the_api_creates_switches_and_refuses_partners(world):
    _nspa_fad(world)
    eucom = api(world, "EUCOM", AO)
    created = eucom.post(f"{V1}/", {**FIELDS, "partner_organization": NSPA}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["partner"], body["partner_organization"], body["partner_name"]) == (None, NSPA, NSPA)
    assert body["partner_fad"] == {"designator": "III", "label": "FAD III", "effective_from": "2026-01-01"}
    listed = {row["id"]: row for row in eucom.get(f"{V1}/").json()["results"]}
    assert listed[body["id"]]["partner_fad"]["label"] == "FAD III"
    switched = eucom.patch(f"{V1}/{body['id']}/", {"partner": "PL"}, format="json").json()
    assert (switched["partner"], switched["partner_organization"], switched["partner_fad"]) == ("PL", "", None)
    before = MaterielDiversionRequest.objects.count()
    both = eucom.post(f"{V1}/", {**FIELDS, "partner": "PL", "partner_organization": NSPA}, format="json")
    assert both.status_code == 400 and both["Content-Type"] == "application/problem+json"
    assert both.json()["errors"] == {"partner_organization": [BOTH]}
    neither = eucom.post(f"{V1}/", FIELDS, format="json")
    assert neither.status_code == 400 and neither.json()["errors"] == {"partner": [NEITHER]}
    assert MaterielDiversionRequest.objects.count() == before
    assert MaterielDiversionRequest.objects.get(pk=body["id"]).partner.code == "PL"


def test_the_openapi_description_names_the_partner_organization(world):
    schema = api(world, "EUCOM", AO).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    components = schema["components"]["schemas"]
    assert "partner_organization" in components["MaterielDiversionRequest"]["properties"]
    written = next(v for k, v in components.items() if k.endswith("MaterielDiversionRequestWriteRequest")
                   or k == "MaterielDiversionRequestWrite")
    assert "partner_organization" in written["properties"]
