"""The demo: last fiscal year's cycle closed with a report to look at, this year's in
collection; loading again changes nothing; without approved plans it is skipped."""

from __future__ import annotations

import io

from django.contrib.auth import get_user_model

from assessments import demo
from assessments.models import Assessment, AssessmentCycle, CycleState, ProgramAssessment, Template
from assessments.reports import cycle_report
from assessments.selectors import answer_sheet
from organizations.models import Role
from workflow.models import HistoryEntry
from workflow.selectors import history_of

AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER


def test_the_demo_closes_last_years_cycle_and_leaves_this_years_in_collection(world):
    for owner in ("EUCOM", "CENTCOM", "SOCOM"):
        world.approved_plan(owner)
    world.approved_plan("DA", support=True)
    get_user_model().objects.create_superuser(username="administrator", password="x" * 16)
    for acronym, role in (("J5", AO), ("J5", REV), ("J5", APP), ("USD(P)", AO), ("USD(P)", REV), ("USD(P)", APP),
                          ("PA&E", REV)):
        world.user(acronym, role)  # the demo role users who run the cycle
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

    # Through the front door: every step by the person of the role who takes it, none by the engine
    # on someone's behalf except the launch's own opening of collection.
    template = Template.objects.get(cycle=past)
    said = [(entry.action, entry.actor.username if entry.actor else None) for entry in history_of(template)]
    assert said[:3] == [("created", "j5_action_officer"), ("section_added", "j5_action_officer"),
                        ("section_added", "j5_action_officer")]
    assert ("tasker_answered", "usdp_reviewer") in said and ("revise", "j5_action_officer") in said
    assert [a for a, _ in said].count("consult") == 2 and said[-1] == ("approve", "j5_approver")
    assert any("non-concur" in entry.description for entry in history_of(template))
    system_made = HistoryEntry.objects.filter(actor__isnull=True).exclude(action__in=("open_collection",
                                                                                      "taskers_cancelled"))
    assert not system_made.exists(), list(system_made.values_list("action", "description"))
    # The program assessments answer their own questions, never the plans'.
    program = ProgramAssessment.objects.filter(cycle=past).first()
    asked = {row["question"].text for row in answer_sheet(program)}
    assert asked and not any("plan" in text for text in asked)
    # One assessment was returned and resubmitted; this year's template came from last year's.
    returned = HistoryEntry.objects.filter(action="return_for_rework").get()
    assert HistoryEntry.objects.filter(object_id=returned.object_id, content_type=returned.content_type,
                                       action="submit").count() == 2
    assert "from the FY2026 template" in history_of(Template.objects.get(cycle=current)).first().description

    again = io.StringIO()
    demo.load(stdout=again)
    assert "FY2026 unchanged, FY2027 unchanged" in again.getvalue()


def test_the_demo_is_skipped_without_approved_plans(world):
    out = io.StringIO()
    demo.load(stdout=out)
    assert "skipped" in out.getvalue()
    assert not AssessmentCycle.objects.exists()
