"""An initiative's design route (command's concurrence, the program's administering office's
approval), its monitoring (entries due as taskers, refused when out of place), an evaluation's
route (the command coordinates, USD(P) approves), and what program assessments read of them."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from initiatives.models import (
    EvaluationState,
    Initiative,
    InitiativeEvaluation,
    InitiativeState,
    MonitoringEntry,
)
from initiatives.selectors import evaluations_visible_to, initiatives_visible_to, program_initiatives
from initiatives.services import evaluation_write, initiative_write, monitoring_record
from organizations.authority import may
from organizations.models import Role
from workflow.exceptions import InvalidInput, NotPermitted, TransitionRefused
from workflow.models import Response, Step, TaskerState
from workflow.selectors import open_taskers, taskers_of
from workflow.services import tasker_respond, transition_perform

from .conftest import DESIGN, INDICATORS

AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER
NOW = datetime.datetime(2026, 11, 30, 17, 0, tzinfo=datetime.UTC)


def approved(world, initiative=None):
    initiative = initiative or world.initiative()
    initiative = transition_perform(document=initiative, name="submit", by=world.user("EUCOM", AO))
    initiative = transition_perform(document=initiative, name="concur", by=world.user("EUCOM", APP))
    return transition_perform(document=initiative, name="approve", by=world.user("DSCA", APP))


@time_machine.travel(NOW, tick=False)
def test_the_design_is_concurred_by_the_command_and_approved_by_the_programs_administering_office(world):
    initiative = transition_perform(document=world.initiative(), name="submit", by=world.user("EUCOM", AO))
    assert initiative.state == InitiativeState.CONCURRENCE
    with pytest.raises(TransitionRefused):  # the planners cannot concur for their commander
        transition_perform(document=initiative, name="concur", by=world.user("EUCOM", AO))
    initiative = transition_perform(document=initiative, name="concur", by=world.user("EUCOM", APP))
    assert [t.organization.acronym for t in open_taskers(initiative)] == ["DSCA"]
    with pytest.raises(TransitionRefused):
        transition_perform(document=initiative, name="approve", by=world.user("DLA", APP))
    initiative = transition_perform(document=initiative, name="approve", by=world.user("DSCA", APP))
    assert initiative.state == InitiativeState.APPROVED
    assert taskers_of(initiative, step=Step.APPROVAL).get().response == Response.APPROVED
    # The monitoring plan starts: the quarterly indicator is due first, at the end of its period.
    due = open_taskers(initiative, step=Step.COMPLETION).get()
    assert (due.organization.acronym, due.suspense) == ("EUCOM", datetime.date(2026, 12, 30))


@time_machine.travel(NOW, tick=False)
def test_an_incomplete_design_or_an_unadministered_program_is_refused_with_the_reason(world):
    bare = world.initiative(indicators=[], initial_assessment="")
    with pytest.raises(TransitionRefused) as refusal:
        transition_perform(document=bare, name="submit", by=world.user("EUCOM", AO))
    assert "Missing before submission: the initial assessment." in refusal.value.reasons
    assert any("monitoring plan" in reason for reason in refusal.value.reasons)
    world.program.administered_by = None
    world.program.save()
    with pytest.raises(TransitionRefused) as refusal:
        transition_perform(document=world.initiative(title="Other"), name="submit", by=world.user("EUCOM", AO))
    assert any("names no administering office" in reason for reason in refusal.value.reasons)


@pytest.mark.parametrize(("fields", "field", "words"), [
    ({"start_fiscal_year": 2029, "end_fiscal_year": 2027}, "end_fiscal_year", "comes before the first"),
    ({"estimated_cost": "-5"}, "estimated_cost", "cannot be negative"),
    ({"estimated_cost": "lots"}, "estimated_cost", "must be a number"),
    ({"title": ""}, "title", "Give the initiative a title."),
])
def test_bad_design_input_is_refused_beside_its_field_and_saves_nothing(world, fields, field, words):
    with pytest.raises(InvalidInput) as refusal:
        world.initiative(**fields)
    assert any(words in message for message in refusal.value.field_errors[field])
    assert not initiatives_visible_to(world.user("EUCOM", AO)).exists()


def test_an_indicator_without_a_baseline_is_refused_on_its_row(world):
    with pytest.raises(InvalidInput) as refusal:
        world.initiative(indicators=[{**INDICATORS[0], "baseline_value": ""}])
    assert refusal.value.rows["indicators"][0]["baseline_value"] == ["Give the baseline."]


@time_machine.travel(NOW, tick=False)
def test_monitoring_entries_answer_the_tasker_due_and_refuse_what_is_out_of_place(world):
    initiative = approved(world)
    other = approved(world, world.initiative(title="Another initiative"))
    crews = initiative.indicators.get(name=INDICATORS[0]["name"])
    ao = world.user("EUCOM", AO)
    with pytest.raises(InvalidInput) as refusal:  # an indicator of another initiative
        monitoring_record(by=ao, initiative=initiative, indicator=other.indicators.first(),
                          period_end=datetime.date(2026, 11, 15), value="3")
    assert "is not in the monitoring plan of “Black Sea maritime domain awareness”" in \
        refusal.value.field_errors["indicator"][0]
    with pytest.raises(InvalidInput) as refusal:
        monitoring_record(by=ao, initiative=initiative, indicator=crews, period_end=datetime.date(2027, 3, 31),
                          value="3")
    assert "has not ended yet" in refusal.value.field_errors["period_end"][0]
    with time_machine.travel(datetime.datetime(2027, 1, 5, 17, 0, tzinfo=datetime.UTC), tick=False):
        monitoring_record(by=ao, initiative=initiative, indicator=crews, period_end=datetime.date(2026, 12, 31),
                          value="4", note="Two more crews certified.")
        with pytest.raises(InvalidInput) as refusal:
            monitoring_record(by=ao, initiative=initiative, indicator=crews, period_end=datetime.date(2026, 12, 31),
                              value="5")
        assert "already has an entry" in refusal.value.field_errors["period_end"][0]
    assert MonitoringEntry.objects.filter(indicator__initiative=initiative).count() == 1
    # The first period's tasker is answered; the next falls due at the vessels' six-month mark.
    assert taskers_of(initiative, step=Step.COMPLETION).filter(state=TaskerState.ANSWERED).count() == 1
    assert open_taskers(initiative, step=Step.COMPLETION).get().suspense == datetime.date(2027, 3, 30)
    with pytest.raises(Exception):  # noqa: B017 - a reviewer of another agency may not record
        monitoring_record(by=world.user("DLA", AO), initiative=initiative, indicator=crews,
                          period_end=datetime.date(2026, 10, 31), value="3")


@time_machine.travel(NOW, tick=False)
def test_an_evaluation_is_coordinated_by_the_command_and_approved_by_usdp_then_read_by_program_assessments(world):
    initiative = approved(world)
    monitoring_record(by=world.user("EUCOM", AO), initiative=initiative,
                      indicator=initiative.indicators.get(name=INDICATORS[0]["name"]),
                      period_end=datetime.date(2026, 11, 15), value="5")
    with pytest.raises(InvalidInput) as refusal:
        evaluation_write(by=world.user("DSCA", AO), initiative=initiative, fields={
            "title": "Mid-term", "period_start": datetime.date(2026, 10, 1), "period_end": datetime.date(2026, 9, 1)})
    assert "before it starts" in refusal.value.field_errors["period_end"][0]
    evaluation = evaluation_write(by=world.user("DSCA", AO), initiative=initiative, fields={
        "title": "Mid-term evaluation", "evaluation_type": "midterm", "period_start": datetime.date(2026, 10, 1),
        "period_end": datetime.date(2026, 11, 15), "evaluator": "DSCA AM&E", "findings": "Crews certified ahead of plan.",
        "recommendations": "Fund the second radar site.", "rating": "met"})
    assert evaluation.owner.acronym == "DSCA"
    evaluation = transition_perform(document=evaluation, name="submit", by=world.user("DSCA", AO))
    assert [t.organization.acronym for t in open_taskers(evaluation)] == ["EUCOM"]
    with pytest.raises(TransitionRefused) as waiting:
        transition_perform(document=evaluation, name="send_for_approval", by=world.user("DSCA", AO))
    assert "Waiting for the coordination of EUCOM." in waiting.value.reasons
    tasker_respond(tasker=open_taskers(evaluation).get(), by=world.user("EUCOM", REV), response=Response.CONCUR)
    evaluation = transition_perform(document=evaluation, name="send_for_approval", by=world.user("DSCA", AO))
    assert [t.organization.acronym for t in open_taskers(evaluation)] == ["USD(P)"]
    # Not yet approved: the program assessment reads no finding.
    assert program_initiatives(world.user("USD(P)", APP), world.program)[0]["evaluation"] is None
    evaluation = transition_perform(document=evaluation, name="approve", by=world.user("USD(P)", APP))
    assert evaluation.state == EvaluationState.APPROVED
    row = program_initiatives(world.user("EUCOM", APP), world.program)[0]
    assert row["evaluation"]["findings"] == "Crews certified ahead of plan."
    crews = next(i for i in row["indicators"] if i["name"] == INDICATORS[0]["name"])
    assert (crews["latest"], crews["progress_percent"]) == (5, 50)


@time_machine.travel(NOW, tick=False)
def test_initiatives_and_evaluations_are_seen_like_their_plan(world):
    initiative = approved(world)
    assert initiatives_visible_to(world.user("EUCOM", AO)).filter(pk=initiative.pk).exists()
    assert initiatives_visible_to(world.user("DSCA", REV)).filter(pk=initiative.pk).exists()  # administers it
    assert not initiatives_visible_to(world.user("CENTCOM", APP)).exists()  # no need to know
    assert program_initiatives(world.user("CENTCOM", APP), world.program) == []
    initiative.classification = "S"
    initiative.save()
    assert not initiatives_visible_to(world.user("EUCOM", REV, clearance="C")).exists()
    assert not evaluations_visible_to(world.user("CENTCOM", AO)).exists()


def test_an_objective_of_a_support_plan_takes_no_initiative(world):
    from initiatives.services import initiative_write
    from planning.models import Objective
    from planning.services import support_plan_create

    support = support_plan_create(by=world.user("DLA", AO), owner=world.orgs["DLA"], title="DLA support plan")
    objective = Objective.objects.create(plan=support, code="SO 1", title="Sustain partner fleets")
    with pytest.raises(InvalidInput) as refusal:
        initiative_write(by=world.user("DLA", AO), objective=objective, partner=world.partner, program=world.program,
                         fields={"title": "Spares"})
    assert "an initiative serves a combatant command's campaign objective" in refusal.value.field_errors["objective"][0]


@time_machine.travel(NOW, tick=False)
def test_only_the_owners_writers_change_a_draft_initiative_or_evaluation(world):
    # Without a record (the admin's menu, list and "Add"): a command's, or for evaluations a defense
    # agency's, action officers and approvers; no reviewer.
    for model, acronym in ((Initiative, "EUCOM"), (InitiativeEvaluation, "DSCA")):
        assert may(world.user(acronym, AO), "change", model) and may(world.user(acronym, APP), "change", model)
        assert not may(world.user(acronym, REV), "change", model)
    for role in (AO, APP):
        assert not may(world.user("DSCA", role), "change", Initiative)
        assert not may(world.user("EUCOM", role), "change", InitiativeEvaluation)
    initiative = world.initiative()
    initiative = initiative_write(by=world.user("EUCOM", APP), initiative=initiative,
                                  fields={**DESIGN, "title": "Black Sea maritime awareness, phase 1"})
    assert initiative.title == "Black Sea maritime awareness, phase 1"
    assert may(world.user("EUCOM", AO), "change", initiative)
    assert not may(world.user("CENTCOM", AO), "change", initiative) and not may(world.user("DSCA", AO), "change",
                                                                                initiative)
    with pytest.raises(NotPermitted) as refusal:
        initiative_write(by=world.user("CENTCOM", AO), initiative=initiative, fields={**DESIGN, "title": "Taken"})
    assert str(refusal.value) == "Only an action officer or approver of EUCOM may write this initiative."

    initiative = approved(world, initiative)
    entry = monitoring_record(by=world.user("EUCOM", AO), initiative=initiative,
                              indicator=initiative.indicators.order_by("pk").first(),
                              period_end=datetime.date(2026, 11, 15), value="5")
    assert may(world.user("EUCOM", AO), "view", entry) and may(world.user("EUCOM", AO), "view", MonitoringEntry)
    assert not may(world.user("CENTCOM", AO), "view", entry)
    assert not may(world.user("CENTCOM", AO), "view", MonitoringEntry)  # it sees no initiative
    evaluation = evaluation_write(by=world.user("DSCA", AO), initiative=initiative, fields={
        "title": "Mid-term evaluation", "period_start": datetime.date(2026, 10, 1),
        "period_end": datetime.date(2026, 11, 15)})
    evaluation = evaluation_write(by=world.user("DSCA", APP), evaluation=evaluation,
                                  fields={"title": "Mid-term evaluation, first year"})
    assert evaluation.title == "Mid-term evaluation, first year"
    assert may(world.user("DSCA", AO), "change", evaluation)
    assert not may(world.user("DLA", AO), "change", evaluation) and not may(world.user("EUCOM", AO), "change",
                                                                            evaluation)
    with pytest.raises(NotPermitted) as refusal:
        evaluation_write(by=world.user("DLA", AO), evaluation=evaluation, fields={"title": "Taken"})
    assert str(refusal.value) == "Only an action officer or approver of DSCA may write this evaluation."
