"""The migrations that model either plan kind once (``planning.0005_plan_one_relation``,
``assessments.0005_assessment_one_relation``) carry what was written before them: every plan
keeps its id (a campaign plan and a support plan with the same id included), its content and
its assessment follow it, every answer its assessment, and a tasker that named a plan by kind
and id still finds it."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from assessments.models import Answer, Assessment, ProgramAssessment
from planning.models import CampaignPlan, CampaignSupportPlan, Plan
from workflow.models import Tasker

BEFORE = [("planning", "0004_records_not_editable"), ("assessments", "0004_merge_report_snapshot_and_state_labels")]
SAME_ID = 900001  # one campaign plan and one support plan share it, as they do in every database


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _write_before(old) -> dict:
    """Rows as the two-foreign-key design held them, written with its models."""
    model = old.get_model
    org = model("organizations", "Organization")
    eucom = org.objects.create(acronym="EUCOM", name="EUCOM (test)", kind="geographic_ccmd")
    army = org.objects.create(acronym="DA", name="DA (test)", kind="military_department")
    js = org.objects.create(acronym="J5", name="J5 (test)", kind="joint_staff")
    usdp = org.objects.create(acronym="USD(P)", name="USD(P) (test)", kind="osd_psa")
    user = model("auth", "User").objects.create(username="migration_officer")
    country = model("organizations", "Country").objects.create(code="PL")
    campaign = model("planning", "CampaignPlan").objects.create(
        id=SAME_ID, title="EUCOM campaign plan", owner=eucom, created_by=user, state="approved")
    other_campaign = model("planning", "CampaignPlan").objects.create(
        id=SAME_ID + 1, title="EUCOM branch plan", owner=eucom, created_by=user)
    support = model("planning", "CampaignSupportPlan").objects.create(
        id=SAME_ID, title="DA support plan", owner=army, created_by=user, state="approved")
    objective = model("planning", "Objective")
    objective.objects.create(campaign_plan=campaign, code="OBJ-C", title="Campaign objective")
    objective.objects.create(support_plan=support, code="OBJ-S1", title="Support objective 1")
    objective.objects.create(support_plan=support, code="OBJ-S2", title="Support objective 2")
    model("planning", "PlanSection").objects.create(support_plan=support, number="1", heading="Support section")
    model("planning", "PlanSection").objects.create(campaign_plan=other_campaign, number="1", heading="Branch section")
    model("planning", "PartnerConsideration").objects.create(campaign_plan=campaign, country=country)
    model("planning", "PartnerConsideration").objects.create(support_plan=support, country=country)

    day = datetime.date(2027, 3, 15)
    cycle = model("assessments", "AssessmentCycle").objects.create(
        fiscal_year=2027, owner=js, policy_office=usdp, template_suspense=day, collection_suspense=day,
        joint_review_suspense=day, evaluation_suspense=day, state="collection")
    template = model("assessments", "Template").objects.create(cycle=cycle, title="FY2027 template", owner=js)
    section = model("assessments", "TemplateSection").objects.create(template=template, title="Execution")
    question = model("assessments", "Question").objects.create(section=section, text="How did it go?")
    assessment = model("assessments", "Assessment")
    of_campaign = assessment.objects.create(id=SAME_ID, cycle=cycle, owner=eucom, title="Of the campaign plan",
                                            suspense=day, campaign_plan=campaign)
    of_support = assessment.objects.create(id=SAME_ID + 1, cycle=cycle, owner=army, title="Of the support plan",
                                           suspense=day, support_plan=support)
    program = model("assessments", "Program").objects.create(code="FMS", name="Foreign Military Sales")
    of_program = model("assessments", "ProgramAssessment").objects.create(
        id=SAME_ID, cycle=cycle, owner=usdp, title="Of FMS", suspense=day, program=program)
    answer = model("assessments", "Answer")
    answer.objects.create(assessment=of_campaign, question=question, text="Campaign answer")
    answer.objects.create(assessment=of_support, question=question, text="Support answer")
    answer.objects.create(program_assessment=of_program, question=question, text="Program answer")
    content_type = model("contenttypes", "ContentType").objects.get(app_label="planning",
                                                                    model="campaignsupportplan")
    model("workflow", "Tasker").objects.create(content_type=content_type, object_id=SAME_ID, step="coordination",
                                               organization=js, suspense=day, document_title=support.title)
    return {"question": question.pk}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_plans_their_content_assessments_answers_and_references_are_carried_with_their_ids():
    written = _write_before(_migrate(BEFORE))
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()

    campaign, support = CampaignPlan.objects.get(pk=SAME_ID), CampaignSupportPlan.objects.get(pk=SAME_ID)
    assert (campaign.title, support.title) == ("EUCOM campaign plan", "DA support plan")
    assert CampaignPlan.objects.get(pk=SAME_ID + 1).title == "EUCOM branch plan"
    # Three plans, three ``Plan`` rows: the shared id did not make them one.
    assert Plan.objects.count() == 3 and campaign.plan_ptr_id != support.plan_ptr_id
    assert list(campaign.objectives.values_list("code", flat=True)) == ["OBJ-C"]
    assert list(support.objectives.values_list("code", flat=True)) == ["OBJ-S1", "OBJ-S2"]
    assert list(support.sections.values_list("heading", flat=True)) == ["Support section"]
    assert list(CampaignPlan.objects.get(pk=SAME_ID + 1).sections.values_list("heading", flat=True)) == [
        "Branch section"]
    assert campaign.partner_considerations.count() == support.partner_considerations.count() == 1

    of_campaign, of_support = Assessment.objects.get(pk=SAME_ID), Assessment.objects.get(pk=SAME_ID + 1)
    assert (of_campaign.assessed_plan, of_support.assessed_plan) == (campaign, support)
    assert [a.text for a in Answer.objects.filter(assessment=of_campaign)] == ["Campaign answer"]
    assert [a.text for a in Answer.objects.filter(assessment=of_support)] == ["Support answer"]
    of_program = ProgramAssessment.objects.get(pk=SAME_ID)
    assert [a.text for a in Answer.objects.filter(assessment=of_program)] == ["Program answer"]
    assert {a.question_id for a in Answer.objects.all()} == {written["question"]}

    # The engine's generic reference (kind and id) still finds the support plan.
    assert Tasker.objects.get(object_id=SAME_ID).document == support
    # New rows take keys after the carried ones.
    fresh = CampaignSupportPlan.objects.create(title="After the migration", owner=support.owner,
                                               created_by=support.created_by)
    assert fresh.plan_ptr_id > max(campaign.plan_ptr_id, support.plan_ptr_id)
