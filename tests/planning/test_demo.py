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
