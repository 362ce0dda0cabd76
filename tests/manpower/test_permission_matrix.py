"""Every (state, transition, person): exactly the people the directive names may make each
transition of an SCO manpower change request; everyone else is refused with a reason, and
nothing changes."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from manpower.models import BilletAction, ChangeType, ManpowerChangeRequest, Service
from organizations.models import Role
from workflow.exceptions import TransitionRefused
from workflow.models import Response, Step
from workflow.selectors import open_taskers
from workflow.services import tasker_respond, transition_perform, transitions_available

AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER
NOW = datetime.datetime(2026, 11, 30, 17, 0, tzinfo=datetime.UTC)
PEOPLE = {
    "SCO action officer": ("ODC-TURKEY", AO), "SCO approver": ("ODC-TURKEY", APP),
    "SCO reviewer": ("ODC-TURKEY", REV), "command action officer": ("EUCOM", AO),
    "command reviewer": ("EUCOM", REV), "command approver": ("EUCOM", APP),
    "USD(P&R) reviewer": ("USD(P&R)", REV), "Joint Staff reviewer": ("J5", REV),
    "DSCA reviewer": ("DSCA", REV), "DSCA approver": ("DSCA", APP), "DIA approver": ("DIA", APP),
    "unrelated command approver": ("CENTCOM", APP), "other agency approver": ("DLA", APP),
}
REQUESTERS = {"SCO action officer", "SCO approver", "command action officer", "command approver"}
SUBMITTERS = {"SCO action officer", "command action officer"}
EXPECTED = {
    "draft": {"submit": SUBMITTERS, "withdraw": REQUESTERS},
    "endorsement": {"endorse": {"command approver"}, "return_for_rework": {"command reviewer", "command approver"},
                    "withdraw": REQUESTERS},
    "coordination": {"return_for_rework": {"USD(P&R) reviewer", "Joint Staff reviewer"}, "withdraw": REQUESTERS},
    "coordination, input given": {"send_for_approval": REQUESTERS, "withdraw": REQUESTERS},
    # DSCA's reviewers may send an incomplete package back; only its approver decides.
    "approval": {"approve": {"DSCA approver"}, "disapprove": {"DSCA approver"},
                 "return_for_rework": {"DSCA reviewer", "DSCA approver"}, "withdraw": REQUESTERS},
    "approval of the SDO/DATT": {"send_to_dia": {"DSCA approver"}, "disapprove": {"DSCA approver"},
                                 "return_for_rework": {"DSCA reviewer", "DSCA approver"}, "withdraw": REQUESTERS},
    "joint approval": {"approve_jointly": {"DIA approver"}, "disapprove": {"DIA approver"},
                       "return_for_rework": {"DIA approver"}, "withdraw": REQUESTERS},
    "returned": {"submit": SUBMITTERS, "withdraw": REQUESTERS},
    "approved": {},
}
SDO_DATT = [{"action": BilletAction.CHANGE, "position": "Chief, Office of Defense Cooperation", "grade": "O-7",
             "service": Service.ARMY}]


def _request_in(world, situation: str) -> ManpowerChangeRequest:
    joint = situation in ("approval of the SDO/DATT", "joint approval")
    request = world.request(change_type=ChangeType.SDO_DATT_GRADE, billets=SDO_DATT) if joint else world.request()
    if situation == "draft":
        return request
    request = transition_perform(document=request, name="submit", by=world.user("ODC-TURKEY", AO))
    if situation == "endorsement":
        return request
    if situation == "returned":
        return transition_perform(document=request, name="return_for_rework", by=world.user("EUCOM", APP),
                                  comment="x")
    request = transition_perform(document=request, name="endorse", by=world.user("EUCOM", APP))
    if situation == "coordination":
        return request
    for acronym in ("USD(P&R)", "J5"):
        tasker_respond(tasker=open_taskers(request, step=Step.CONSULTATION).get(organization=world.orgs[acronym]),
                       by=world.user(acronym, REV), response=Response.CONCUR)
    if situation == "coordination, input given":
        return request
    request = transition_perform(document=request, name="send_for_approval", by=world.user("ODC-TURKEY", AO))
    if situation in ("approval", "approval of the SDO/DATT"):
        return request
    if situation == "joint approval":
        return transition_perform(document=request, name="send_to_dia", by=world.user("DSCA", APP))
    return transition_perform(document=request, name="approve", by=world.user("DSCA", APP))


@pytest.mark.parametrize("situation", list(EXPECTED))
@time_machine.travel(NOW, tick=False)
def test_exactly_the_right_people_may_make_each_transition(world, situation):
    request = _request_in(world, situation)
    names = [option.name for option in transitions_available(document=request, user=world.user("ODC-TURKEY", AO))]
    assert names == ["submit", "endorse", "send_for_approval", "approve", "send_to_dia", "approve_jointly",
                     "disapprove", "return_for_rework", "withdraw"]
    for person, (acronym, role) in PEOPLE.items():
        user = world.user(acronym, role)
        for option in transitions_available(document=request, user=user):
            should = person in EXPECTED[situation].get(option.name, set())
            assert option.allowed is should, (situation, person, option.name, option.reasons)
            if should:
                continue
            assert option.reasons, (situation, person, option.name)
            with pytest.raises(TransitionRefused) as refusal:
                transition_perform(document=request, name=option.name, by=user, comment="a reason")
            assert set(option.reasons) <= set(refusal.value.reasons)
            assert ManpowerChangeRequest.objects.get(pk=request.pk).state == request.state
