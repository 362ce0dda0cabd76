"""The assessment cycle's history is read by everyone taking part in the cycle; a plan added after
the launch is named there by reference, never by its title."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from assessments.services import cycle_add_plan
from planning.models import CampaignPlan
from security.models import AuditAction, AuditEvent, SecurityProfile
from tests.assessments.conftest import APP, at_start, world  # noqa: F401, F811 (the cycle's world, not the plans')
from tests.assessments.helpers import launched

SECRET_TITLE = "Late secret plan of SOCOM (training)"


def test_a_plan_added_after_launch_is_named_in_the_cycle_history_without_its_title(world):  # noqa: F811
    world.approved_plan("EUCOM")
    cycle = launched(world, world.cycle())
    late = world.approved_plan("SOCOM")
    CampaignPlan.objects.filter(pk=late.pk).update(title=SECRET_TITLE, classification="S", noforn=True)
    SecurityProfile.objects.create(user=world.admin, clearance="TS", citizenship="US")
    cycle_add_plan(cycle=cycle, plan=CampaignPlan.objects.get(pk=late.pk), by=world.admin)

    j5 = world.user("J5", APP)  # takes part in the cycle; no clearance for the plan
    SecurityProfile.objects.create(user=j5, clearance="U", citizenship="US")
    api = APIClient()
    api.force_authenticate(j5)
    history = api.get(f"/api/v1/assessment-cycles/{cycle.pk}/history/")
    assert history.status_code == 200
    added = [entry for entry in history.json() if entry["action"] == "plan_added"]
    assert [entry["description"] for entry in added] == [
        "Plan approved after launch added: campaign plan of SOCOM, version 1"]
    assert added[0]["data"]["plan"] == {"type": "planning.CampaignPlan", "id": late.pk}
    assert SECRET_TITLE not in history.content.decode()
    client = Client()
    client.force_login(j5)
    page = client.get(reverse("admin:assessments_assessmentcycle_change", args=[cycle.pk]))
    assert page.status_code == 200 and SECRET_TITLE not in page.content.decode()
    # The audit trail of the addition carries no title either.
    recorded = AuditEvent.objects.filter(action=AuditAction.WORKFLOW, description__startswith="Plan approved after")
    assert recorded.count() == 1 and SECRET_TITLE not in recorded.get().description
