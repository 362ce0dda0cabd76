"""Program assessments read the initiatives of their program (Encl. 2, 1.k with 1.e): the program
assessment's page shows each initiative its reader may see with its indicators' latest monitoring
values and its approved evaluation's findings, and the cycle's report counts them by program."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from assessments.models import Program, ProgramAssessment
from assessments.reports import cycle_report
from initiatives import reference as initiative_reference
from initiatives.services import evaluation_write, initiative_write, monitoring_record
from organizations.models import Country, Designation, Organization, OrganizationKind
from organizations.services import designation_assign
from security.models import SecurityProfile
from workflow.models import Response
from workflow.selectors import open_taskers
from workflow.services import tasker_respond, transition_perform

from .conftest import APP, REV
from .helpers import launched

pytestmark = pytest.mark.urls("tests.assessments.urls")
CREWS = "Maritime patrol crews certified"


@pytest.fixture
def monitored(world, at_start):
    """EUCOM's BPC initiative under its approved plan: approved by DSCA, one monitoring entry,
    and a mid-term evaluation approved by USD(P)."""
    dsca = Organization.objects.create(acronym="DSCA", name="DSCA (test)", kind=OrganizationKind.DEFENSE_AGENCY)
    world.orgs["DSCA"] = dsca
    designation_assign(organization=dsca, designation=Designation.SECURITY_COOPERATION_AGENCY,
                       start=datetime.date(2008, 10, 1))
    initiative_reference.route_ensure()
    bpc = Program.objects.create(code="BPC", name="Building partner capacity", administered_by=dsca)
    for user in (world.user("EUCOM"), world.user("EUCOM", APP), world.user("EUCOM", REV), world.user("DSCA"),
                 world.user("DSCA", APP), world.user("USD(P)", APP), world.user("CENTCOM", APP)):
        SecurityProfile.objects.get_or_create(user=user, defaults={"clearance": "TS", "citizenship": "US"})
    plan = world.approved_plan("EUCOM")
    initiative = initiative_write(
        by=world.user("EUCOM"), objective=plan.objectives.first(), partner=Country.objects.create(code="GE"),
        program=bpc, indicators=[{"name": CREWS, "kind": "outcome", "unit": "crews", "baseline_value": "2",
                                  "baseline_on": datetime.date(2026, 6, 30), "target_value": "8",
                                  "frequency_months": 3}],
        fields={"title": "Coastal patrol capacity", "start_fiscal_year": 2027, "end_fiscal_year": 2028,
                "estimated_cost": "4000000", "description": "Patrol boats and crews.",
                "initial_assessment": "Two certified crews.", "theory_of_change": "Crews extend patrols."})
    initiative = transition_perform(document=initiative, name="submit", by=world.user("EUCOM"))
    initiative = transition_perform(document=initiative, name="concur", by=world.user("EUCOM", APP))
    initiative = transition_perform(document=initiative, name="approve", by=world.user("DSCA", APP))
    monitoring_record(by=world.user("EUCOM"), initiative=initiative, indicator=initiative.indicators.get(),
                      period_end=datetime.date(2026, 9, 30), value="5")
    evaluation = evaluation_write(by=world.user("DSCA"), initiative=initiative, fields={
        "title": "Mid-term", "evaluation_type": "midterm", "period_start": datetime.date(2026, 10, 1),
        "period_end": datetime.date(2026, 10, 2), "evaluator": "DSCA AM&E",
        "findings": "Crews certified faster than planned.", "recommendations": "Keep going.", "rating": "met"})
    evaluation = transition_perform(document=evaluation, name="submit", by=world.user("DSCA"))
    tasker_respond(tasker=open_taskers(evaluation).get(), by=world.user("EUCOM", REV), response=Response.CONCUR)
    evaluation = transition_perform(document=evaluation, name="send_for_approval", by=world.user("DSCA"))
    transition_perform(document=evaluation, name="approve", by=world.user("USD(P)", APP))
    return initiative


def test_the_program_assessment_page_shows_the_programs_initiatives_with_monitoring_and_findings(world, monitored,
                                                                                              client):
    cycle = launched(world, world.cycle())
    assessment = ProgramAssessment.objects.get(cycle=cycle, program__code="BPC")
    client.force_login(world.user("USD(P)", APP))
    html = client.get(reverse("admin:assessments_programassessment_change", args=[assessment.pk])).content.decode()
    section = html[html.index('id="program-initiatives"'):html.index('id="assessment-answers"')]
    assert "Coastal patrol capacity" in section
    assert "<td>5.00</td>" in section and "50%" in section  # latest value, halfway from 2 to 8
    assert "Crews certified faster than planned." in section
    report = cycle_report(cycle=cycle)
    bpc = next(row for row in report.initiatives if row["label"] == "BPC")
    assert (bpc["initiatives"], bpc["monitored"], bpc["evaluated"], bpc["ratings_text"]) == (
        1, 1, 1, "Objectives met: 1")
    assert next(row for row in report.initiatives if row["label"] == "FMS")["initiatives"] == 0


def test_a_reader_without_need_to_know_sees_no_initiative_on_the_page(world, monitored, client):
    cycle = launched(world, world.cycle())
    assessment = ProgramAssessment.objects.get(cycle=cycle, program__code="BPC")
    client.force_login(world.user("USD(P)", APP))
    monitored.classification = "TS"
    monitored.save()
    SecurityProfile.objects.filter(user=world.user("USD(P)", APP)).update(clearance="S")
    html = client.get(reverse("admin:assessments_programassessment_change", args=[assessment.pk])).content.decode()
    assert "No approved initiative of this program that you may see." in html
    assert "Coastal patrol capacity" not in html
    # The report counts unclassified initiatives only.
    assert next(row for row in cycle_report(cycle=cycle).initiatives if row["label"] == "BPC")["initiatives"] == 0
