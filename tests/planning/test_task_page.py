"""A plan's page as a task page: the decision first (the answer form, the steps the person may
take now, a returned plan's new version as a button), the rest folded under "Why can't I…?" and
in collapsible sections; destructive steps confirmed on the server too."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from organizations.models import Role
from planning.models import CampaignPlan, PlanState
from tests.workflow.helpers import act, answer, to_review
from workflow.models import Response, Step
from workflow.selectors import taskers_of

AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_of(client, plan) -> str:
    response = client.get(reverse("admin:planning_campaignplan_change", args=[plan.pk]))
    assert response.status_code == 200
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def decision_panel(html: str) -> str:
    return html[html.index('id="workflow-state"'):html.index("</section>", html.index('id="workflow-state"'))]


def test_the_coordinator_finds_the_answer_form_first_and_the_plan_folded_below(world):
    plan = act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    tasker = taskers_of(plan).get(organization=world.orgs["DA"])
    html = page_of(client_for(world.user("DA", REV)), plan)
    panel = decision_panel(html)
    assert "<h2 id=\"workflow-state-heading\">Your decision</h2>" in panel
    assert f'id="respond-{tasker.pk}"' in panel
    assert html.index(f'id="respond-{tasker.pk}"') < html.index('id="campaignplan_form"')
    form = html[html.index('id="campaignplan_form"'):html.index("</form>", html.index('id="campaignplan_form"'))]
    assert 'class="module aligned collapse"' in form and "<details><summary>" in form
    assert re.search(r'<details class="wf-panel wf-section" id="workflow-history">', html)  # folded, not open


def test_the_author_editing_a_draft_keeps_the_form_open(world):
    plan = world.ready_plan()
    html = page_of(client_for(world.user("EUCOM", AO)), plan)
    assert "<h2 id=\"workflow-state-heading\">Your decision</h2>" in html  # submit is possible
    form = html[html.index('id="campaignplan_form"'):]
    assert "collapse" not in form[:form.index("</fieldset>")]
    assert 'name="title"' in form


def test_after_approval_no_list_of_refusals_on_top_only_a_folded_why(world):
    plan = to_review(world, world.ready_plan())
    for acronym in ("J5", "USD(P)"):
        answer(world, plan, acronym, Response.CONCUR, step=Step.REVIEW)
    act(plan, "approve", world.user("EUCOM", APP))
    panel = decision_panel(page_of(client_for(world.user("EUCOM", AO)), plan))
    assert "<h2 id=\"workflow-state-heading\">Workflow</h2>" in panel
    assert '<details class="wf-why-not"><summary>Why can\'t I…?</summary>' in panel
    assert panel.count("Not possible while the campaign plan is approved.") == 1
    assert panel.count("<li") == 1 and "<form" not in panel


def test_a_returned_plan_offers_start_a_new_version_as_a_button_and_it_starts_one(world):
    plan = to_review(world, world.ready_plan())
    act(plan, "return_for_rework", world.user("J5", REV), comment="Rework the annex")
    officer = client_for(world.user("EUCOM", AO))
    url = reverse("admin:planning_campaignplan_way_forward", args=[plan.pk, "new_version"])
    panel = decision_panel(page_of(officer, plan))
    assert f'action="{url}"' in panel and ">Start a new version</button>" in panel
    # The owner's reviewer may not: no button, and the server refuses it too.
    reviewer = client_for(world.user("EUCOM", REV))
    assert url not in decision_panel(page_of(reviewer, plan))
    refused = reviewer.post(url, follow=True)
    assert any("Only an action officer of EUCOM" in m for m in messages_of(refused))
    assert CampaignPlan.objects.filter(series=plan.series).count() == 1
    response = officer.post(url, follow=True)
    new = CampaignPlan.objects.get(series=plan.series, version=2)
    assert new.state == PlanState.DRAFT
    assert response.redirect_chain[-1][0] == reverse("admin:planning_campaignplan_change", args=[new.pk])
    assert url not in decision_panel(page_of(officer, plan))  # one version in flight: no second one
    assert "Version 2 is already being worked on" in page_of(officer, plan)


def test_a_destructive_step_is_done_only_when_confirmed(world):
    plan = act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    owner = client_for(world.user("EUCOM", AO))
    panel = decision_panel(page_of(owner, plan))
    withdraw = panel[panel.index('transition/withdraw/'):]
    withdraw = withdraw[:withdraw.index("</form>")]
    assert 'class="button wf-button-danger"' in withdraw
    assert '<input type="checkbox" name="confirmed" value="yes" required>' in withdraw
    url = reverse("admin:planning_campaignplan_transition", args=[plan.pk, "withdraw"])
    unconfirmed = owner.post(url, {"expected_state": "coordination", "comment": "Overtaken"}, follow=True)
    assert "Nothing was done: tick “Yes, withdraw” to confirm it." in messages_of(unconfirmed)
    assert CampaignPlan.objects.get(pk=plan.pk).state == PlanState.COORDINATION
    owner.post(url, {"expected_state": "coordination", "comment": "Overtaken", "confirmed": "yes"})
    assert CampaignPlan.objects.get(pk=plan.pk).state == PlanState.WITHDRAWN
