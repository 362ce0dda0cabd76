"""The assessment cycle as the directive runs it: template with USD(P), launch, collection,
joint review by the Joint Staff, evaluation by USD(P), closed; who may do what, with reasons."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError

from assessments.models import (
    Assessment,
    AssessmentState,
    CycleState,
    ProgramAssessment,
    QuestionKind,
    Template,
)
from assessments.selectors import cycle_template, template_questions
from assessments.services import answer_save, cycle_create, cycle_launch
from workflow.exceptions import ActionRefused, InvalidInput, TransitionRefused
from workflow.models import HistoryEntry, Response, Step, TaskerState
from workflow.selectors import history_of, open_taskers, taskers_of
from workflow.services import tasker_respond, transitions_available

from .conftest import APP, REV
from .helpers import act, answer_everything, launched


def test_the_cycle_runs_from_setup_to_closed_through_every_phase(world, django_capture_on_commit_callbacks):
    eucom_plan = world.approved_plan("EUCOM")
    army_plan = world.approved_plan("DA", support=True)
    cycle = world.cycle()
    assert cycle.state == CycleState.SETUP

    template = world.approved_template(cycle)
    with django_capture_on_commit_callbacks(execute=True):
        act(cycle, "launch", world.admin)  # the Celery task runs (eagerly) on commit
    cycle.refresh_from_db()
    assert cycle.state == CycleState.COLLECTION
    assert (cycle.launch_total, cycle.launch_done, cycle.launch_finished_at is not None) == (4, 4, True)
    assert Template.objects.get(pk=template.pk).frozen

    campaign = Assessment.objects.get(plan=eucom_plan)
    support = Assessment.objects.get(plan=army_plan)
    programs = list(ProgramAssessment.objects.filter(cycle=cycle))
    assert campaign.owner == world.orgs["EUCOM"] and support.owner == world.orgs["DA"]
    assert {p.owner.acronym for p in programs} == {"USD(P)"}
    assert open_taskers(campaign, step=Step.COMPLETION).get().suspense == cycle.collection_suspense

    for document, acronym in [(campaign, "EUCOM"), (support, "DA"), *[(p, "USD(P)") for p in programs]]:
        act(document, "start", world.user(acronym))
        answer_everything(document, world.user(acronym))
        act(document, "submit", world.user(acronym))
    assert taskers_of(campaign, step=Step.COMPLETION).get().response == Response.COMPLETED

    act(cycle, "start_joint_review", world.admin)
    for document in (campaign, support):
        act(document, "accept", world.user("J5", REV))
    for program in programs:
        act(program, "accept", world.user("PA&E", REV))
    cycle = act(cycle, "forward_to_evaluation", world.user("J5", APP),
                comment="Security cooperation advanced ES-1; access remains uneven.")
    assert open_taskers(cycle, step=Step.EVALUATION).get().organization == world.orgs["USD(P)"]

    for document in (campaign, support, *programs):
        act(document, "evaluate", world.user("USD(P)", REV))
    cycle = act(cycle, "close", world.user("USD(P)", APP), comment="Continue IMET; re-balance FMS toward ES-2.")

    assert cycle.state == CycleState.CLOSED
    assert cycle.joint_review.startswith("Security cooperation advanced")
    assert cycle.evaluation.startswith("Continue IMET")
    assert not open_taskers(cycle).exists()
    assert [h.action for h in history_of(cycle)] == [
        "created", "start_template", "launch", "launched", "open_collection", "review_taskers_issued",
        "start_joint_review", "evaluation_taskers_issued", "forward_to_evaluation", "close",
    ]
    assert Assessment.objects.filter(cycle=cycle, state=AssessmentState.EVALUATED).count() == 2


def test_only_administrators_create_launch_and_advance_the_cycle(world):
    with pytest.raises(ActionRefused, match="administrator"):
        cycle_create(by=world.user("J5", APP), fiscal_year=2027, owner=world.orgs["J5"],
                     policy_office=world.orgs["USD(P)"], template_suspense=world_date(12, 1),
                     collection_suspense=world_date(12, 2), joint_review_suspense=world_date(12, 3),
                     evaluation_suspense=world_date(12, 4))
    cycle = world.cycle()
    with pytest.raises(TransitionRefused) as refused:
        act(cycle, "start_template", world.user("J5", APP))
    assert "Only an administrator of the assessment cycle may do this" in refused.value.reasons[0]
    options = {o.name: o for o in transitions_available(document=cycle, user=world.admin)}
    assert options["start_template"].allowed
    assert not options["launch"].allowed


def test_one_cycle_per_fiscal_year(world):
    world.cycle(2027)
    with pytest.raises(InvalidInput, match="with this Fiscal year already exists"):
        world.cycle(2027)


def test_launch_is_refused_until_the_template_is_approved_after_consulting_usdp(world):
    cycle = world.cycle()
    act(cycle, "start_template", world.admin)
    with pytest.raises(TransitionRefused) as refused:
        act(cycle, "launch", world.admin)
    assert refused.value.reasons == ["The Joint Staff has not approved a template yet (after consulting USD(P))."]


def test_the_template_cannot_be_approved_before_usdp_answers_the_consultation(world):
    from assessments.models import TemplateSection
    from assessments.services import template_create

    cycle = world.cycle()
    act(cycle, "start_template", world.admin)
    template = template_create(cycle=cycle, by=world.user("J5"))
    with pytest.raises(TransitionRefused, match="The template has no questions yet"):
        act(template, "consult", world.user("J5"))
    section = TemplateSection.objects.create(template=template, title="Execution")
    section.questions.create(text="What changed?")
    act(template, "consult", world.user("J5"))
    with pytest.raises(TransitionRefused) as refused:
        act(template, "approve", world.user("J5", APP))
    assert refused.value.reasons == ["USD(P) has not answered the consultation yet."]

    tasker = open_taskers(template, step=Step.CONSULTATION).get()
    tasker_respond(tasker=tasker, by=world.user("USD(P)", REV), response=Response.NONCONCUR, rationale="Too thin",
                   comments=[{"category": "critical", "text": "Add a rating of each objective."}])
    with pytest.raises(TransitionRefused, match="non-concurred: revise the template and consult again"):
        act(template, "approve", world.user("J5", APP))


def test_only_the_owners_members_answer_and_submit(world):
    world.approved_plan("EUCOM")
    cycle = launched(world, world.cycle())
    assessment = Assessment.objects.get(owner=world.orgs["EUCOM"])
    with pytest.raises(TransitionRefused) as refused:
        act(assessment, "start", world.user("CENTCOM"))
    assert refused.value.reasons == [
        "Only the owning organization may do this: an action officer or approver of EUCOM."]
    act(assessment, "start", world.user("EUCOM"))
    question = template_questions(cycle_template(cycle)).filter(kind=QuestionKind.NARRATIVE).get()
    with pytest.raises(ActionRefused, match="Only an action officer or approver of EUCOM"):
        answer_save(document=assessment, question=question, by=world.user("CENTCOM"), text="Not mine")
    with pytest.raises(TransitionRefused) as refused:
        act(assessment, "submit", world.user("EUCOM"))
    assert "Answer “How did the plan advance the GEF end states?”." in refused.value.reasons
    assert "Rate objective OBJ-2 on “Progress toward this objective” and justify the rating." in refused.value.reasons


def test_a_rating_needs_a_label_of_the_scale_and_a_justification(world):
    world.approved_plan("EUCOM")
    cycle = launched(world, world.cycle())
    assessment = Assessment.objects.get(owner=world.orgs["EUCOM"])
    act(assessment, "start", world.user("EUCOM"))
    rating = template_questions(cycle_template(cycle)).filter(kind=QuestionKind.RATING).get()
    with pytest.raises(InvalidInput) as invalid:
        answer_save(document=assessment, question=rating, by=world.user("EUCOM"), rating="Splendid")
    assert set(invalid.value.field_errors) == {"rating", "justification"}


def test_only_the_joint_staff_accepts_or_returns_and_only_usdp_evaluates(world):
    world.approved_plan("EUCOM")
    cycle = launched(world, world.cycle())
    assessment = Assessment.objects.get(owner=world.orgs["EUCOM"])
    act(assessment, "start", world.user("EUCOM"))
    answer_everything(assessment, world.user("EUCOM"))
    act(assessment, "submit", world.user("EUCOM"))
    for name in ("accept", "return_for_rework"):
        with pytest.raises(TransitionRefused, match="Only the reviewing organization may do this"):
            act(assessment, name, world.user("USD(P)", APP), comment="x")
    act(assessment, "accept", world.user("J5", REV))
    with pytest.raises(TransitionRefused) as refused:
        act(assessment, "evaluate", world.user("J5", APP))
    assert refused.value.reasons == [
        "Only USD(P) may do this: a reviewer or approver of USD(P).",
        f"The {cycle} is not in evaluation yet.",
    ]


def test_returned_assessment_goes_back_to_in_progress_with_a_new_completion_tasker(world):
    world.approved_plan("EUCOM")
    launched(world, world.cycle())
    assessment = Assessment.objects.get(owner=world.orgs["EUCOM"])
    act(assessment, "start", world.user("EUCOM"))
    answer_everything(assessment, world.user("EUCOM"))
    act(assessment, "submit", world.user("EUCOM"))
    with pytest.raises(TransitionRefused, match="Reason for return is required"):
        act(assessment, "return_for_rework", world.user("J5", REV))
    assessment = act(assessment, "return_for_rework", world.user("J5", REV), comment="Justify OBJ-2 with data.")
    assert assessment.state == AssessmentState.RETURNED
    assert assessment.return_reason == "Justify OBJ-2 with data."
    assert open_taskers(assessment, step=Step.COMPLETION).get().organization == world.orgs["EUCOM"]

    assessment = act(assessment, "resume", world.user("EUCOM"))
    assert assessment.state == AssessmentState.IN_PROGRESS
    assessment = act(assessment, "submit", world.user("EUCOM"))
    assert assessment.state == AssessmentState.SUBMITTED
    assert [t.state for t in taskers_of(assessment, step=Step.COMPLETION)] == [TaskerState.ANSWERED] * 2
    assert HistoryEntry.objects.filter(object_id=assessment.pk, action="return_for_rework").count() == 1


def test_the_joint_review_cannot_be_forwarded_while_submissions_await_review(world):
    world.approved_plan("EUCOM")
    cycle = launched(world, world.cycle())
    assessment = Assessment.objects.get(owner=world.orgs["EUCOM"])
    act(assessment, "start", world.user("EUCOM"))
    answer_everything(assessment, world.user("EUCOM"))
    act(assessment, "submit", world.user("EUCOM"))
    cycle = act(cycle, "start_joint_review", world.admin, outstanding_confirmed=2)  # the two programs
    with pytest.raises(TransitionRefused) as refused:
        act(cycle, "forward_to_evaluation", world.user("J5", APP))
    assert refused.value.reasons == ["1 submitted assessment still awaits acceptance or return.",
                                     "Consolidated joint review is required."]


def test_an_assessment_is_of_exactly_one_plan(world):
    cycle = world.cycle()
    with pytest.raises(IntegrityError):
        Assessment.objects.create(cycle=cycle, owner=world.orgs["EUCOM"], title="Nothing", suspense=world_date(3, 1))


def test_a_plan_approved_after_launch_is_added_by_an_administrator(world):
    from assessments.services import cycle_add_plan

    world.approved_plan("EUCOM")
    cycle = launched(world, world.cycle())
    late = world.approved_plan("SOCOM")
    with pytest.raises(ActionRefused, match="administrator"):
        cycle_add_plan(cycle=cycle, plan=late, by=world.user("J5", APP))
    assessment = cycle_add_plan(cycle=cycle, plan=late, by=world.admin)
    assert assessment.owner == world.orgs["SOCOM"]
    assert open_taskers(assessment, step=Step.COMPLETION).count() == 1
    with pytest.raises(ActionRefused, match="already has an assessment"):
        cycle_add_plan(cycle=cycle, plan=late, by=world.admin)
    assert cycle_launch(cycle=cycle, by=world.admin) == 0


def world_date(month, day):
    return datetime.date(2026, month, day)


def test_only_the_owners_action_officers_and_approvers_may_edit_an_assessment_and_only_in_progress(world):
    from assessments.services import answers_edit_check, assessment_update

    world.approved_plan("EUCOM")
    launched(world, world.cycle())
    assessment = Assessment.objects.get(owner=world.orgs["EUCOM"])
    # Assigned: a draft may be saved already (the first save starts the work).
    assert answers_edit_check(document=assessment, by=world.user("EUCOM")).organization_id == world.orgs["EUCOM"].pk
    assessment = act(assessment, "start", world.user("EUCOM"))
    for outsider in (world.user("CENTCOM"), world.user("EUCOM", REV), world.user("J5", APP)):
        with pytest.raises(ActionRefused, match="Only an action officer or approver of EUCOM"):
            answers_edit_check(document=assessment, by=outsider)
        with pytest.raises(ActionRefused, match="Only an action officer or approver of EUCOM"):
            assessment_update(document=assessment, by=outsider, strategic_environment_changes="Not mine")
    assert Assessment.objects.get(pk=assessment.pk).strategic_environment_changes == ""
    assert answers_edit_check(document=assessment, by=world.user("EUCOM", APP)).organization_id == world.orgs[
        "EUCOM"].pk
    assessment_update(document=assessment, by=world.user("EUCOM"), strategic_environment_changes="New basing")
    assert Assessment.objects.get(pk=assessment.pk).strategic_environment_changes == "New basing"
