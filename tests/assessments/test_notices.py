"""Word of the cycle's work: a template phase opening, an assessment submitted (to the reviewing
office), accepted or returned (to the command), a cycle phase starting (to everyone taking part).
The same engine events as for plans: the kinds only name their notices in their workflow tables."""

from __future__ import annotations

from assessments.models import Assessment, ProgramAssessment
from reminders.models import NoticeKind, Notification
from reminders.notices import notices_raise

from .conftest import APP, REV
from .helpers import act, answer_everything, joint_review_started, launched


def told(kind: str) -> dict[str, list[str]]:
    """{username: [in-app texts]} of the notices of ``kind``."""
    texts: dict[str, list[str]] = {}
    for n in Notification.objects.filter(reminder__notice_kind=kind).select_related("user").order_by("pk"):
        texts.setdefault(n.user.username, []).append(n.text)
    return texts


def test_each_template_phase_is_told_to_the_cycle_offices_and_not_to_who_opened_it(world):
    for acronym, role in (("J5", APP), ("USD(P)", REV), ("PA&E", REV), ("EUCOM", APP)):
        world.user(acronym, role)
    cycle = world.cycle()
    world.approved_template(cycle)  # the cycle's template phase, consultation, approval
    notices_raise()
    phases = told(NoticeKind.TEMPLATE_PHASE)
    assert "cycle_admin" not in phases  # the administrator opened the template phase
    assert "eucom_approver" not in phases  # no assessment of theirs in the cycle yet: no need-to-know
    assert any("FY2027 assessment cycle" in text and "template" in text for text in phases["usdp_reviewer"])
    assert any("is now approved" in text for text in phases["usdp_reviewer"])
    # The approver is told of the phases others opened, not of the approval they gave.
    assert phases["j5_approver"] and not any("is now approved" in text for text in phases["j5_approver"])


def test_a_submitted_assessment_is_told_to_the_reviewing_office_and_its_acceptance_to_the_command(world):
    world.approved_plan("EUCOM")
    for acronym, role in (("J5", REV), ("J5", APP), ("EUCOM", REV), ("EUCOM", APP), ("USD(P)", APP)):
        world.user(acronym, role)
    launched(world, world.cycle())
    assessment = Assessment.objects.get(owner=world.orgs["EUCOM"])
    act(assessment, "start", world.user("EUCOM"))
    answer_everything(assessment, world.user("EUCOM"))
    act(assessment, "submit", world.user("EUCOM"))
    notices_raise()
    submitted = told(NoticeKind.ASSESSMENT_SUBMITTED)
    # Those who may accept or return it: the Joint Staff office's reviewers and approvers.
    assert set(submitted) == {"j5_reviewer", "j5_approver"}
    assert submitted["j5_reviewer"] == [f"The assessment “{assessment.title}” is now submitted (submit, by "
                                        "eucom_action_officer for EUCOM)."]
    act(assessment, "accept", world.user("J5", REV))
    notices_raise()
    decided = told(NoticeKind.ASSESSMENT_DECIDED)
    assert {"eucom_action_officer", "eucom_reviewer", "eucom_approver"} <= set(decided)
    assert "j5_reviewer" not in decided and "usdp_approver" not in decided
    assert "is now accepted" in decided["eucom_action_officer"][0]


def test_a_cycle_phase_starting_is_told_to_the_commands_with_assessments_in_it(world):
    world.approved_plan("EUCOM")
    world.user("EUCOM", APP)
    world.user("CENTCOM", APP)
    cycle = launched(world, world.cycle())
    # Nothing is submitted yet: every assessment of the cycle (the plan's and the programs') is outstanding.
    outstanding = (Assessment.objects.filter(cycle=cycle).count()
                   + ProgramAssessment.objects.filter(cycle=cycle).count())
    joint_review_started(cycle, world.admin, outstanding=outstanding)
    notices_raise()
    phases = told(NoticeKind.CYCLE_PHASE)
    assert any("joint review" in text for text in phases["eucom_approver"])
    assert "centcom_approver" not in phases  # no assessment in the cycle
    assert "cycle_admin" not in phases
