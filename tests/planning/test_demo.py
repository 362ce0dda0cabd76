"""The run command shows a living system: demo plans in every state, loaded idempotently."""

import pytest
from django.core.management import call_command

from planning.models import CampaignPlan, CampaignSupportPlan, PlanState
from workflow.models import HistoryEntry


@pytest.mark.django_db
def test_demo_data_has_plans_in_every_state_and_a_second_load_changes_nothing():
    call_command("load_reference_data", verbosity=0)
    call_command("load_demo_data", verbosity=0)
    states = set(CampaignPlan.objects.values_list("state", flat=True))
    assert states == set(PlanState.values)
    assert {PlanState.DRAFT, PlanState.COORDINATION, PlanState.APPROVED} <= set(
        CampaignSupportPlan.objects.values_list("state", flat=True))
    counts = (CampaignPlan.objects.count(), CampaignSupportPlan.objects.count(), HistoryEntry.objects.count())
    call_command("load_demo_data", verbosity=0)
    assert (CampaignPlan.objects.count(), CampaignSupportPlan.objects.count(), HistoryEntry.objects.count()) == counts
    assert all("training data" in s for s in CampaignPlan.objects.values_list("summary", flat=True))


@pytest.mark.django_db
def test_the_demo_year_is_coherent_one_plan_per_command_distinct_content_suspenses_in_route_order():
    """Issue #22, point 8 (Glossary; Encl. 2, 10.a, 7.b, 8.b): one theater campaign plan in force per
    geographic command and a functional one per functional command, support plans from each
    Military Department and several agencies, every plan with its own objectives, and no approval
    suspense before its review's."""
    from organizations.models import Organization, OrganizationKind
    from workflow.models import Step, Tasker

    call_command("load_reference_data", verbosity=0)
    call_command("load_demo_data", verbosity=0)
    in_force = CampaignPlan.objects.filter(state=PlanState.APPROVED)
    geographic = set(Organization.objects.filter(kind=OrganizationKind.GEOGRAPHIC_CCMD, active=True)
                     .values_list("acronym", flat=True))
    theater = list(in_force.filter(kind="theater").values_list("owner__acronym", flat=True))
    assert sorted(theater) == sorted(geographic)  # one each, no more
    assert set(in_force.filter(kind="functional").values_list("owner__kind", flat=True)) == {
        OrganizationKind.FUNCTIONAL_CCMD}
    owners = set(CampaignSupportPlan.objects.values_list("owner__acronym", flat=True))
    assert {"DA", "DON", "DAF"} <= owners and len(owners & {"DSCA", "DLA", "DTRA"}) >= 2
    titles = [tuple(sorted(plan.objectives.values_list("title", flat=True))) for plan in in_force]
    assert len(set(titles)) == len(titles)
    # Activities under every objective (Encl. 2, 10.b), each with one of the plan's partners, within
    # its period, distinct from plan to plan; some under a program, some tagged by function.
    from planning.models import PlanActivity

    for plan in [*in_force, *CampaignSupportPlan.objects.all()]:
        activities = list(PlanActivity.objects.filter(plan=plan.plan_ptr_id).select_related("objective"))
        assert {a.objective for a in activities} == set(plan.objectives.all()), plan
        partners = set(plan.partner_considerations.values_list("country_id", flat=True))
        assert all(a.partner_id in partners and plan.period_start <= a.start_date <= a.end_date <= plan.period_end
                   for a in activities), plan
    described = list(PlanActivity.objects.filter(plan__campaignplan__in=in_force)
                     .values_list("plan", "title", "description"))
    assert len({(title, description) for _plan, title, description in described}) == len(described)
    assert PlanActivity.objects.exclude(program=None).exists() and PlanActivity.objects.exclude(functions=[]).exists()
    # Each activity portion-marked (training marks), described, and never marked above its plan's
    # banner (Encl. 2, 10.b; Policy 4.f); SECRET only in a SECRET plan.
    from security.markings import RANK

    marks = list(PlanActivity.objects.values_list("classification", "description", "plan__campaignplan__classification",
                                                  "plan__campaignsupportplan__classification"))
    assert {mark for mark, *_ in marks} >= {"U", "CUI"}
    assert all(description.strip() for _mark, description, *_ in marks)
    assert all(RANK[mark] <= RANK[campaign or support] for mark, _d, campaign, support in marks)
    assert PlanActivity.objects.filter(classification="S").exists()
    assert not PlanActivity.objects.filter(classification="S").exclude(plan__campaignplan__classification="S").exists()
    assert all(plan.approved_at.date() < plan.period_start for plan in in_force.filter(version=1))
    for plan in CampaignPlan.objects.exclude(route_snapshot={}):
        taskers = Tasker.objects.filter(object_id=plan.pk, content_type__model="campaignplan")
        reviews = [t.suspense for t in taskers.filter(step=Step.REVIEW)]
        for approval in taskers.filter(step=Step.APPROVAL):
            assert approval.suspense >= max(reviews), plan
