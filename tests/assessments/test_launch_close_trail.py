"""The launch and the close of a cycle go through the engine's bulk services: each assessment
assigned, each completion tasker cancelled at the close, is one history entry of that
assessment with exactly one audit event; and the audit trail still verifies."""

from __future__ import annotations

from collections import Counter
from io import StringIO

from django.core.management import call_command

from assessments.models import Assessment, AssessmentCycle, AssessmentState, CycleState, ProgramAssessment
from assessments.services import cycle_launch
from tests.workflow.helpers import audit_events_of, last_history_pk, new_history
from workflow.models import Response, Step, TaskerState
from workflow.selectors import history_of, taskers_of

from .conftest import APP, REV
from .helpers import act, answer_everything, joint_review_started


def one_audit_event_each(entries) -> bool:
    return set(audit_events_of(entries).values()) == {1}


def test_launch_and_close_write_one_history_entry_per_event_and_one_audit_event_per_entry(world):
    eucom = world.approved_plan("EUCOM")
    world.approved_plan("DA", support=True)
    world.approved_plan("CENTCOM")
    cycle = world.cycle()
    world.approved_template(cycle)
    mark = last_history_pk()
    act(cycle, "launch", world.admin)
    cycle_launch(cycle=cycle, by=world.admin)  # as the launch task does
    cycle = AssessmentCycle.objects.get(pk=cycle.pk)
    documents = [*Assessment.objects.filter(cycle=cycle), *ProgramAssessment.objects.filter(cycle=cycle)]
    assert len(documents) == 5  # three plans and the two active programs
    launch = new_history(mark)
    assert one_audit_event_each(launch)
    per_document = Counter((entry.content_type_id, entry.object_id, entry.action) for entry in launch)
    assert set(per_document.values()) == {1}
    for document in documents:
        entry = history_of(document).get()
        assert (entry.action, entry.to_state, entry.actor) == ("assigned", AssessmentState.ASSIGNED, world.admin)
        assert entry.description.startswith(f"Assigned to {document.owner.acronym} by the {cycle}, suspense ")
        assert taskers_of(document, step=Step.COMPLETION).get().state == TaskerState.OPEN
    assert [e.action for e in history_of(cycle).filter(pk__gt=mark)] == ["launch", "launched", "open_collection"]
    assert len(launch) == len(documents) + 3

    submitted = Assessment.objects.get(plan=eucom)
    act(submitted, "start", world.user("EUCOM"))
    answer_everything(submitted, world.user("EUCOM"))
    act(submitted, "submit", world.user("EUCOM"))
    joint_review_started(cycle, world.admin, outstanding=4)
    act(submitted, "accept", world.user("J5", REV))
    cycle = act(cycle, "forward_to_evaluation", world.user("J5", APP), comment="Advanced ES-1.")
    act(submitted, "evaluate", world.user("USD(P)", REV))

    mark = last_history_pk()
    cycle = act(cycle, "close", world.user("USD(P)", APP), comment="Continue IMET.")
    assert cycle.state == CycleState.CLOSED
    close = new_history(mark)
    assert one_audit_event_each(close)
    never_submitted = [d for d in documents if d.pk != submitted.pk or type(d) is not Assessment]
    assert sorted((e.content_type_id, e.object_id) for e in close if e.action == "taskers_cancelled") == sorted(
        (taskers_of(d).get().content_type_id, d.pk) for d in never_submitted)
    assert [e.action for e in close if e.action != "taskers_cancelled"] == ["close"]
    for document in never_submitted:
        cancelled = taskers_of(document, step=Step.COMPLETION).get()
        assert (cancelled.state, cancelled.closed_reason) == (TaskerState.CANCELLED,
                                                              f"{cycle} closed without this assessment.")
        entry = history_of(document).get(action="taskers_cancelled")
        assert (entry.actor, entry.caused_by) == (None, world.user("USD(P)", APP))
        assert entry.description == (f"Completion tasker of {document.owner.acronym} cancelled: "
                                     f"{cycle} closed without this assessment.")
    assert taskers_of(submitted, step=Step.COMPLETION).get().response == Response.COMPLETED
    assert taskers_of(cycle, step=Step.EVALUATION).get().state == TaskerState.ANSWERED
    assert not history_of(submitted).filter(action="taskers_cancelled").exists()

    out = StringIO()
    call_command("audit_verify", stdout=out, stderr=StringIO())
    assert "0 broken" in out.getvalue()
