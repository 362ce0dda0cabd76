"""Tasker management through the API: re-assign, return as misrouted, remove, change the
suspense, each a POST under the tasker, calling the engine's service. A person who may not gets
403 and nothing changes; "not now" is 409; a refused input is 400 with the field named; each
success writes one history entry; Idempotency-Key is honoured as on every POST."""

from __future__ import annotations

import datetime

from django.utils import timezone

from planning.models import CampaignPlan, PlanState
from reminders.models import Notification
from workflow.models import HistoryEntry, Response, Step, Tasker, TaskerState
from workflow.selectors import history_of, taskers_of
from workflow.services import tasker_respond, transition_perform

from .conftest import AO, REV

V1 = "/api/v1"
PROBLEM = "application/problem+json"


def submitted(world, partners=("PL",)):
    return transition_perform(document=world.ready_plan(partners=partners), name="submit",
                              by=world.user("EUCOM", AO))


def tasker_of(plan, world, acronym) -> Tasker:
    return taskers_of(plan, step=Step.COORDINATION).get(organization=world.orgs[acronym])


def post(client, tasker, action, body, **headers):
    return client.post(f"{V1}/taskers/{tasker.pk}/{action}/", body, format="json", headers=headers)


def test_a_member_reassigns_to_a_colleague_who_may_answer_and_an_outsider_gets_403(world, as_member):
    plan = submitted(world)
    tasker = tasker_of(plan, world, "DA")
    colleague = world.user("DA", REV)
    before = HistoryEntry.objects.count()

    refused = post(as_member("DON", REV), tasker, "reassign", {"assignee": colleague.username})
    assert refused.status_code == 403 and refused["Content-Type"] == PROBLEM
    assert refused.json()["detail"].endswith("of DA may do this.")
    not_answering = post(as_member("DA", AO), tasker, "reassign", {"assignee": world.user("DA", AO).username})
    assert not_answering.status_code == 400 and list(not_answering.json()["errors"]) == ["assignee"]
    assert Tasker.objects.get(pk=tasker.pk).assignee is None and HistoryEntry.objects.count() == before

    done = post(as_member("DA", AO), tasker, "reassign", {"assignee": colleague.username})
    assert done.status_code == 200, done.json()
    assert done.json()["assignee"] == colleague.username
    assert history_of(plan).filter(action="tasker_reassigned").count() == 1


def test_return_as_misrouted_needs_a_reason_and_a_closed_tasker_is_not_now(world, as_member):
    plan = submitted(world)
    tasker = tasker_of(plan, world, "DA")
    reviewer = as_member("DA", REV)

    assert post(as_member("EUCOM", AO), tasker, "return-misrouted", {"reason": "x"}).status_code == 403
    missing = post(reviewer, tasker, "return-misrouted", {"reason": " "})
    assert missing.status_code == 400 and missing.json()["errors"] == {"reason": ["Required."]}
    assert Tasker.objects.get(pk=tasker.pk).state == TaskerState.OPEN

    done = post(reviewer, tasker, "return-misrouted", {"reason": "Not an Army matter"})
    assert done.status_code == 200
    assert (done.json()["state"], done.json()["closed_reason"]) == ("misrouted", "Not an Army matter")
    entry = history_of(plan).get(action="tasker_misrouted")
    assert entry.comment == "Not an Army matter" and entry.actor == world.user("DA", REV)

    again = post(reviewer, tasker, "return-misrouted", {"reason": "Again"})
    assert again.status_code == 409 and again.json()["reasons"] == ["Only an open tasker can be returned as misrouted."]


def test_change_suspense_refuses_the_past_and_tells_the_organization(world, as_member):
    plan = submitted(world)
    tasker = tasker_of(plan, world, "DA")
    reviewer = world.user("DA", REV)
    owner = as_member("EUCOM", AO)
    original = tasker.suspense
    yesterday = timezone.localdate() - datetime.timedelta(days=1)

    assert post(as_member("DA", REV), tasker, "change-suspense",
                {"suspense": (original + datetime.timedelta(days=7)).isoformat(), "reason": "x"}).status_code == 403
    past = post(owner, tasker, "change-suspense", {"suspense": yesterday.isoformat(), "reason": "Late"})
    assert past.status_code == 400 and past.json()["errors"] == {"suspense": ["Must be today or later."]}
    no_reason = post(owner, tasker, "change-suspense", {"suspense": original.isoformat()})
    assert no_reason.status_code == 400 and list(no_reason.json()["errors"]) == ["reason"]
    assert Tasker.objects.get(pk=tasker.pk).suspense == original
    assert not Notification.objects.filter(user=reviewer).exists()

    later = original + datetime.timedelta(days=14)
    done = post(owner, tasker, "change-suspense", {"suspense": later.isoformat(), "reason": "More time needed"})
    assert done.status_code == 200
    assert datetime.date.fromisoformat(done.json()["suspense"]) >= later
    assert history_of(plan).filter(action="suspense_changed", comment="More time needed").count() == 1
    assert Notification.objects.filter(user=reviewer, text__startswith="Suspense moved").count() == 1


def test_the_owner_removes_a_seam_command_without_staff_and_the_plan_leaves_coordination(world, as_member):
    plan = submitted(world, partners=("IL",))
    seam = taskers_of(plan).get(organization=world.orgs["CENTCOM"])
    owner = as_member("EUCOM", AO)
    for acronym in ("DA", "DON", "USD(AT&L)"):
        tasker_respond(tasker=tasker_of(plan, world, acronym), by=world.user(acronym, REV), response=Response.CONCUR)
    send = f"{V1}/campaign-plans/{plan.pk}/transitions/send_to_review/"
    assert owner.post(send, {}, format="json").status_code == 409

    assert post(as_member("DA", REV), seam, "remove", {"reason": "Not needed"}).status_code == 403
    assert post(owner, seam, "remove", {}).json()["errors"] == {"reason": ["Required."]}
    assert Tasker.objects.get(pk=seam.pk).state == TaskerState.OPEN

    done = post(owner, seam, "remove", {"reason": "CENTCOM has no staff for this plan"}, **{
        "Idempotency-Key": "remove-seam-1"})
    assert done.status_code == 200 and done.json()["state"] == "cancelled"
    replayed = post(owner, seam, "remove", {"reason": "CENTCOM has no staff for this plan"},
                    **{"Idempotency-Key": "remove-seam-1"})
    assert replayed.status_code == 200 and replayed["Idempotent-Replayed"] == "true"
    assert history_of(plan).filter(action="tasker_removed").count() == 1  # the replay wrote nothing

    history = owner.get(f"{V1}/campaign-plans/{plan.pk}/history/").json()
    assert any("removed from coordination (seam)" in entry["description"] for entry in history)
    assert owner.post(send, {}, format="json").status_code == 200
    assert CampaignPlan.objects.get(pk=plan.pk).state == PlanState.REVIEW


def test_the_endpoints_are_in_the_schema_with_their_problems(world, as_member):
    schema = as_member("EUCOM", AO).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for action in ("reassign", "return-misrouted", "remove", "change-suspense"):
        operation = schema["paths"][f"/api/v1/taskers/{{id}}/{action}/"]["post"]
        assert {"200", "400", "403", "409"} <= set(operation["responses"])
        assert any(p["name"] == "Idempotency-Key" for p in operation["parameters"])
        assert "requestBody" in operation


def test_reassigning_to_an_unknown_user_is_invalid_input(world, as_member):
    plan = submitted(world)
    tasker = tasker_of(plan, world, "DA")
    refused = post(as_member("DA", AO), tasker, "reassign", {"assignee": "nobody-by-that-name"})
    assert refused.status_code == 400 and list(refused.json()["errors"]) == ["assignee"]
    assert Tasker.objects.get(pk=tasker.pk).assignee is None
