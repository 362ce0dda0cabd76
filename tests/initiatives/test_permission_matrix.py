"""Every (state, transition, person): exactly the people the route names may make each
transition of an initiative and of an evaluation, in every state; everyone else is refused with a
reason that says why (who may, the state that does not allow it, or what it waits for), and nothing
changes."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine

from initiatives.models import EvaluationState, Initiative, InitiativeEvaluation, InitiativeState
from initiatives.services import evaluation_write
from organizations.models import Role
from workflow.exceptions import TransitionRefused
from workflow.models import Response
from workflow.selectors import open_taskers
from workflow.services import (
    kind_label,
    state_label,
    tasker_respond,
    transition_perform,
    transitions_available,
)

AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER
NOW = datetime.datetime(2026, 11, 30, 17, 0, tzinfo=datetime.UTC)
PEOPLE = {
    "command action officer": ("EUCOM", AO), "command reviewer": ("EUCOM", REV), "command approver": ("EUCOM", APP),
    "DSCA action officer": ("DSCA", AO), "DSCA reviewer": ("DSCA", REV), "DSCA approver": ("DSCA", APP),
    "USD(P) reviewer": ("USD(P)", REV), "USD(P) approver": ("USD(P)", APP), "Joint Staff approver": ("J5", APP),
    "unrelated command approver": ("CENTCOM", APP), "other agency approver": ("DLA", APP),
}
OWNERS = {"command action officer", "command approver"}
INITIATIVE = {
    "draft": {"submit": {"command action officer"}, "withdraw": OWNERS},
    "concurrence": {"concur": {"command approver"}, "nonconcur": {"command approver"}, "withdraw": OWNERS},
    "approval": {"approve": {"DSCA approver"}, "return_for_rework": {"DSCA reviewer", "DSCA approver"},
                 "withdraw": OWNERS},
    "returned": {"submit": {"command action officer"}, "withdraw": OWNERS},
    "approved": {"close": {"command approver"}},
    "closed": {},
    "withdrawn": {},
}
EVALUATORS = {"DSCA action officer", "DSCA approver"}
EVALUATION = {
    "draft": {"submit": {"DSCA action officer"}, "withdraw": EVALUATORS},
    "coordination": {"return_for_rework": {"command reviewer", "command approver"}, "withdraw": EVALUATORS},
    "coordination, answered": {"send_for_approval": EVALUATORS, "withdraw": EVALUATORS},
    "approval": {"approve": {"USD(P) approver"}, "return_for_rework": {"USD(P) reviewer", "USD(P) approver"},
                 "withdraw": EVALUATORS},
    "returned": {"submit": {"DSCA action officer"}, "withdraw": EVALUATORS},
    "approved": {},
    "withdrawn": {},
}
# What the command's coordination (the evaluation's consultation tasker) answered leaves nobody to
# return it: the refusal says so (``workflow.rules.TaskedRole``), never "of no organization".
ANSWERED = ("an office with an open consultation tasker on it, and none has one now (its consultation is answered, "
            "or not yet asked)")


def says_why(reason: str, document) -> bool:
    """A refusal names who may (the office and role), the state that does not allow it, or what
    the transition waits for."""
    return (reason == f"Not possible while the {kind_label(document)} is {state_label(document)}."
            or bool(re.fullmatch(r"Only .+ may do this: an? [a-z ]+ of [A-Z(][^ ]*\.", reason))
            or reason.endswith(f" of {ANSWERED}.")
            or bool(re.fullmatch(r"Waiting for the coordination of [A-Z(][^ ]*\.", reason)))


def test_every_state_has_its_row():
    assert set(INITIATIVE) == set(InitiativeState.values)
    assert {situation.split(",")[0] for situation in EVALUATION} == set(EvaluationState.values)


def _initiative_in(world, situation: str) -> Initiative:
    initiative = world.initiative()
    if situation == "draft":
        return initiative
    if situation == "withdrawn":
        return transition_perform(document=initiative, name="withdraw", by=world.user("EUCOM", APP), comment="x")
    initiative = transition_perform(document=initiative, name="submit", by=world.user("EUCOM", AO))
    if situation == "concurrence":
        return initiative
    if situation == "returned":
        return transition_perform(document=initiative, name="nonconcur", by=world.user("EUCOM", APP), comment="x")
    initiative = transition_perform(document=initiative, name="concur", by=world.user("EUCOM", APP))
    if situation == "approval":
        return initiative
    initiative = transition_perform(document=initiative, name="approve", by=world.user("DSCA", APP))
    if situation == "approved":
        return initiative
    return transition_perform(document=initiative, name="close", by=world.user("EUCOM", APP), comment="Done.")


def _evaluation_in(world, situation: str) -> InitiativeEvaluation:
    initiative = _initiative_in(world, "approved")
    evaluation = evaluation_write(by=world.user("DSCA", AO), initiative=initiative, fields={
        "title": "Mid-term", "period_start": datetime.date(2026, 10, 1), "period_end": datetime.date(2026, 11, 1),
        "evaluator": "DSCA AM&E", "findings": "F.", "recommendations": "R.", "rating": "met"})
    if situation == "draft":
        return evaluation
    if situation == "withdrawn":
        return transition_perform(document=evaluation, name="withdraw", by=world.user("DSCA", APP), comment="x")
    evaluation = transition_perform(document=evaluation, name="submit", by=world.user("DSCA", AO))
    if situation == "coordination":
        return evaluation
    if situation == "returned":
        return transition_perform(document=evaluation, name="return_for_rework", by=world.user("EUCOM", APP),
                                  comment="x")
    tasker_respond(tasker=open_taskers(evaluation).get(), by=world.user("EUCOM", REV), response=Response.CONCUR)
    if situation == "coordination, answered":
        return evaluation
    evaluation = transition_perform(document=evaluation, name="send_for_approval", by=world.user("DSCA", AO))
    if situation == "approval":
        return evaluation
    return transition_perform(document=evaluation, name="approve", by=world.user("USD(P)", APP))


def _check(document, expected, world, situation):
    model = type(document)
    for person, (acronym, role) in PEOPLE.items():
        user = world.user(acronym, role)
        for option in transitions_available(document=document, user=user):
            should = person in expected.get(option.name, set())
            assert option.allowed is should, (situation, person, option.name, option.reasons)
            if should:
                continue
            assert option.reasons and all(says_why(r, document) for r in option.reasons), (
                situation, person, option.name, option.reasons)
            with pytest.raises(TransitionRefused) as refusal:
                transition_perform(document=document, name=option.name, by=user, comment="a reason")
            assert set(option.reasons) <= set(refusal.value.reasons)
            assert model.objects.get(pk=document.pk).state == document.state


@pytest.mark.parametrize("situation", list(INITIATIVE))
@time_machine.travel(NOW, tick=False)
def test_exactly_the_right_people_may_make_each_transition_of_an_initiative(world, situation):
    initiative = _initiative_in(world, situation)
    names = [o.name for o in transitions_available(document=initiative, user=world.user("EUCOM", AO))]
    assert names == ["submit", "concur", "nonconcur", "approve", "return_for_rework", "withdraw", "close"]
    _check(initiative, INITIATIVE[situation], world, situation)


@pytest.mark.parametrize("situation", list(EVALUATION))
@time_machine.travel(NOW, tick=False)
def test_exactly_the_right_people_may_make_each_transition_of_an_evaluation(world, situation):
    evaluation = _evaluation_in(world, situation)
    _check(evaluation, EVALUATION[situation], world, situation)
