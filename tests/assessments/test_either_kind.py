"""An assessment names its plan, of either kind, with one foreign key (``plan``), and an answer
its assessment, of either kind, with one (``assessment``): the launch writes both kinds in bulk,
the answers of each kind are read through the one relation, and the database holds one
assessment per plan and cycle."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from assessments.models import Answer, Assessment, AssessmentRecord, ProgramAssessment, QuestionKind
from assessments.selectors import answers_of, cycle_template, template_questions
from assessments.services import answer_save
from planning.models import Plan

from .helpers import act, launched


@pytest.fixture
def cycle(world):
    world.approved_plan("EUCOM")
    world.approved_plan("DA", support=True)
    return launched(world, world.cycle())


def test_the_launch_assesses_plans_of_both_kinds_and_programs_each_with_its_own_record(world, cycle):
    campaign = Assessment.objects.select_related(*Plan.kind_paths("plan")).get(owner=world.orgs["EUCOM"])
    support = Assessment.objects.select_related(*Plan.kind_paths("plan")).get(owner=world.orgs["DA"])
    assert campaign.assessed_plan.title == "EUCOM campaign plan"
    assert support.assessed_plan.title == "DA support plan"
    assert support.assessed_plan.reference_name == "support_plan"
    programs = list(ProgramAssessment.objects.filter(cycle=cycle))
    assert len(programs) == 2
    records = [d.record_ptr_id for d in (campaign, support, *programs)]
    assert len(set(records)) == 4 and AssessmentRecord.objects.filter(pk__in=records).count() == 4
    assert {AssessmentRecord.objects.get(pk=key).document for key in records} == {campaign, support, *programs}


def test_answers_of_either_kind_of_assessment_go_through_the_one_relation(world, cycle):
    narrative = next(q for q in template_questions(cycle_template(cycle)) if q.kind == QuestionKind.NARRATIVE)
    plan_assessment = Assessment.objects.get(owner=world.orgs["EUCOM"])
    program_assessment = ProgramAssessment.objects.filter(cycle=cycle).first()
    act(plan_assessment, "start", world.user("EUCOM"))
    act(program_assessment, "start", world.user("USD(P)"))
    answer_save(document=Assessment.objects.get(pk=plan_assessment.pk), question=narrative, by=world.user("EUCOM"),
                text="Partners trained (training data).")
    answer_save(document=ProgramAssessment.objects.get(pk=program_assessment.pk), question=narrative,
                by=world.user("USD(P)"), text="Cases delivered (training data).")
    assert [a.text for a in answers_of(plan_assessment)] == ["Partners trained (training data)."]
    assert [a.text for a in answers_of(program_assessment)] == ["Cases delivered (training data)."]
    assert {a.document for a in Answer.objects.all()} == {plan_assessment, program_assessment}
    # One answer per question and assessment, whichever the kind.
    with pytest.raises(IntegrityError), transaction.atomic():
        Answer.objects.create(assessment=program_assessment, question=narrative, text="Again")


def test_a_plan_is_assessed_once_per_cycle(world, cycle):
    assessment = Assessment.objects.get(owner=world.orgs["EUCOM"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Assessment.objects.create(cycle=cycle, owner=assessment.owner, plan=assessment.plan, title="Twice",
                                  suspense=assessment.suspense)
