"""Tasker management on the plan's admin page, over HTTP as staff use it: re-assign within the
organization, return as misrouted, remove a participant, move a suspense. Each form is offered
only to those who may use it; a person who may not is refused and nothing changes; a refused
input keeps what was typed, the reason beside the field; a success returns to the tasker's place."""

from __future__ import annotations

import datetime
import html

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from organizations.models import Role
from planning.models import CampaignPlan, PlanState
from reminders.models import Notification
from workflow.models import HistoryEntry, Response, Step, TaskerState
from workflow.selectors import history_of, taskers_of
from workflow.services import tasker_respond, transition_perform

AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def change_url(plan):
    return reverse("admin:planning_campaignplan_change", args=[plan.pk])


def manage_url(plan, tasker, action):
    return reverse("admin:planning_campaignplan_tasker_manage", args=[plan.pk, tasker.pk, action])


def submitted(world, partners=("PL",)):
    plan = world.ready_plan(partners=partners)
    return transition_perform(document=plan, name="submit", by=world.user("EUCOM", AO))


def tasker_of(plan, acronym, world):
    return taskers_of(plan, step=Step.COORDINATION).get(organization=world.orgs[acronym])


def prefix(tasker, action):
    return f"tasker-{tasker.pk}-{action}"


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def test_a_member_reassigns_the_tasker_to_a_colleague_who_may_answer_and_returns_to_its_place(world):
    plan = submitted(world)
    tasker = tasker_of(plan, "DA", world)
    member, colleague = world.user("DA", AO), world.user("DA", REV)
    client = client_for(member)

    page = page_text(client.get(change_url(plan)))
    form_action = manage_url(plan, tasker, "reassign")
    assert form_action in page
    # Only people who may answer are offered: the reviewer, not the action officer.
    options = page.split(f'name="{prefix(tasker, "reassign")}-assignee"', 1)[1].split("</select>", 1)[0]
    assert f'value="{colleague.pk}"' in options and f'value="{member.pk}"' not in options

    response = client.post(form_action, {f"{prefix(tasker, 'reassign')}-assignee": colleague.pk})
    assert response.status_code == 302
    assert response["Location"] == f"{change_url(plan)}#manage-tasker-{tasker.pk}"
    tasker.refresh_from_db()
    assert tasker.assignee == colleague
    shown = page_text(client.get(response["Location"]))
    assert "Tasker re-assigned to" in shown
    entry = history_of(plan).get(action="tasker_reassigned")
    assert entry.actor == member and entry.description in shown


def test_reassigning_to_someone_who_may_not_answer_shows_the_form_again_with_the_reason(world):
    plan = submitted(world)
    tasker = tasker_of(plan, "DA", world)
    member = world.user("DA", AO)
    before = HistoryEntry.objects.count()

    response = client_for(member).post(manage_url(plan, tasker, "reassign"),
                                       {f"{prefix(tasker, 'reassign')}-assignee": member.pk})
    assert response.status_code == 200
    page = page_text(response)
    assert f"{member} may not answer this tasker for DA." in page
    assert "Choose a reviewer or approver designated as a coordinator of DA." in page
    assert f'id="manage-tasker-{tasker.pk}"' in page and "autofocus" in page
    tasker.refresh_from_db()
    assert tasker.assignee is None and HistoryEntry.objects.count() == before


def test_someone_outside_the_organization_is_offered_nothing_and_refused_if_they_post(world):
    plan = submitted(world)
    tasker = tasker_of(plan, "DA", world)
    outsider = world.user("DON", REV)
    before = HistoryEntry.objects.count()
    client = client_for(outsider)

    assert manage_url(plan, tasker, "reassign") not in client.get(change_url(plan)).content.decode()
    response = client.post(manage_url(plan, tasker, "reassign"),
                           {f"{prefix(tasker, 'reassign')}-assignee": world.user("DA", REV).pk}, follow=True)
    assert "of DA may do this." in page_text(response)
    response = client.post(manage_url(plan, tasker, "remove"), {f"{prefix(tasker, 'remove')}-reason": "No"},
                           follow=True)
    assert "Only an action officer or approver of EUCOM may remove a participant." in page_text(response)
    tasker.refresh_from_db()
    assert tasker.assignee is None and tasker.state == TaskerState.OPEN
    assert HistoryEntry.objects.count() == before


def test_a_reviewer_returns_the_tasker_as_misrouted_with_a_reason_a_destructive_confirmed_action(world):
    plan = submitted(world)
    tasker = tasker_of(plan, "DA", world)
    reviewer = world.user("DA", REV)
    client = client_for(reviewer)
    url = manage_url(plan, tasker, "return-misrouted")

    page = page_text(client.get(change_url(plan)))
    form = page.split(f'action="{url}"', 1)[1].split("</form>", 1)[0]
    assert "data-confirm=" in form and "wf-button-danger" in form
    # The tasked organization's action officer may re-assign but not return it.
    assert url not in client_for(world.user("DA", AO)).get(change_url(plan)).content.decode()

    refused = client.post(url, {f"{prefix(tasker, 'return-misrouted')}-reason": "  "})
    assert refused.status_code == 200 and "Say why the tasker is misrouted." in page_text(refused)
    assert type(tasker).objects.get(pk=tasker.pk).state == TaskerState.OPEN

    done = client.post(url, {f"{prefix(tasker, 'return-misrouted')}-reason": "Not an Army matter"})
    assert done["Location"] == f"{change_url(plan)}#tasker-{tasker.pk}"
    tasker.refresh_from_db()
    assert tasker.state == TaskerState.MISROUTED and tasker.closed_reason == "Not an Army matter"
    entry = history_of(plan).get(action="tasker_misrouted")
    assert entry.actor == reviewer and entry.comment == "Not an Army matter"
    assert "returned the tasker as misrouted" in page_text(client.get(change_url(plan)))


def test_a_past_suspense_is_refused_and_what_was_typed_stays(world):
    plan = submitted(world)
    tasker = tasker_of(plan, "DA", world)
    original = tasker.suspense
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    before = HistoryEntry.objects.count()

    response = client_for(world.user("EUCOM", AO)).post(manage_url(plan, tasker, "change-suspense"), {
        f"{prefix(tasker, 'change-suspense')}-suspense": yesterday.isoformat(),
        f"{prefix(tasker, 'change-suspense')}-reason": "Exercise moved the staff calendar",
    })
    assert response.status_code == 200
    page = page_text(response)
    assert "Must be today or later." in page
    assert f'value="{yesterday.isoformat()}"' in page and "Exercise moved the staff calendar" in page
    tasker.refresh_from_db()
    assert tasker.suspense == original and HistoryEntry.objects.count() == before


def test_the_owner_moves_a_suspense_with_a_reason_and_the_organization_is_told(world):
    plan = submitted(world)
    tasker = tasker_of(plan, "DA", world)
    reviewer = world.user("DA", REV)  # a member of the tasked organization, who hears of it
    later = tasker.suspense + datetime.timedelta(days=14)
    owner = world.user("EUCOM", AO)
    # Only the owner's action officers and approvers are offered it.
    url = manage_url(plan, tasker, "change-suspense")
    assert url not in client_for(reviewer).get(change_url(plan)).content.decode()

    response = client_for(owner).post(url, {f"{prefix(tasker, 'change-suspense')}-suspense": later.isoformat(),
                                            f"{prefix(tasker, 'change-suspense')}-reason": "More time needed"})
    assert response["Location"] == f"{change_url(plan)}#manage-tasker-{tasker.pk}"
    tasker.refresh_from_db()
    assert tasker.suspense >= later and tasker.suspense_reason.startswith("More time needed")
    entry = history_of(plan).get(action="suspense_changed")
    assert entry.actor == owner and entry.comment == "More time needed"
    notice = Notification.objects.get(user=reviewer)
    assert "Suspense moved" in notice.text and notice.link.endswith(f"#tasker-{tasker.pk}")
    assert not Notification.objects.filter(user=owner).exists()


def test_a_plan_whose_seam_command_has_no_staff_leaves_coordination_once_the_owner_removes_it(world):
    plan = submitted(world, partners=("IL",))
    seam = taskers_of(plan).get(organization=world.orgs["CENTCOM"])
    assert seam.is_seam  # and CENTCOM has nobody who could answer it
    owner = world.user("EUCOM", AO)
    client = client_for(owner)
    for acronym in ("DA", "DON", "USD(AT&L)"):
        tasker_respond(tasker=tasker_of(plan, acronym, world), by=world.user(acronym, REV), response=Response.CONCUR)
    send = reverse("admin:planning_campaignplan_transition", args=[plan.pk, "send_to_review"])
    client.post(send, {"expected_state": "coordination"})
    assert CampaignPlan.objects.get(pk=plan.pk).state == PlanState.COORDINATION

    url = manage_url(plan, seam, "remove")
    page = page_text(client.get(change_url(plan)))
    form = page.split(f'action="{url}"', 1)[1].split("</form>", 1)[0]
    assert "data-confirm=" in form and "wf-button-danger" in form
    refused = client.post(url, {f"{prefix(seam, 'remove')}-reason": ""})
    assert "Removing an organization from the route needs a recorded reason." in page_text(refused)
    assert taskers_of(plan).get(pk=seam.pk).state == TaskerState.OPEN

    done = client.post(url, {f"{prefix(seam, 'remove')}-reason": "CENTCOM has no staff for this plan"})
    assert done["Location"] == f"{change_url(plan)}#tasker-{seam.pk}"
    assert taskers_of(plan).get(pk=seam.pk).state == TaskerState.CANCELLED
    entry = history_of(plan).get(action="tasker_removed")
    assert entry.actor == owner and "(seam)" in entry.description
    assert entry.comment == "CENTCOM has no staff for this plan"

    client.post(send, {"expected_state": "coordination"})
    assert CampaignPlan.objects.get(pk=plan.pk).state == PlanState.REVIEW


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_unknown_action_or_a_get_is_a_404(world, method):
    plan = submitted(world)
    tasker = tasker_of(plan, "DA", world)
    client = client_for(world.user("EUCOM", AO))
    assert getattr(client, method)(manage_url(plan, tasker, "delete-everything")).status_code == 404
    assert client.get(manage_url(plan, tasker, "remove")).status_code == 404
