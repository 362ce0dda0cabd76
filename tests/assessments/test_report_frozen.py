"""A report that holds: closing a cycle freezes its report (figures, ratings, texts, marking) with
the date of close, and every reader of the closed report (page, printable page, XLSX) reads that
snapshot, so a report sent to the Secretary reads the same a year later. While the cycle is open
the report is as of today: an assessment not submitted is not yet due until its suspense has
passed, then missing."""

from __future__ import annotations

import datetime
import io
import re
import zoneinfo

import openpyxl
import pytest
from django.urls import reverse

from assessments.models import Assessment, AssessmentCycle, Program, ProgramAssessment, ReportSnapshot
from assessments.reports import cycle_report
from planning.models import CampaignPlan
from security.models import SecurityProfile

from .conftest import APP, REV
from .helpers import act, answer_everything, joint_review_started, launched

TZ = zoneinfo.ZoneInfo("America/New_York")
CLOSE = datetime.datetime(2027, 6, 21, 10, 0, tzinfo=TZ)

pytestmark = pytest.mark.urls("tests.assessments.urls")


def page(client, name, cycle):
    return client.get(reverse(f"admin:assessments_assessmentcycle_{name}", args=[cycle.pk]))


def body(html: str) -> str:
    """The report itself, from its first table to the end of the evaluation."""
    start = html.index("<h2>Completion by organization</h2>")
    return html[start:html.index("</div>", html.index("<h2>Evaluation and advice to the Secretary"))]


def completion(report):
    return {row.organization: row for row in report.completion}


def figures(report):
    """Everything the report says, in plain values."""
    total = report.totals
    return ([(r.organization, r.assigned, r.submitted, r.on_time, r.late, r.missing, r.not_yet_due, r.accepted,
              r.evaluated, r.days_late) for r in [*report.completion, total]],
            [(r.label, r.title, r.count, r.average_percent, r.distribution)
             for r in [*report.by_end_state, *report.by_command, *report.by_program]],
            report.joint_review, report.evaluation, report.banner, report.closed_on, report.dated)


@pytest.fixture
def closed(world, at_start):
    """EUCOM submits on time, CENTCOM four days after the 15 March suspense, SOCOM never; USD(P)
    submits the FMS assessment on time and never the IMET one. J5 accepts, USD(P) evaluates and
    closes on 21 June 2027."""
    for owner in ("EUCOM", "CENTCOM", "SOCOM"):
        world.approved_plan(owner)
    cycle = launched(world, world.cycle())
    eucom, centcom = (Assessment.objects.get(owner=world.orgs[a]) for a in ("EUCOM", "CENTCOM"))
    fms = ProgramAssessment.objects.get(program__code="FMS")
    for document, acronym, rating in ((eucom, "EUCOM", "Achieved"), (fms, "USD(P)", "Largely achieved")):
        act(document, "start", world.user(acronym))
        answer_everything(document, world.user(acronym), rating=rating)
        act(document, "submit", world.user(acronym))
    at_start.move_to(datetime.datetime(2027, 3, 19, 9, 0, tzinfo=TZ))
    act(centcom, "start", world.user("CENTCOM"))
    answer_everything(centcom, world.user("CENTCOM"), rating="Partially achieved")
    act(centcom, "submit", world.user("CENTCOM"))
    joint_review_started(cycle, world.admin, outstanding=2)
    for document in (eucom, centcom):
        act(document, "accept", world.user("J5", REV))
    act(fms, "accept", world.user("PA&E", REV))
    act(cycle, "forward_to_evaluation", world.user("J5", APP), comment="Partners advanced toward ES-1.")
    for document in (eucom, centcom, fms):
        act(document, "evaluate", world.user("USD(P)", REV))
    at_start.move_to(CLOSE)
    act(cycle, "close", world.user("USD(P)", APP), comment="Shift resources to sustainment.")
    return AssessmentCycle.objects.get(pk=cycle.pk)


def test_closing_freezes_the_report_with_the_date_of_close(world, closed):
    snapshot = ReportSnapshot.objects.get(cycle=closed)
    assert snapshot.closed_on == datetime.date(2027, 6, 21)
    report = cycle_report(cycle=closed)
    by_org = completion(report)
    assert (by_org["EUCOM"].on_time, by_org["EUCOM"].late, by_org["EUCOM"].evaluated) == (1, 0, 1)
    assert (by_org["CENTCOM"].late, by_org["CENTCOM"].days_late) == (1, [4])
    assert (by_org["SOCOM"].missing, by_org["SOCOM"].not_yet_due) == (1, 0)
    assert (by_org["USD(P)"].on_time, by_org["USD(P)"].missing) == (1, 1)  # FMS on time, IMET never
    total = report.totals
    assert (total.assigned, total.submitted, total.on_time, total.late, total.missing, total.not_yet_due,
            total.accepted, total.evaluated) == (5, 3, 2, 1, 2, 0, 3, 3)
    assert [row.label for row in report.by_command] == ["CENTCOM", "EUCOM"]
    assert [(row.label, row.title, row.count) for row in report.by_program] == [
        ("FMS", "Foreign Military Sales", 1)]
    assert report.evaluation == "Shift resources to sustainment."
    assert report.joint_review == "Partners advanced toward ES-1."
    assert report.dated == "closed on 21 Jun 2027; figures frozen at close"


def pdf_info(content: bytes, key: str) -> str:
    """A text of the PDF's document information (written as text or as UTF-16 in hex)."""
    match = re.search(rb"/" + key.encode() + rb" (\((?:[^)\\]|\\.)*\)|<[0-9A-Fa-f]+>)", content)
    assert match, f"no /{key} in the PDF"
    value = match.group(1)
    if value.startswith(b"<"):
        return bytes.fromhex(value[1:-1].decode()).decode("utf-16")
    return value[1:-1].decode("latin-1")


def test_a_year_later_the_closed_report_and_its_xlsx_are_the_same(world, closed, at_start, client):
    client.force_login(world.user("USD(P)", APP))
    before = figures(cycle_report(cycle=closed))
    xlsx_before = page(client, "report_xlsx", closed).content
    pdf_before = page(client, "report_pdf", closed).content
    html_before = page(client, "report", closed).content.decode()

    at_start.move_to(CLOSE + datetime.timedelta(days=366))
    # Meanwhile the world moves on: the program is renamed, an end state retitled, and an
    # assessment of the closed year is dated otherwise (a correction made in the database).
    Program.objects.filter(code="FMS").update(name="Foreign Military Sales (renamed)")
    world.end_states[0].title = "Retitled end state"
    world.end_states[0].save()
    Assessment.objects.filter(owner=world.orgs["CENTCOM"]).update(suspense=datetime.date(2027, 4, 1))

    after = figures(cycle_report(cycle=AssessmentCycle.objects.get(pk=closed.pk)))
    client.force_login(world.user("USD(P)", APP))  # the session of a year ago has expired
    assert after == before
    assert completion(cycle_report(cycle=closed))["CENTCOM"].late == 1
    assert page(client, "report_xlsx", closed).content == xlsx_before
    assert page(client, "report_pdf", closed).content == pdf_before  # the PDF too, byte for byte
    assert pdf_before.startswith(b"%PDF-")
    assert pdf_info(pdf_before, "Title").startswith("FY2027 assessment cycle — report closed on 21 Jun 2027")
    assert pdf_info(pdf_before, "Subject") == "UNCLASSIFIED: assessment cycle report"
    html_after = page(client, "report", closed).content.decode()
    assert "Closed on 21 Jun 2027." in html_after and "Foreign Military Sales (renamed)" not in html_after
    assert body(html_after) == body(html_before)  # every table, chart and text
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx_before))
    rows = list(workbook["Completion"].iter_rows(values_only=True))
    assert rows[0][0] == rows[-1][0] == "UNCLASSIFIED"
    assert rows[1][0].startswith("FY2027 assessment cycle — report closed on 21 Jun 2027")
    assert ("All organizations", 5, 3, 2, 1, 2, 0, 3, 3, 4, 4) in rows
    assert list(workbook["Ratings by program"].iter_rows(min_row=4, max_row=4, values_only=True)) == [
        ("FMS", "Foreign Military Sales", 1, 67, "Largely achieved: 1")]
    assert [tuple(r) for r in workbook["Joint review and evaluation"].iter_rows(values_only=True)][2:6] == [
        ("Consolidated joint review (Joint Staff)",), ("Partners advanced toward ES-1.",),
        ("Evaluation and advice to the Secretary (USD(P))",), ("Shift resources to sustainment.",)]


def test_the_close_freezes_once(world, closed):
    from assessments.reports import report_freeze

    frozen = ReportSnapshot.objects.get(cycle=closed)
    again = report_freeze(closed, closed_on=datetime.date(2030, 1, 1))
    assert (again.pk, again.closed_on, again.figures) == (frozen.pk, frozen.closed_on, frozen.figures)


def test_a_cycle_closed_before_reports_were_frozen_is_frozen_at_its_first_reading_dated_by_its_close(
        world, closed, at_start):
    ReportSnapshot.objects.filter(cycle=closed).delete()  # as a cycle closed before this release
    at_start.move_to(CLOSE + datetime.timedelta(days=30))
    report = cycle_report(cycle=AssessmentCycle.objects.get(pk=closed.pk))
    assert report.closed_on == datetime.date(2027, 6, 21)
    assert (report.totals.missing, report.totals.not_yet_due) == (2, 0)
    assert ReportSnapshot.objects.get(cycle=closed).closed_on == datetime.date(2027, 6, 21)


def test_the_open_report_is_as_of_today_not_yet_due_before_the_suspense_and_missing_after(world, at_start, client):
    for owner in ("EUCOM", "SOCOM"):
        world.approved_plan(owner)
    cycle = launched(world, world.cycle())
    eucom = Assessment.objects.get(owner=world.orgs["EUCOM"])
    act(eucom, "start", world.user("EUCOM"))
    answer_everything(eucom, world.user("EUCOM"))
    act(eucom, "submit", world.user("EUCOM"))

    at_start.move_to(datetime.datetime(2027, 3, 15, 17, 0, tzinfo=TZ))  # the suspense itself: still due today
    client.force_login(world.user("J5", REV))
    report = cycle_report(cycle=cycle)
    assert (completion(report)["SOCOM"].not_yet_due, completion(report)["SOCOM"].missing) == (1, 0)
    assert (report.closed_on, report.dated) == (None, "as of 15 Mar 2027")
    assert "As of 15 Mar 2027." in page(client, "report", cycle).content.decode()

    at_start.move_to(datetime.datetime(2027, 3, 16, 9, 0, tzinfo=TZ))
    client.force_login(world.user("J5", REV))
    report = cycle_report(cycle=cycle)
    assert (completion(report)["SOCOM"].not_yet_due, completion(report)["SOCOM"].missing) == (0, 1)
    assert (completion(report)["EUCOM"].on_time, completion(report)["EUCOM"].late) == (1, 0)
    assert "<td>SOCOM</td><td>1</td><td>0</td><td>0</td><td>0</td><td>1</td><td>0</td>" in page(
        client, "report", cycle).content.decode()
    assert not ReportSnapshot.objects.exists()


def test_a_draft_s_ratings_are_not_in_the_report_until_it_is_submitted(world, at_start):
    world.approved_plan("EUCOM")
    cycle = launched(world, world.cycle())
    eucom = Assessment.objects.get(owner=world.orgs["EUCOM"])
    act(eucom, "start", world.user("EUCOM"))
    answer_everything(eucom, world.user("EUCOM"))
    assert cycle_report(cycle=cycle).by_command == []
    act(eucom, "submit", world.user("EUCOM"))
    assert [row.count for row in cycle_report(cycle=cycle).by_command] == [3]


def test_the_report_draws_its_charts_with_titles_beside_the_tables(world, closed, client):
    client.force_login(world.user("J5", REV))
    for name in ("report", "report_print"):
        html = page(client, name, closed).content.decode()
        assert html.count('role="img"') == 3
        assert '<title id="chart-command-title">Average rating by combatant command</title>' in html
        assert "CENTCOM: 33 % of the scale (3 ratings); EUCOM: 100 % of the scale (3 ratings)" in html
        assert "3 of 5 submitted, 2 by the suspense and 1 after it; 2 missing." in html
        assert "<tr><td>+4</td><td>1</td><td>3</td></tr>" in html  # the table beside the chart


# --- who may read it, on every channel ----------------------------------------------------------

@pytest.mark.parametrize("who, expected", [
    (("USD(P)", APP), 200), (("J5", REV), 200), (("PA&E", "action_officer"), 200), ("admin", 200),
    (("SOCOM", "action_officer"), 403), (("EUCOM", APP), 403),
])
def test_the_closed_report_and_its_export_are_read_by_the_cycle_s_offices_only(world, closed, client, who,
                                                                                 expected):
    client.force_login(world.admin if who == "admin" else world.user(*who))
    for name in ("report", "report_print", "report_xlsx", "report_pdf"):
        assert page(client, name, closed).status_code == expected


def test_the_export_is_refused_to_whom_is_not_cleared_for_a_marking_raised_after_the_close(world, closed, client):
    usdp = world.user("USD(P)", APP)
    client.force_login(usdp)
    assert page(client, "report_xlsx", closed).status_code == 200
    CampaignPlan.objects.filter(owner=world.orgs["EUCOM"]).update(classification="S")
    for name in ("report", "report_print", "report_xlsx", "report_pdf"):
        assert page(client, name, closed).status_code == 403  # signed in without a clearance
    SecurityProfile.objects.create(user=usdp, clearance="S", citizenship="US")
    response = page(client, "report_xlsx", closed)
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content))["Completion"]
    assert sheet["A1"].value == "SECRET" and sheet.cell(sheet.max_row, 1).value == "SECRET"
    assert "SECRET // TRAINING DATA" in page(client, "report_print", closed).content.decode()
    pdf = page(client, "report_pdf", closed)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf_info(pdf.content, "Subject").startswith("SECRET")
