"""Every (state, transition, person): exactly the people the directive names may make each
transition of a materiel diversion request, in every state; everyone else is refused with a reason
that says why (who may, or the state that does not allow it), and nothing changes."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine

from materiel.models import DiversionState, MaterielDiversionRequest
from organizations.models import Role
from workflow.exceptions import TransitionRefused
from workflow.services import state_label, transition_perform, transitions_available

AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER
NOW = datetime.datetime(2026, 11, 30, 17, 0, tzinfo=datetime.UTC)
PEOPLE = {
    "command action officer": ("EUCOM", AO), "command reviewer": ("EUCOM", REV), "command approver": ("EUCOM", APP),
    "other command approver": ("INDOPACOM", APP), "Military Department approver": ("DA", APP),
    "DSCA reviewer": ("DSCA", REV), "DSCA approver": ("DSCA", APP),
    "Joint Staff reviewer": ("J5", REV), "Joint Staff approver": ("J5", APP),
    "USD(P) action officer": ("USD(P)", AO), "USD(P) reviewer": ("USD(P)", REV), "USD(P) approver": ("USD(P)", APP),
    "other agency approver": ("DLA", APP),
}
REQUESTERS = {"command action officer", "command approver"}
EXPECTED = {
    "draft": {"submit": {"command action officer"}, "withdraw": REQUESTERS},
    "consultation": {"advise": {"DSCA approver"}, "refer_competing_needs": {"DSCA approver"},
                     "return_for_rework": {"DSCA reviewer", "DSCA approver"}, "withdraw": REQUESTERS},
    "priorities": {"recommend_priorities": {"Joint Staff approver"},
                   "return_for_rework": {"Joint Staff reviewer", "Joint Staff approver"}, "withdraw": REQUESTERS},
    "decision": {"approve": {"USD(P) approver"}, "disapprove": {"USD(P) approver"},
                 "return_for_rework": {"USD(P) reviewer", "USD(P) approver"}, "withdraw": REQUESTERS},
    "returned": {"submit": {"command action officer"}, "withdraw": REQUESTERS},
    "approved": {},
    "disapproved": {},
    "withdrawn": {},
}
ALL = ["submit", "advise", "refer_competing_needs", "recommend_priorities", "approve", "disapprove",
       "return_for_rework", "withdraw"]


def says_why(reason: str, document) -> bool:
    """A refusal names who may (the office and role), or the state that does not allow it."""
    return (reason == f"Not possible while the materiel diversion request is {state_label(document)}."
            or bool(re.fullmatch(r"Only .+ may do this: an? [a-z ]+ of [A-Z(][^ ]*\.", reason)))


def request_in(world, situation: str) -> MaterielDiversionRequest:
    """A request brought to ``situation`` by the people the route names."""
    request = world.request()
    if situation == "draft":
        return request
    if situation == "withdrawn":
        return transition_perform(document=request, name="withdraw", by=world.user("EUCOM", APP),
                                  comment="No longer needed.")
    request = transition_perform(document=request, name="submit", by=world.user("EUCOM", AO))
    if situation == "consultation":
        return request
    if situation == "returned":
        return transition_perform(document=request, name="return_for_rework", by=world.user("DSCA", REV),
                                  comment="Name the lot numbers.")
    request = transition_perform(document=request, name="refer_competing_needs", by=world.user("DSCA", APP),
                                 comment="Two partners want the same interceptors.")
    if situation == "priorities":
        return request
    request = transition_perform(document=request, name="recommend_priorities", by=world.user("J5", APP),
                                 comment="Poland first.")
    if situation == "decision":
        return request
    name = "disapprove" if situation == "disapproved" else "approve"
    return transition_perform(document=request, name=name, by=world.user("USD(P)", APP), comment="Decided.")


def test_every_state_has_its_row():
    assert set(EXPECTED) == set(DiversionState.values)


@pytest.mark.parametrize("situation", list(EXPECTED))
@time_machine.travel(NOW, tick=False)
def test_exactly_the_right_people_may_make_each_transition(world, situation):
    request = request_in(world, situation)
    names = [option.name for option in transitions_available(document=request, user=world.user("EUCOM", AO))]
    assert names == ALL
    for person, (acronym, role) in PEOPLE.items():
        user = world.user(acronym, role)
        for option in transitions_available(document=request, user=user):
            should = person in EXPECTED[situation].get(option.name, set())
            assert option.allowed is should, (situation, person, option.name, option.reasons)
            if should:
                continue
            assert option.reasons and all(says_why(r, request) for r in option.reasons), (
                situation, person, option.name, option.reasons)
            with pytest.raises(TransitionRefused) as refusal:
                transition_perform(document=request, name=option.name, by=user, comment="a reason")
            assert set(option.reasons) <= set(refusal.value.reasons)
            assert MaterielDiversionRequest.objects.get(pk=request.pk).state == request.state
