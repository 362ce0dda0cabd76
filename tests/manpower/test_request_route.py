"""The route of an SCO manpower change request as the directive assigns it (Encl. 2, 2.f, 6.a,
10.e), and what approval does to the SCO's authorized manning."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from manpower.models import BilletAction, ChangeType, ManningAuthorization, RequestState, Service
from manpower.selectors import manning_current
from organizations.models import Role
from workflow.exceptions import TransitionRefused
from workflow.models import Response, Step, TaskerState
from workflow.selectors import open_taskers, taskers_of
from workflow.services import tasker_respond, transition_perform

AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER
TODAY = datetime.datetime(2026, 11, 30, 17, 0, tzinfo=datetime.UTC)


def _to_approval(world, request, command="EUCOM"):
    request = transition_perform(document=request, name="submit", by=world.user(request.owner.acronym, AO))
    request = transition_perform(document=request, name="endorse", by=world.user(command, APP), comment="Endorsed.")
    for acronym in ("USD(P&R)", "J5"):
        tasker_respond(tasker=open_taskers(request, step=Step.CONSULTATION).get(organization=world.orgs[acronym]),
                       by=world.user(acronym, REV), response=Response.CONCUR, rationale="Input.")
    return transition_perform(document=request, name="send_for_approval", by=world.user(request.owner.acronym, AO))


@time_machine.travel(TODAY, tick=False)
def test_each_step_tasks_the_office_the_directive_names(world):
    request = world.request()
    request = transition_perform(document=request, name="submit", by=world.user("ODC-TURKEY", AO))
    assert request.state == RequestState.ENDORSEMENT
    # The supervising command is the one covering Türkiye today (10.e).
    assert [t.organization.acronym for t in open_taskers(request)] == ["EUCOM"]
    request = transition_perform(document=request, name="endorse", by=world.user("EUCOM", APP))
    assert sorted(t.organization.acronym for t in open_taskers(request)) == ["J5", "USD(P&R)"]  # 6.a, 2.f
    refused = transition_perform
    with pytest.raises(TransitionRefused) as waiting:
        refused(document=request, name="send_for_approval", by=world.user("ODC-TURKEY", AO))
    assert "Waiting for the input of J5, USD(P&R)." in waiting.value.reasons
    for acronym in ("USD(P&R)", "J5"):
        tasker_respond(tasker=open_taskers(request).get(organization=world.orgs[acronym]),
                       by=world.user(acronym, REV), response=Response.CONCUR)
    request = transition_perform(document=request, name="send_for_approval", by=world.user("ODC-TURKEY", AO))
    assert [t.organization.acronym for t in open_taskers(request)] == ["DSCA"]  # 2.f


@time_machine.travel(TODAY, tick=False)
def test_approval_changes_the_manning_from_the_effective_date_and_keeps_the_old_rows(world):
    request = _to_approval(world, world.request(effective_on=datetime.date(2027, 1, 1)))
    sco = world.scos["ODC-TURKEY"]
    before = {row.position: row.billets for row in manning_current(sco, on=datetime.date(2027, 1, 1))}
    request = transition_perform(document=request, name="approve", by=world.user("DSCA", APP))
    assert request.state == RequestState.APPROVED
    assert request.approved_effective_on == datetime.date(2027, 1, 1)
    # On the day before, the old authorization; from the date, the new one.
    assert {r.position: r.billets for r in manning_current(sco, on=datetime.date(2026, 12, 31))} == before
    after = {r.position: r.billets for r in manning_current(sco, on=datetime.date(2027, 1, 1))}
    assert after["FMS case officer"] == 3 and before["FMS case officer"] == 2
    history = list(ManningAuthorization.objects.filter(sco=sco, position="FMS case officer").order_by("effective_from"))
    assert [(h.billets, h.effective_from, h.effective_until) for h in history] == [
        (2, datetime.date(2025, 10, 1), datetime.date(2027, 1, 1)), (3, datetime.date(2027, 1, 1), None)]
    assert history[1].request_id == request.pk
    assert taskers_of(request, step=Step.APPROVAL).get().response == Response.APPROVED


@time_machine.travel(TODAY, tick=False)
def test_a_date_already_past_takes_effect_on_the_day_of_approval(world):
    request = _to_approval(world, world.request(effective_on=datetime.date(2026, 12, 1)))
    with time_machine.travel(datetime.datetime(2026, 12, 15, 17, 0, tzinfo=datetime.UTC), tick=False):
        request = transition_perform(document=request, name="approve", by=world.user("DSCA", APP))
    assert request.approved_effective_on == datetime.date(2026, 12, 15)


@time_machine.travel(TODAY, tick=False)
def test_the_sdo_datt_affiliation_is_approved_jointly_by_dsca_and_dia(world):
    request = world.request(change_type=ChangeType.SDO_DATT_GRADE, billets=[
        {"action": BilletAction.CHANGE, "position": "Chief, Office of Defense Cooperation", "grade": "O-6",
         "service": Service.MARINE_CORPS, "skill": "FAO"}])
    request = _to_approval(world, request)
    # DSCA alone cannot approve it ...
    with pytest.raises(TransitionRefused) as alone:
        transition_perform(document=request, name="approve", by=world.user("DSCA", APP))
    assert any("approved jointly with DIA" in reason for reason in alone.value.reasons)
    # ... nor can DIA before DSCA.
    with pytest.raises(TransitionRefused):
        transition_perform(document=request, name="send_to_dia", by=world.user("DIA", APP))
    request = transition_perform(document=request, name="send_to_dia", by=world.user("DSCA", APP))
    assert request.state == RequestState.JOINT_APPROVAL
    assert [t.organization.acronym for t in open_taskers(request)] == ["DIA"]
    sco = world.scos["ODC-TURKEY"]
    assert manning_current(sco, on=datetime.date(2027, 1, 1)).get(position__startswith="Chief").service == Service.ARMY
    with pytest.raises(TransitionRefused):  # DSCA has approved its part; the joint approval is DIA's
        transition_perform(document=request, name="approve_jointly", by=world.user("DSCA", APP))
    request = transition_perform(document=request, name="approve_jointly", by=world.user("DIA", APP))
    assert request.state == RequestState.APPROVED
    assert manning_current(sco, on=datetime.date(2027, 1, 1)).get(
        position__startswith="Chief").service == Service.MARINE_CORPS
    answers = {t.organization.acronym: t.response for t in taskers_of(request, step=Step.APPROVAL)}
    assert answers == {"DSCA": Response.APPROVED, "DIA": Response.APPROVED}


@time_machine.travel(TODAY, tick=False)
def test_other_changes_never_go_to_dia(world):
    request = _to_approval(world, world.request())
    with pytest.raises(TransitionRefused) as refused:
        transition_perform(document=request, name="send_to_dia", by=world.user("DSCA", APP))
    assert refused.value.reasons == ["Only a change to the SDO/DATT's grade or Military Department affiliation goes "
                                     "to DIA."]


@time_machine.travel(TODAY, tick=False)
def test_a_disapproved_request_leaves_the_manning_as_it_was(world):
    request = _to_approval(world, world.request())
    before = ManningAuthorization.objects.count()
    request = transition_perform(document=request, name="disapprove", by=world.user("DSCA", APP),
                                 comment="Over the ceiling.")
    assert request.state == RequestState.DISAPPROVED and request.decision_note == "Over the ceiling."
    assert ManningAuthorization.objects.count() == before
    assert not open_taskers(request).exists()


@time_machine.travel(TODAY, tick=False)
def test_a_change_overtaken_by_another_approval_on_the_same_day_is_refused_and_changes_nothing(world):
    first = _to_approval(world, world.request(title="First"))
    second = _to_approval(world, world.request(title="Second", billets=[
        {"action": BilletAction.ABOLISH, "position": "FMS case officer"}]))
    transition_perform(document=first, name="approve", by=world.user("DSCA", APP))
    rows = list(ManningAuthorization.objects.values_list("pk", "effective_until"))
    with pytest.raises(TransitionRefused) as refused:
        transition_perform(document=second, name="approve", by=world.user("DSCA", APP))
    assert refused.value.reasons[0] == ("The SCO's manning has changed since this request was written: return it "
                                        "for rework.")
    assert list(ManningAuthorization.objects.values_list("pk", "effective_until")) == rows
    second.refresh_from_db()
    assert second.state == RequestState.APPROVAL


@time_machine.travel(TODAY, tick=False)
def test_an_added_position_that_another_approval_created_meanwhile_is_refused(world):
    line = [{"action": BilletAction.ADD, "position": "Armaments officer", "grade": "O-4",
             "service": Service.AIR_FORCE, "skill": "63A"}]
    first = _to_approval(world, world.request(title="First", billets=line))
    second = _to_approval(world, world.request(title="Second", billets=line))
    transition_perform(document=first, name="approve", by=world.user("DSCA", APP))
    with pytest.raises(TransitionRefused) as refused:
        transition_perform(document=second, name="approve", by=world.user("DSCA", APP))
    assert any("already has the position “Armaments officer”" in r for r in refused.value.reasons)
    second.refresh_from_db()
    assert second.state == RequestState.APPROVAL


@time_machine.travel(TODAY, tick=False)
def test_returned_request_is_resubmitted_to_a_new_endorsement_round(world):
    request = transition_perform(document=world.request(), name="submit", by=world.user("ODC-TURKEY", AO))
    request = transition_perform(document=request, name="return_for_rework", by=world.user("EUCOM", REV),
                                 comment="Attach the workload analysis.")
    assert request.state == RequestState.RETURNED and request.return_reason == "Attach the workload analysis."
    assert taskers_of(request).get().state == TaskerState.CANCELLED
    request = transition_perform(document=request, name="submit", by=world.user("ODC-TURKEY", AO))
    assert request.state == RequestState.ENDORSEMENT and request.return_reason == ""
    assert open_taskers(request).get().organization.acronym == "EUCOM"


@time_machine.travel(TODAY, tick=False)
def test_the_command_may_write_and_submit_for_its_sco(world):
    request = world.request(by=world.user("INDOPACOM", AO), sco="JUSMAG-PHILIPPINES")
    assert request.owner.acronym == "JUSMAG-PHILIPPINES" and request.supervising_command.acronym == "INDOPACOM"
    request = transition_perform(document=request, name="submit", by=world.user("INDOPACOM", AO))
    assert request.state == RequestState.ENDORSEMENT


@time_machine.travel(TODAY, tick=False)
def test_the_commands_tasker_is_reminded_through_the_outbox(world):
    from reminders.models import Reminder
    from reminders.services import reminders_plan_new

    world.user("EUCOM", APP)  # the command's approver, who may endorse, is among the recipients
    request = transition_perform(document=world.request(), name="submit", by=world.user("ODC-TURKEY", AO))
    reminders_plan_new()  # taskers issued in bulk are planned by the sweep
    tasker = open_taskers(request).get()
    recipients = set(Reminder.objects.filter(tasker=tasker).values_list("recipient__username", flat=True))
    assert "eucom_approver" in recipients
