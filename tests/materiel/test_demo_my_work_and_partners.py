"""The demo's year (through the services, idempotent), the kind in My work and on the start
page, and the partner's FAD where a plan lists its partners (admin page and API)."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.management import call_command
from rest_framework.test import APIClient

from api.services import api_token_issue
from materiel.models import DiversionState, MaterielDiversionRequest
from organizations.models import Country, FADAssignment, Role
from organizations.services import fad_assign
from planning.models import PartnerConsideration
from planning.services import campaign_plan_create
from workflow.models import HistoryEntry
from workflow.services import transition_perform

AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER
NOW = datetime.datetime(2026, 11, 30, 17, 0, tzinfo=datetime.UTC)


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_the_demo_has_a_year_of_fads_and_requests_in_every_stage_and_a_second_load_changes_nothing():
    call_command("load_reference_data", verbosity=0)
    call_command("load_demo_data", verbosity=0)
    states = set(MaterielDiversionRequest.objects.values_list("state", flat=True))
    assert states == {DiversionState.APPROVED, DiversionState.DISAPPROVED, DiversionState.PRIORITIES,
                      DiversionState.DECISION, DiversionState.CONSULTATION, DiversionState.RETURNED,
                      DiversionState.DRAFT}
    assert all(t.endswith("(TRAINING DATA)") for t in MaterielDiversionRequest.objects.values_list("title", flat=True))
    # The competing-needs request went through the Chairman's priorities before USD(P) approved it.
    recommended = MaterielDiversionRequest.objects.exclude(priority_recommendation="").filter(
        state=DiversionState.APPROVED).get()
    assert recommended.partner_fad_at_decision == "II"
    # One request goes to a partner organization, decided with that organization's FAD of the day.
    allied = MaterielDiversionRequest.objects.get(partner__isnull=True)
    assert (allied.partner_organization, allied.state, allied.partner_fad_at_decision) == (
        "NATO Support and Procurement Agency", DiversionState.APPROVED, "III")
    philippines = FADAssignment.objects.filter(country__code="PH").order_by("effective_from")
    assert [(f.designator, f.effective_until is None) for f in philippines] == [("III", False), ("II", True)]
    assert all(f.effective_from <= datetime.date(2026, 11, 30) for f in FADAssignment.objects.all())
    assert all(f.assigned_for.acronym == "J5" for f in FADAssignment.objects.all())
    counts = (MaterielDiversionRequest.objects.count(), FADAssignment.objects.count(), HistoryEntry.objects.count())
    call_command("load_demo_data", verbosity=0)
    assert (MaterielDiversionRequest.objects.count(), FADAssignment.objects.count(),
            HistoryEntry.objects.count()) == counts


@time_machine.travel(NOW, tick=False)
def test_the_request_waits_in_the_deciders_my_work_and_on_the_start_page(world, client):
    request = transition_perform(document=world.request(), name="submit", by=world.user("EUCOM", AO))
    request = transition_perform(document=request, name="advise", by=world.user("DSCA", APP), comment="Advice.")
    client.force_login(world.user("USD(P)", APP))
    my_work = client.get("/admin/my-work/")
    assert my_work.status_code == 200 and request.title in my_work.content.decode()
    assert request.title in client.get("/admin/").content.decode()
    reader = APIClient()
    reader.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=world.user('USD(P)', APP)).key}")
    items = reader.get("/api/v1/my-work/", {"kind": "materiel_diversion_request"}).json()["results"]
    assert [(i["title"], i["document"]["type"]) for i in items] == [(request.title, "materiel-diversion-requests")]
    client.force_login(world.user("INDOPACOM", APP))
    assert request.title not in client.get("/admin/my-work/").content.decode()


@time_machine.travel(NOW, tick=False)
def test_a_plans_partners_show_their_fad_in_the_admin_and_the_api(world, client):
    fad_assign(by=world.user("J5", APP), country=world.countries["PL"], designator="II",
               effective_from=datetime.date(2026, 1, 1), rationale="Ally.")
    eucom = world.orgs["EUCOM"]
    plan = campaign_plan_create(by=world.user("EUCOM", AO), owner=eucom, title="EUCOM campaign plan",
                                period_start=datetime.date(2027, 1, 1), period_end=datetime.date(2031, 1, 1))
    for code in ("PL", "EE"):
        PartnerConsideration.objects.create(plan=plan, country=Country.objects.get(code=code))
    client.force_login(world.user("EUCOM", AO))
    page = client.get(f"/admin/planning/campaignplan/{plan.pk}/change/").content.decode()
    assert "FAD II (since" in page and "No FAD assigned" in page
    reader = APIClient()
    reader.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=world.user('EUCOM', AO)).key}")
    partners = reader.get(f"/api/v1/campaign-plans/{plan.pk}/").json()["partner_considerations"]
    assert {p["country"]: p["fad"] and p["fad"]["label"] for p in partners} == {"PL": "FAD II", "EE": None}
