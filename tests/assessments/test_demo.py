"""The demo: last fiscal year's cycle closed with a report to look at, this year's in
collection; loading again changes nothing; without approved plans it is skipped."""

from __future__ import annotations

import io

from django.contrib.auth import get_user_model

from assessments import demo
from assessments.models import Assessment, AssessmentCycle, CycleState
from assessments.reports import cycle_report


def test_the_demo_closes_last_years_cycle_and_leaves_this_years_in_collection(world):
    for owner in ("EUCOM", "CENTCOM", "SOCOM"):
        world.approved_plan(owner)
    world.approved_plan("DA", support=True)
    get_user_model().objects.create_superuser(username="administrator", password="x" * 16)
    out = io.StringIO()
    demo.load(stdout=out)
    assert "FY2026 closed, FY2027 in collection" in out.getvalue()

    past, current = AssessmentCycle.objects.get(fiscal_year=2026), AssessmentCycle.objects.get(fiscal_year=2027)
    assert (past.state, current.state) == (CycleState.CLOSED, CycleState.COLLECTION)
    assert Assessment.objects.filter(cycle=current).count() == 4
    report = cycle_report(cycle=past)
    assert report.totals.assigned == 4 + 5  # four plans and the five reference programs
    assert report.totals.late and report.totals.missing and report.totals.on_time
    assert report.by_end_state and report.by_command and past.evaluation

    again = io.StringIO()
    demo.load(stdout=again)
    assert "FY2026 unchanged, FY2027 unchanged" in again.getvalue()


def test_the_demo_is_skipped_without_approved_plans(world):
    out = io.StringIO()
    demo.load(stdout=out)
    assert "skipped" in out.getvalue()
    assert not AssessmentCycle.objects.exists()
