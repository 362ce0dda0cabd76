"""The engine's locks on PostgreSQL: one order (the document, then its taskers, then its
comments), only the rows meant, and a lock failure answered as a conflict (409, an admin
message), never a server error. Another connection holds the engine's lock while this one works
with ``lock_timeout`` set low: waiting for that lock fails at once instead of passing unseen."""

from __future__ import annotations

import contextlib
import threading
import time

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from planning.models import CampaignPlan, PlanState
from workflow.exceptions import Conflict
from workflow.models import Response
from workflow.selectors import history_of, taskers_of
from workflow.services import document_lock, tasker_respond, transition_perform

from .helpers import AO, REV, act, critical, to_review

V1 = "/api/v1"
BUSY = ("Someone else was changing the same document at the same moment and the two changes could not both be "
        "applied. Nothing of yours was saved; reload the page and try again.")

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@contextlib.contextmanager
def held_by_another_connection(*, model, pk, tasker_ids=()):
    """The engine's lock on a document (and its taskers), held in another connection's open
    transaction until the block ends."""
    locked, release = threading.Event(), threading.Event()
    failure: list[BaseException] = []

    def hold():
        try:
            with transaction.atomic():
                document_lock(model=model, pk=pk, tasker_ids=tasker_ids)
                locked.set()
                release.wait(timeout=60)
        except BaseException as exc:  # noqa: BLE001 (reported to the test below)
            failure.append(exc)
            locked.set()
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(timeout=30) and not failure, failure
    try:
        yield
    finally:
        release.set()
        holder.join(timeout=30)


@contextlib.contextmanager
def lock_timeout(value: str):
    with connection.cursor() as cursor:
        cursor.execute(f"SET lock_timeout = '{value}'")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")


def test_a_lock_held_on_one_plans_tasker_never_delays_another_plans_work(world):
    eucom = world.user("EUCOM", AO)
    plan_a = act(world.ready_plan(), "submit", eucom)
    plan_b = act(world.ready_plan(), "submit", eucom)
    tasker_a = taskers_of(plan_a).get(organization=world.orgs["DA"])
    with held_by_another_connection(model=CampaignPlan, pk=plan_a.pk, tasker_ids=[tasker_a.pk]), \
            lock_timeout("500ms"):
        # Same organizations, same kind of document: the rows those writes reference are not locked.
        tasker_respond(tasker=taskers_of(plan_b).get(organization=world.orgs["DA"]), by=world.user("DA", REV),
                       response=Response.NONCONCUR, rationale="Army lift double-counted", comments=critical())
        plan_c = act(world.ready_plan(), "submit", eucom)
        withdrawn = transition_perform(document=plan_b, name="withdraw", by=eucom, comment="Merged into plan C",
                                       expected_state=PlanState.COORDINATION)
        # ...while plan A itself is held: the lock is real.
        with pytest.raises(Conflict) as conflict:
            transition_perform(document=plan_a, name="withdraw", by=eucom, comment="Merged")
    assert conflict.value.reasons == [BUSY]
    assert withdrawn.state == PlanState.WITHDRAWN and plan_c.state == PlanState.COORDINATION
    assert CampaignPlan.objects.get(pk=plan_a.pk).state == PlanState.COORDINATION
    assert not history_of(plan_a).filter(action="withdraw").exists()


def test_the_lock_names_only_the_document_taskers_and_comments(world):
    from django.test.utils import CaptureQueriesContext

    plan = act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    tasker = taskers_of(plan).first()
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        document_lock(model=CampaignPlan, pk=plan.pk, tasker_ids=[tasker.pk])
    locks = [q["sql"] for q in queries.captured_queries if "FOR" in q["sql"]]
    assert [sql.rsplit("FOR ", 1)[1] for sql in locks] == [
        'NO KEY UPDATE OF "planning_campaignplan"', 'NO KEY UPDATE OF "workflow_tasker"']


def test_the_api_answers_a_lock_it_cannot_get_with_409_and_writes_nothing(world, as_member):
    plan = act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    draft = world.ready_plan()
    eucom = as_member("EUCOM", AO)
    with held_by_another_connection(model=CampaignPlan, pk=plan.pk), \
            held_by_another_connection(model=CampaignPlan, pk=draft.pk), lock_timeout("200ms"):
        withdrawn = eucom.post(f"{V1}/campaign-plans/{plan.pk}/transitions/withdraw/",
                               {"comment": "Merged", "expected_state": "coordination"}, format="json")
        # Editing a draft is not retried by its service: the edge still answers a conflict.
        edited = eucom.patch(f"{V1}/campaign-plans/{draft.pk}/", {"title": "Renamed"}, format="json")
    assert (withdrawn.status_code, withdrawn.json()["reasons"]) == (409, [BUSY])
    assert withdrawn["Content-Type"] == "application/problem+json"
    assert (edited.status_code, edited.json()["type"]) == (409, "/api/problems/conflict/")
    assert CampaignPlan.objects.get(pk=plan.pk).state == PlanState.COORDINATION
    assert CampaignPlan.objects.get(pk=draft.pk).title == draft.title


def test_the_admin_answers_a_lock_it_cannot_get_with_a_message(world):
    plan = act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    client = Client()
    client.force_login(world.user("EUCOM", AO))
    url = reverse("admin:planning_campaignplan_change", args=[plan.pk]).replace("change/", "transition/withdraw/")
    with held_by_another_connection(model=CampaignPlan, pk=plan.pk), lock_timeout("200ms"):
        response = client.post(url, {"expected_state": "coordination", "comment": "Merged", "confirmed": "yes"},
                               follow=True)
    assert response.status_code == 200
    assert BUSY in response.content.decode().replace("&#x27;", "'")
    assert CampaignPlan.objects.get(pk=plan.pk).state == PlanState.COORDINATION


def test_an_admin_page_that_cannot_get_its_lock_answers_409_and_changes_nothing(world):
    plan = to_review(world, world.ready_plan())
    plan = act(plan, "return_for_rework", world.user("J5", REV), comment="Rework the annex")
    client = Client()
    client.force_login(world.user("EUCOM", AO))
    with held_by_another_connection(model=CampaignPlan, pk=plan.pk), lock_timeout("200ms"):
        response = client.post(reverse("admin:planning_campaignplan_changelist"),
                               {"action": "start_new_version", "_selected_action": [plan.pk]})
    assert response.status_code == 409
    assert BUSY.replace("'", "&#x27;") in response.content.decode()
    assert CampaignPlan.objects.filter(series=plan.series).count() == 1


def test_a_lock_failure_is_retried_and_the_retry_succeeds_once_the_other_writer_is_done(world):
    """The other writer lets go only after this transition's first attempt gave up waiting (seen in
    pg_stat_activity, not guessed by a clock): the service tries again and the transition is made,
    once."""
    eucom = world.user("EUCOM", AO)
    plan = act(world.ready_plan(), "submit", eucom)
    locked, release_failure = threading.Event(), []

    def hold_until_the_first_attempt_gives_up():
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                document_lock(model=CampaignPlan, pk=plan.pk)
                locked.set()
                first_wait = None
                for _ in range(3000):
                    cursor.execute("SELECT min(query_start) FROM pg_stat_activity WHERE datname = current_database() "
                                   "AND wait_event_type = 'Lock'")
                    waiting = cursor.fetchone()[0]
                    if first_wait is None:
                        first_wait = waiting
                    elif waiting != first_wait:
                        break  # the first attempt timed out (another wait, or none, is there now)
                    time.sleep(0.01)
        except BaseException as exc:  # noqa: BLE001 (reported to the test below)
            release_failure.append(exc)
            locked.set()
        finally:
            connection.close()

    holder = threading.Thread(target=hold_until_the_first_attempt_gives_up)
    holder.start()
    assert locked.wait(timeout=30) and not release_failure, release_failure
    with lock_timeout("300ms"):
        withdrawn = transition_perform(document=plan, name="withdraw", by=eucom, comment="Merged",
                                       expected_state=PlanState.COORDINATION)
    holder.join(timeout=60)
    assert not release_failure, release_failure
    assert withdrawn.state == PlanState.WITHDRAWN
    assert history_of(plan).filter(action="withdraw").count() == 1
