"""Either plan kind is modelled once: a plan's content and its assessments point at ``Plan``
with one foreign key, an answer at ``AssessmentRecord`` with one, and no code of the product
asks which kind it holds through a pair of relations (``campaign_plan`` / ``support_plan``,
``assessment`` / ``program_assessment``) or an ``isinstance`` of a kind."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction

from assessments.models import Answer, Assessment, AssessmentRecord
from organizations.models import Country
from planning.models import (
    CampaignPlan,
    CampaignSupportPlan,
    Objective,
    PartnerConsideration,
    Plan,
    PlanSection,
)
from planning.services import plan_lists_replace, plan_new_version, support_plan_create

from .test_plan_workflow import AO, REV, act, to_review

ROOT = Path(__file__).resolve().parents[2]

# The relations of the two-foreign-key design, and the kinds an ``isinstance`` would ask about.
PAIRED = re.compile(r"^(campaign_plan|support_plan|program_assessment)(_id)?(__|$)")
KINDS = {"CampaignPlan", "CampaignSupportPlan", "Assessment", "PlanAssessment", "ProgramAssessment"}
PLAN_KINDS = {"CampaignPlan", "CampaignSupportPlan"}


def _product_sources() -> list[Path]:
    """The product's own apps, migrations and tests aside."""
    roots = [Path(config.path) for config in apps.get_app_configs()
             if Path(config.path).is_relative_to(ROOT) and not Path(config.path).is_relative_to(ROOT / "tests")]
    return sorted({path for root in roots for path in root.rglob("*.py") if "migrations" not in path.parts})


def kind_branches(source: str) -> list[tuple[int, str]]:
    """Lines of ``source`` that reach a plan (or an assessment) through one relation of a pair, or
    ask whether an object is of one kind: ``x.campaign_plan``, ``support_plan=...``,
    ``"campaign_plan__owner"``, ``isinstance(plan, CampaignPlan)``, ``model is CampaignSupportPlan``.
    (The assessments' registrations name ``model is Assessment`` among the cycle's four routed
    models: which model a selector serves, not which kind of plan.)"""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and PAIRED.match(node.attr):
            found.append((node.lineno, f".{node.attr}"))
        elif isinstance(node, ast.keyword) and node.arg and PAIRED.match(node.arg):
            found.append((node.value.lineno, f"{node.arg}="))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and PAIRED.match(node.value) \
                and "__" in node.value:
            found.append((node.lineno, repr(node.value)))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "isinstance" \
                and len(node.args) == 2:
            named = node.args[1].elts if isinstance(node.args[1], ast.Tuple) else [node.args[1]]
            kinds = {n.id for n in named if isinstance(n, ast.Name)} & KINDS
            if kinds:
                found.append((node.lineno, f"isinstance(…, {', '.join(sorted(kinds))})"))
        elif isinstance(node, ast.Compare) and any(isinstance(op, ast.Is | ast.IsNot) for op in node.ops):
            kinds = {n.id for n in (node.left, *node.comparators) if isinstance(n, ast.Name)} & PLAN_KINDS
            if kinds:
                found.append((node.lineno, f"is {', '.join(sorted(kinds))}"))
    return sorted(found)


def test_the_scan_finds_each_way_of_asking_which_kind():
    source = ("plan = objective.campaign_plan or objective.support_plan\n"
              "Objective.objects.create(campaign_plan=plan, code='OBJ-1')\n"
              "Answer.objects.filter(**{'program_assessment__cycle': cycle})\n"
              "field = 'campaign_plan' if isinstance(plan, CampaignPlan) else 'support_plan'\n"
              "approves = model is CampaignSupportPlan\n"
              "Objective.objects.create(plan=plan, code='OBJ-1')\n"
              "routes = {'campaign_plan': 1}\n")
    assert [line for line, _ in kind_branches(source)] == [1, 1, 2, 3, 4, 5]


def test_no_code_outside_the_kind_declarations_asks_which_kind_a_plan_is():
    sources = _product_sources()
    assert ROOT / "planning" / "services.py" in sources and ROOT / "assessments" / "services.py" in sources
    offenders = [f"{path.relative_to(ROOT)}:{line}: {what}"
                 for path in sources for line, what in kind_branches(path.read_text(encoding="utf-8"))]
    assert offenders == []


def test_a_plans_content_and_its_assessments_point_at_plan_with_one_foreign_key():
    for model in (PartnerConsideration, PlanSection, Objective, Assessment):
        relations = [f for f in model._meta.concrete_fields if f.is_relation and issubclass(f.related_model, Plan)]
        assert [(f.name, f.null) for f in relations] == [("plan", False)], model
    answer_relations = [f for f in Answer._meta.concrete_fields
                        if f.is_relation and issubclass(f.related_model, AssessmentRecord)]
    assert [(f.name, f.null) for f in answer_relations] == [("assessment", False)]
    assert set(Plan.kinds()) == {CampaignPlan, CampaignSupportPlan}


def _support_plan(world):
    return support_plan_create(by=world.user("DA", AO), owner=world.orgs["DA"], title="DA campaign support plan")


def test_each_kind_keeps_its_own_id_and_is_a_plan_by_its_key(world):
    campaign, support = world.ready_plan(), _support_plan(world)
    # Each kind counts its ids in its own table (both start at 1 here); the ``Plan`` keys are one
    # sequence, so the two plans are two rows of ``Plan``.
    assert campaign.plan_ptr_id != support.plan_ptr_id
    assert Plan.objects.count() == 2
    assert Plan.objects.get(pk=campaign.plan_ptr_id).document == campaign
    assert Plan.objects.get(pk=support.plan_ptr_id).document == support
    assert isinstance(Plan.objects.get(pk=support.plan_ptr_id).document, CampaignSupportPlan)


def test_content_of_either_kind_is_written_and_read_through_the_one_relation(world):
    campaign, support = world.ready_plan(), _support_plan(world)
    plan_lists_replace(plan=support, by=world.user("DA", AO), partners=[{"country": Country.objects.get(code="DE")}],
                       objectives=[{"code": "OBJ-9", "title": "Sustain partner air defense"}],
                       sections=[{"number": "1", "heading": "Strategic environment"}])
    assert [p.country.code for p in support.partner_considerations.all()] == ["DE"]
    objective = Objective.objects.select_related(*Plan.kind_paths("plan")).get(code="OBJ-9")
    assert objective.plan.document == support
    assert PlanSection.objects.get(heading="Strategic environment").plan.document == support
    # Each plan reads its own content only.
    assert list(campaign.objectives.values_list("code", flat=True)) == ["OBJ-1"]
    assert [p.country.code for p in campaign.partner_considerations.all()] == ["PL"]


def test_one_partner_country_per_plan_is_held_by_the_database(world):
    support = _support_plan(world)
    PartnerConsideration.objects.create(plan=support, country=Country.objects.get(code="PL"))
    with pytest.raises(IntegrityError), transaction.atomic():
        PartnerConsideration.objects.create(plan=support, country=Country.objects.get(code="PL"))
    # The same country on another plan (of the other kind) is another row.
    PartnerConsideration.objects.create(plan=world.ready_plan(partners=()), country=Country.objects.get(code="PL"))


def test_a_new_version_is_a_new_plan_with_its_own_content(world):
    plan = to_review(world, world.ready_plan())
    plan = act(plan, "return_for_rework", world.user("J5", REV), comment="Deconflict with SOCOM's plan")
    v2 = plan_new_version(plan=plan, by=world.user("EUCOM", AO))
    assert v2.plan_ptr_id != plan.plan_ptr_id and v2.pk != plan.pk
    plan_lists_replace(plan=v2, by=world.user("EUCOM", AO), objectives=[{"code": "OBJ-2", "title": "Access"}])
    # The returned version keeps its objective; the new one has what was written to it.
    assert list(plan.objectives.values_list("code", flat=True)) == ["OBJ-1"]
    assert list(v2.objectives.values_list("code", flat=True)) == ["OBJ-2"]


def test_plans_of_either_kind_are_created_in_bulk_each_with_its_plan_row(world):
    by = world.user("EUCOM", AO)
    campaign = CampaignPlan.objects.bulk_create([CampaignPlan(title=f"Plan {n}", owner=world.orgs["EUCOM"],
                                                              created_by=by) for n in range(3)])
    support = CampaignSupportPlan.objects.bulk_create([CampaignSupportPlan(title="Support", owner=world.orgs["DA"],
                                                                           created_by=by)])
    assert all(plan.pk and plan.plan_ptr_id for plan in (*campaign, *support))
    assert {Plan.objects.get(pk=plan.plan_ptr_id).document for plan in (*campaign, *support)} == {*campaign, *support}
    assert CampaignPlan.objects.get(pk=campaign[2].pk).title == "Plan 2"


def test_a_plans_content_is_read_by_its_plan_key_never_by_its_id(world):
    # A kind's id and its ``Plan`` key are two numbers (always, once both kinds exist): a plan
    # whose id is far from its key reads its own content, prefetched or not.
    by = world.user("EUCOM", AO)
    plan = CampaignPlan.objects.create(id=7_000_001, title="Far id", owner=world.orgs["EUCOM"], created_by=by)
    Plan.objects.create(key=7_000_001)  # a plan row whose key is that id, with content of its own
    assert plan.plan_ptr_id != plan.pk
    PlanSection.objects.create(plan=plan, number="1", heading="Its section")
    PlanSection.objects.create(plan_id=7_000_001, number="9", heading="Not its section")
    fetched = CampaignPlan.objects.prefetch_related("sections").get(pk=plan.pk)
    assert [s.heading for s in fetched.sections.all()] == ["Its section"]
    assert [s.heading for s in plan.sections.all()] == ["Its section"]
