"""The readiness report's route on the services: DSCA writes and submits it, USD(P&R) is tasked,
returns it with a reason, DSCA resubmits and USD(P&R) accepts; what DSCA submits carries the
readiness of every SCO as of the period's end; a refusal says why and changes nothing; and every
(state, transition, person): exactly DSCA's and USD(P&R)'s people the workflow names may move it."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from organizations.models import Role
from workflow.exceptions import InvalidInput, NotPermitted, TransitionRefused
from workflow.models import HistoryEntry, Step, TaskerState
from workflow.selectors import document_taskers, open_taskers
from workflow.services import transition_perform, transitions_available
from workforce.models import ReportState, WorkforceReadinessReport
from workforce.selectors import reports_visible_to
from workforce.services import report_write

from .conftest import certification, person

AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER
NOW = datetime.datetime(2026, 11, 30, 17, 0, tzinfo=datetime.UTC)
pytestmark = pytest.mark.django_db


def _report(world, **fields):
    values = {"title": "SC workforce readiness, FY27 Q1", "period_start": datetime.date(2026, 10, 1),
              "period_end": datetime.date(2026, 12, 31), "assessment": "Most billets filled by certified people.",
              **fields}
    return report_write(by=world.user("DSCA", AO), fields=values)


@time_machine.travel(NOW, tick=False)
def test_dsca_submits_usdpr_returns_then_accepts_with_the_readiness_frozen_at_submission(world):
    person(world, 1, qualifications=[certification()])  # the chief: advanced, but without SCM-O and Turkish
    report = _report(world)
    assert report.owner == world.orgs["DSCA"] and report.state == ReportState.DRAFT

    report = transition_perform(document=report, name="submit", by=world.user("DSCA", APP))
    assert report.state == ReportState.REVIEW
    tasked = [t.organization.acronym for t in open_taskers(report, step=Step.REVIEW)]
    assert tasked == ["USD(P&R)"]
    turkey = next(row for row in report.rows if row["acronym"] == "ODC-TURKEY")
    # 4 billets (chief, 2 FMS officers, budget analyst); the chief filled but not qualified.
    assert (turkey["billets_authorized"], turkey["billets_filled"], turkey["filled_qualified"], turkey["gaps"]) == \
        (4, 1, 0, 4)
    assert report.as_of == datetime.date(2026, 11, 30)  # the period has not ended: read today

    report = transition_perform(document=report, name="return_for_rework", by=world.user("USD(P&R)", REV),
                                comment="Give the plan to close the language gap.")
    assert report.state == ReportState.RETURNED and report.return_reason == "Give the plan to close the language gap."
    assert not open_taskers(report, step=Step.REVIEW).exists()
    report = report_write(by=world.user("DSCA", AO), report=report,
                          fields={"assessment": "Two officers start Turkish in January."})
    report = transition_perform(document=report, name="submit", by=world.user("DSCA", APP))
    report = transition_perform(document=report, name="accept", by=world.user("USD(P&R)", APP),
                                comment="Accepted for the readiness reporting.")
    assert report.state == ReportState.ACCEPTED and report.decision_note == "Accepted for the readiness reporting."
    answered = [t for t in document_taskers(report, step=Step.REVIEW) if t.state == TaskerState.ANSWERED]
    assert [t.organization.acronym for t in answered] == ["USD(P&R)"]  # the second round's; the first cancelled
    actions = list(HistoryEntry.objects.filter(object_id=report.pk, content_type__model="workforcereadinessreport")
                   .order_by("pk").values_list("action", flat=True))
    for name in ("submit", "return_for_rework", "accept"):
        assert name in actions


@time_machine.travel(NOW, tick=False)
def test_a_report_without_an_assessment_or_before_its_period_is_refused_with_the_reason(world):
    report = _report(world, assessment="")
    with pytest.raises(TransitionRefused) as refusal:
        transition_perform(document=report, name="submit", by=world.user("DSCA", APP))
    assert "Missing before submission: DSCA's assessment of readiness." in refusal.value.reasons
    future = _report(world, title="Next year", period_start=datetime.date(2027, 10, 1),
                     period_end=datetime.date(2027, 12, 31))
    with pytest.raises(TransitionRefused) as refusal:
        transition_perform(document=future, name="submit", by=world.user("DSCA", APP))
    assert any("submit the report once it has begun" in reason for reason in refusal.value.reasons)
    assert WorkforceReadinessReport.objects.get(pk=future.pk).state == ReportState.DRAFT


@time_machine.travel(NOW, tick=False)
def test_bad_input_names_the_field_and_saves_nothing(world):
    with pytest.raises(InvalidInput) as error:
        _report(world, title="", period_end=datetime.date(2026, 9, 1))
    assert set(error.value.field_errors) == {"title", "period_end"}
    assert "The period ends after it starts" in error.value.field_errors["period_end"][0]
    assert not WorkforceReadinessReport.objects.exists()
    with pytest.raises(NotPermitted):
        report_write(by=world.user("EUCOM", AO), fields={"title": "A command's own", "period_start": NOW.date(),
                                                        "period_end": NOW.date() + datetime.timedelta(days=1)})


@time_machine.travel(NOW, tick=False)
def test_the_report_is_seen_by_dsca_and_usdpr_only(world):
    report = _report(world)
    transition_perform(document=report, name="submit", by=world.user("DSCA", APP))
    for acronym, role in (("DSCA", AO), ("USD(P&R)", REV)):
        assert reports_visible_to(world.user(acronym, role)).filter(pk=report.pk).exists(), acronym
    for acronym, role in (("EUCOM", APP), ("ODC-TURKEY", AO), ("J5", REV), ("DIA", APP)):
        assert not reports_visible_to(world.user(acronym, role)).exists(), acronym


PEOPLE = {
    "DSCA action officer": ("DSCA", AO), "DSCA reviewer": ("DSCA", REV), "DSCA approver": ("DSCA", APP),
    "USD(P&R) action officer": ("USD(P&R)", AO), "USD(P&R) reviewer": ("USD(P&R)", REV),
    "USD(P&R) approver": ("USD(P&R)", APP), "SCO approver": ("ODC-TURKEY", APP),
    "command approver": ("EUCOM", APP), "Joint Staff reviewer": ("J5", REV), "other agency approver": ("DLA", APP),
}
DSCA_WRITERS = {"DSCA action officer", "DSCA approver"}
EXPECTED = {
    "draft": {"submit": {"DSCA approver"}, "withdraw": DSCA_WRITERS},
    "review": {"accept": {"USD(P&R) approver"}, "return_for_rework": {"USD(P&R) reviewer", "USD(P&R) approver"},
               "withdraw": DSCA_WRITERS},
    "returned": {"submit": {"DSCA approver"}, "withdraw": DSCA_WRITERS},
    "accepted": {},
    "withdrawn": {},
}


def _report_in(world, situation: str) -> WorkforceReadinessReport:
    report = _report(world)
    if situation == "draft":
        return report
    if situation == "withdrawn":
        return transition_perform(document=report, name="withdraw", by=world.user("DSCA", AO), comment="x")
    report = transition_perform(document=report, name="submit", by=world.user("DSCA", APP))
    if situation == "review":
        return report
    if situation == "returned":
        return transition_perform(document=report, name="return_for_rework", by=world.user("USD(P&R)", REV),
                                  comment="x")
    return transition_perform(document=report, name="accept", by=world.user("USD(P&R)", APP))


@pytest.mark.parametrize("situation", list(EXPECTED))
@time_machine.travel(NOW, tick=False)
def test_exactly_the_right_people_may_make_each_transition(world, situation):
    report = _report_in(world, situation)
    names = [option.name for option in transitions_available(document=report, user=world.user("DSCA", AO))]
    assert names == ["submit", "accept", "return_for_rework", "withdraw"]
    for who, (acronym, role) in PEOPLE.items():
        user = world.user(acronym, role)
        for option in transitions_available(document=report, user=user):
            should = who in EXPECTED[situation].get(option.name, set())
            assert option.allowed is should, (situation, who, option.name, option.reasons)
            if should:
                continue
            assert option.reasons, (situation, who, option.name)
            with pytest.raises(TransitionRefused) as refusal:
                transition_perform(document=report, name=option.name, by=user, comment="a reason")
            assert set(option.reasons) <= set(refusal.value.reasons)
            assert WorkforceReadinessReport.objects.get(pk=report.pk).state == report.state
