"""``raw_same_per_s_1`` replays the product's own statements of one approval through psycopg:
an approval is nine statements and the commit (``transition_queries``), and replayed on another
plan they make that plan's approval as the product would (the plan approved, its approval
tasker answered, one history entry with its audit event on an intact chain), with nothing of
the product's Python in between. The naive peer is one django-fsm transition and its log row."""

from __future__ import annotations

import queue

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType

from benchmarks import measure, synthetic
from benchmarks.world import world_build
from organizations.models import Role
from planning.models import CampaignPlan, PlanState
from security.models import AuditEvent
from security.trail import Break, chain_breaks
from workflow.models import HistoryEntry, Step, Tasker, TaskerState

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _tasks_queued_as_in_the_bench():
    """As in ``manage.py bench``: tasks enqueued on commit go to an in-memory broker, so what is
    recorded is the approval's own statements, not those of tasks run eagerly after it."""
    from config.celery_app import app

    saved = app.conf.broker_url, app.conf.result_backend, app.conf.task_always_eager
    app.conf.broker_url, app.conf.result_backend, app.conf.task_always_eager = "memory://", "cache+memory://", False
    yield
    app.conf.broker_url, app.conf.result_backend, app.conf.task_always_eager = saved


class _NoBarrier:
    def wait(self, timeout=None):
        return 0


def test_an_approval_is_nine_statements_and_the_replay_makes_the_same_approval():
    world = world_build(log=lambda _message: None)
    synthetic.documents_generate(world=world, count=3, phase="review_ready", campaign_plans_only=True,
                                 owner=synthetic.POOL_OWNER)
    a, b, c = CampaignPlan.objects.filter(state=PlanState.REVIEW).order_by("pk").values_list("pk", flat=True)[:3]
    approver = get_user_model().objects.get(pk=world.user_id(synthetic.POOL_OWNER, Role.APPROVER))
    taskers = measure.approval_tasker_ids([a, c])

    first = measure.approval_recorded(plan_id=a, approver=approver)
    second = measure.approval_recorded(plan_id=b, approver=approver)
    # The page's read, then in the transaction: the lock, who the approver acts for, the
    # taskers, the approval tasker closed, its reminders cancelled, the plan, the history entry
    # and its audit event (the chain's head read inside that INSERT); then the COMMIT. The
    # history entry is itself the event people are told of (reminders.notices): nothing more
    # is written for the notice in the approval's transaction.
    assert len(first) + 1 == 10, [s.sql[:80] for s in first]
    assert [s.in_transaction for s in first] == [False] + [True] * 8
    assert first[-1].sql.startswith('WITH RECURSIVE events')
    assert not any("reminders_noticeevent" in s.sql for s in first)
    assert not any(s.sql.startswith("SELECT hash FROM audit_chain_head") for s in first)

    replay = measure.Replay(first=first, second=second, a=(a, taskers[a]))
    history_before = HistoryEntry.objects.filter(object_id=c, action="approve").count()
    results = queue.Queue()
    measure._raw_same_worker([(c, taskers[c])], replay, _NoBarrier(), results)
    assert results.get_nowait()[2] == 1

    plan_type = ContentType.objects.get_for_model(CampaignPlan)
    assert CampaignPlan.objects.get(pk=c).state == PlanState.APPROVED
    assert Tasker.objects.get(pk=taskers[c]).state == TaskerState.ANSWERED
    assert Tasker.objects.filter(content_type=plan_type, object_id=c, step=Step.APPROVAL,
                                 state=TaskerState.OPEN).count() == 0
    assert HistoryEntry.objects.filter(content_type=plan_type, object_id=c, action="approve").count() == \
        history_before + 1
    *breaks, checked = chain_breaks(AuditEvent.objects.order_by("pk").iterator())
    assert not [x for x in breaks if isinstance(x, Break)] and checked >= 3


def test_the_naive_peer_is_a_django_fsm_transition_with_one_log_row_in_its_transaction():
    """Its two tables are unmanaged (the flush between tests leaves them): each run creates them
    afresh, so an earlier run's rows (a run before, a database kept with ``--reuse-db``) never
    count."""
    from benchmarks.models import NaiveDocument, NaiveStateLog

    world = world_build(log=lambda _message: None)
    earlier = measure.naive_documents_create(2)  # as a run before this one left them
    measure._naive_worker(earlier, world.user_id("USD(P)", Role.APPROVER), _NoBarrier(), queue.Queue())
    ids = measure.naive_documents_create(3)
    assert NaiveDocument.objects.count() == 3 and not NaiveStateLog.objects.exists()
    results = queue.Queue()
    measure._naive_worker(ids, world.user_id("USD(P)", Role.APPROVER), _NoBarrier(), results)
    assert results.get_nowait()[2:4] == (3, 0)
    assert set(NaiveDocument.objects.values_list("state", flat=True)) == {"approved"}
    logs = NaiveStateLog.objects.order_by("pk")
    assert [(log.object_id, log.source_state, log.state, log.transition, log.by_id) for log in logs] == [
        (pk, "review", "approved", "approve", world.user_id("USD(P)", Role.APPROVER)) for pk in ids]
