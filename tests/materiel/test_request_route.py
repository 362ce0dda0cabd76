"""The route of a materiel diversion request as the directive assigns it (Encl. 2, 1.g, 9.g, with
the FADs of 9.f): DSCA consults, the Chairman recommends priorities when DSCA cannot resolve competing
partner needs, USD(P) decides; what the decision records, and bad input refused beside its field."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from materiel.models import DiversionState, MaterielDiversionRequest
from organizations.models import Role
from organizations.services import fad_assign
from security.models import AuditEvent
from workflow.exceptions import InvalidInput, NotPermitted, TransitionRefused
from workflow.models import HistoryEntry, Response, Step, TaskerState
from workflow.selectors import open_taskers, taskers_of
from workflow.services import transition_perform

AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER
TODAY = datetime.datetime(2026, 11, 30, 17, 0, tzinfo=datetime.UTC)


def _submitted(world, **fields):
    return transition_perform(document=world.request(**fields), name="submit", by=world.user("EUCOM", AO))


@time_machine.travel(TODAY, tick=False)
def test_dsca_consults_then_usdp_decides(world):
    request = _submitted(world)
    assert request.state == DiversionState.CONSULTATION
    assert [(t.organization.acronym, t.step) for t in open_taskers(request)] == [("DSCA", Step.CONSULTATION)]  # 1.g
    request = transition_perform(document=request, name="advise", by=world.user("DSCA", APP),
                                 comment="No competing need; recommend approval.")
    assert request.state == DiversionState.DECISION and request.dsca_advice == "No competing need; recommend approval."
    assert [(t.organization.acronym, t.step) for t in open_taskers(request)] == [("USD(P)", Step.APPROVAL)]  # 1.g
    request = transition_perform(document=request, name="approve", by=world.user("USD(P)", APP), comment="Approved.")
    assert request.state == DiversionState.APPROVED and request.decided_at is not None
    assert not open_taskers(request).exists()
    assert [t.response for t in taskers_of(request).filter(step=Step.APPROVAL)] == [Response.APPROVED]


@time_machine.travel(TODAY, tick=False)
def test_competing_needs_go_to_the_chairman_before_usdp_decides(world):
    request = _submitted(world)
    with pytest.raises(TransitionRefused) as refused:
        transition_perform(document=request, name="refer_competing_needs", by=world.user("DSCA", APP), comment="")
    assert any("Competing partner needs" in reason for reason in refused.value.reasons)
    request = transition_perform(document=request, name="refer_competing_needs", by=world.user("DSCA", APP),
                                 comment="Two INDOPACOM partners want the same interceptors.")
    assert request.state == DiversionState.PRIORITIES
    assert [(t.organization.acronym, t.step) for t in open_taskers(request)] == [("J5", Step.REVIEW)]  # 9.g
    # USD(P) cannot decide before the Chairman's recommendation.
    with pytest.raises(TransitionRefused):
        transition_perform(document=request, name="approve", by=world.user("USD(P)", APP))
    request = transition_perform(document=request, name="recommend_priorities", by=world.user("J5", APP),
                                 comment="Poland first; the others next quarter.")
    assert request.priority_recommendation == "Poland first; the others next quarter."
    assert [t.organization.acronym for t in open_taskers(request)] == ["USD(P)"]
    request = transition_perform(document=request, name="disapprove", by=world.user("USD(P)", APP),
                                 comment="Divert from another stock.")
    assert request.state == DiversionState.DISAPPROVED and request.decision_note == "Divert from another stock."


@time_machine.travel(TODAY, tick=False)
def test_the_decision_records_the_partners_fad_of_the_day(world):
    fad_assign(by=world.user("J5", APP), country=world.countries["PL"], designator="III",
               effective_from=datetime.date(2025, 10, 1), rationale="Ally.")
    fad_assign(by=world.user("J5", APP), country=world.countries["PL"], designator="II",
               effective_from=datetime.date(2026, 6, 1), rationale="Raised.")
    request = transition_perform(document=_submitted(world), name="advise", by=world.user("DSCA", APP), comment="Ok.")
    assert request.partner_fad.designator == "II"
    request = transition_perform(document=request, name="approve", by=world.user("USD(P)", APP))
    assert request.partner_fad_at_decision == "II"
    # A later change of the FAD leaves the decision's record as it was.
    fad_assign(by=world.user("J5", APP), country=world.countries["PL"], designator="I",
               effective_from=datetime.date(2026, 11, 30), rationale="Crisis.")
    assert MaterielDiversionRequest.objects.get(pk=request.pk).partner_fad_at_decision == "II"


@time_machine.travel(TODAY, tick=False)
def test_submission_needs_a_justification_and_an_urgent_needs_a_date(world):
    request = world.request(justification="", urgency="urgent")
    with pytest.raises(TransitionRefused) as refused:
        transition_perform(document=request, name="submit", by=world.user("EUCOM", AO))
    assert ("Missing before submission: the justification, the date an urgent diversion is needed by."
            in refused.value.reasons)
    assert MaterielDiversionRequest.objects.get(pk=request.pk).state == DiversionState.DRAFT


@time_machine.travel(TODAY, tick=False)
def test_bad_input_is_refused_beside_each_field_and_saves_nothing(world):
    before = MaterielDiversionRequest.objects.count()
    with pytest.raises(InvalidInput) as refused:
        world.request(title="", item="", quantity=0, source="", urgency="whenever")
    assert set(refused.value.field_errors) == {"title", "item", "quantity", "source", "urgency"}
    assert refused.value.field_errors["quantity"] == ["Give a quantity of at least 1."]
    with pytest.raises(InvalidInput) as not_a_requester:
        world.request(owner="DSCA", by=world.user("DSCA", AO))
    assert not_a_requester.value.field_errors["owner"] == [
        "DSCA is not a combatant command or Military Department; a diversion request is theirs to write."]
    with pytest.raises(NotPermitted):
        world.request(owner="EUCOM", by=world.user("INDOPACOM", AO))
    assert MaterielDiversionRequest.objects.count() == before


@time_machine.travel(TODAY, tick=False)
def test_a_returned_request_is_changed_and_resubmitted_to_dsca(world):
    request = _submitted(world)
    request = transition_perform(document=request, name="return_for_rework", by=world.user("DSCA", REV),
                                 comment="Name the lot numbers.")
    assert request.state == DiversionState.RETURNED and request.return_reason == "Name the lot numbers."
    assert taskers_of(request).get().state == TaskerState.CANCELLED
    from materiel.services import request_write

    request = request_write(by=world.user("EUCOM", APP), request=request, fields={"source": "Army stocks, lot 7"})
    request = transition_perform(document=request, name="submit", by=world.user("EUCOM", AO))
    assert request.state == DiversionState.CONSULTATION and request.return_reason == ""
    assert [t.organization.acronym for t in open_taskers(request)] == ["DSCA"]


@time_machine.travel(TODAY, tick=False)
def test_each_transition_is_in_the_history_with_its_audit_event(world):
    request = transition_perform(document=_submitted(world), name="advise", by=world.user("DSCA", APP),
                                 comment="Advice.")
    entries = HistoryEntry.objects.filter(object_id=request.pk, content_type__model="materieldiversionrequest")
    assert {(e.from_state, e.to_state) for e in entries} >= {("draft", "consultation"), ("consultation", "decision")}
    audited = {event.detail["history"] for event in AuditEvent.objects.filter(action="workflow")
               if event.detail.get("document_id") == request.pk}
    assert audited == {entry.pk for entry in entries}


@time_machine.travel(TODAY, tick=False)
def test_dscas_tasker_is_reminded_through_the_outbox(world):
    from reminders.models import Reminder
    from reminders.services import reminders_plan_new

    world.user("DSCA", APP)  # the approver, who may advise, is among the recipients
    request = _submitted(world)
    reminders_plan_new()
    tasker = open_taskers(request).get()
    assert tasker.suspense is not None
    recipients = set(Reminder.objects.filter(tasker=tasker).values_list("recipient__username", flat=True))
    assert "dsca_approver" in recipients
