"""The cycle's report is computed from the data: completion by organization (on time, late
with its days, missing), ratings by GEF end state and by combatant command, and the texts;
shown in the admin, printable, downloadable as XLSX, and only to those allowed to see it."""

from __future__ import annotations

import datetime
import io
import zoneinfo

import openpyxl
import pytest
import time_machine
from django.urls import reverse

from assessments.models import Assessment, AssessmentCycle
from assessments.reports import cycle_report

from .conftest import REV
from .helpers import act, answer_everything, launched

TZ = zoneinfo.ZoneInfo("America/New_York")

pytestmark = pytest.mark.urls("tests.assessments.urls")



@pytest.fixture
def reported(world, at_start):
    """EUCOM submits on time, CENTCOM four days after the suspense, SOCOM never."""
    for owner in ("EUCOM", "CENTCOM", "SOCOM"):
        world.approved_plan(owner)
    cycle = launched(world, world.cycle())
    eucom, centcom = (Assessment.objects.get(owner=world.orgs[a]) for a in ("EUCOM", "CENTCOM"))
    act(eucom, "start", world.user("EUCOM"))
    answer_everything(eucom, world.user("EUCOM"), rating="Achieved")
    act(eucom, "submit", world.user("EUCOM"))
    at_start.move_to(datetime.datetime(2027, 3, 19, 9, 0, tzinfo=TZ))  # suspense 15 March
    act(centcom, "start", world.user("CENTCOM"))
    answer_everything(centcom, world.user("CENTCOM"), rating="Partially achieved")
    act(centcom, "submit", world.user("CENTCOM"))
    return AssessmentCycle.objects.get(pk=cycle.pk)


def rows(report):
    return {row.organization: row for row in report.completion}


def test_a_late_submission_is_counted_late_with_its_days_and_an_unsubmitted_one_missing(world, reported):
    report = cycle_report(cycle=reported)
    by_org = rows(report)
    assert (by_org["EUCOM"].on_time, by_org["EUCOM"].late) == (1, 0)
    assert (by_org["CENTCOM"].late, by_org["CENTCOM"].days_late_total) == (1, 4)
    assert (by_org["SOCOM"].missing, by_org["SOCOM"].on_time, by_org["SOCOM"].late) == (1, 0, 0)
    assert by_org["USD(P)"].missing == 2  # the two program assessments
    assert (report.totals.assigned, report.totals.on_time, report.totals.late, report.totals.missing) == (5, 1, 1, 3)


def test_before_the_suspense_an_unsubmitted_assessment_is_not_yet_due_rather_than_missing(world, reported):
    report = cycle_report(cycle=reported, as_of=datetime.date(2027, 3, 1))
    assert (rows(report)["SOCOM"].missing, rows(report)["SOCOM"].not_yet_due) == (0, 1)


def test_ratings_are_grouped_by_gef_end_state_and_by_combatant_command(world, reported):
    report = cycle_report(cycle=reported)
    by_end_state = {row.label: row for row in report.by_end_state}
    # Each command rated OBJ-1 (ES-1) and OBJ-2 (ES-2): Achieved = 100 %, Partially achieved = 33 %.
    assert by_end_state["ES-1"].count == 2 and by_end_state["ES-1"].average_percent == 67
    assert dict(by_end_state["ES-2"].distribution) == {"Achieved": 1, "Partially achieved": 1}
    by_command = {row.label: row for row in report.by_command}
    assert (by_command["EUCOM"].count, by_command["EUCOM"].average_percent) == (3, 100)
    assert (by_command["CENTCOM"].count, by_command["CENTCOM"].average_percent) == (3, 33)
    assert "SOCOM" not in by_command


def test_the_xlsx_download_has_a_row_per_organization_and_the_ratings(world, reported, client):
    client.force_login(world.admin)
    response = client.get(reverse("admin:assessments_assessmentcycle_report_xlsx", args=[reported.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    completion = list(workbook["Completion"].iter_rows(min_row=3, values_only=True))
    # Organization, assigned, submitted, on time, late, missing, not yet due, accepted, evaluated, days late.
    assert ("CENTCOM", 1, 1, 0, 1, 0, 0, 0, 0, 4, 4) in completion
    assert ("SOCOM", 1, 0, 0, 0, 1, 0, 0, 0, 0, 0) in completion
    assert completion[-2][:6] == ("All organizations", 5, 2, 1, 1, 3)
    assert completion[-1][0] == "UNCLASSIFIED"  # the banner, first and last
    end_states = list(workbook["Ratings by GEF end state"].iter_rows(min_row=4, values_only=True))
    assert [row[0] for row in end_states] == ["ES-1", "ES-2", "UNCLASSIFIED"]


def test_the_report_page_and_the_printable_page_show_the_figures(world, reported, client):
    client.force_login(world.user("J5", REV))
    page = client.get(reverse("admin:assessments_assessmentcycle_report", args=[reported.pk]))
    printable = client.get(reverse("admin:assessments_assessmentcycle_report_print", args=[reported.pk]))
    for response in (page, printable):
        assert response.status_code == 200
        assert b"<td>CENTCOM</td><td>1</td><td>1</td><td>0</td><td>1</td>" in response.content
    assert b"UNCLASSIFIED // TRAINING DATA" in printable.content


def test_the_report_is_refused_to_someone_outside_the_cycle(world, reported, client):
    client.force_login(world.user("SOCOM"))
    for name in ("report", "report_print", "report_xlsx"):
        response = client.get(reverse(f"admin:assessments_assessmentcycle_{name}", args=[reported.pk]))
        assert response.status_code == 403


def test_a_report_never_needs_typed_figures_for_an_empty_cycle(world):
    with time_machine.travel(datetime.datetime(2026, 10, 5, tzinfo=TZ)):
        report = cycle_report(cycle=world.cycle())
    assert report.completion == [] and report.totals.assigned == 0
