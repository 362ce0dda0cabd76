"""What one event costs the database: the history entry and its audit event are two statements
whatever their number (the audit chain's head is read, under its lock, inside the statement that
appends the events), and the chain the database computes is the one ``manage.py audit_verify``
checks. A transition on the tests' own kind of document takes a fixed number of statements."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from security.models import AuditEvent
from security.trail import GENESIS, Break, chain_breaks, chain_hash
from tests.workflow.kindapp.models import Proposal, ProposalState
from workflow.services import history_append, history_entry, transition_perform

from .helpers import AO, audit_events_of

pytestmark = pytest.mark.postgres


def _proposals(world, count: int) -> list[Proposal]:
    return [Proposal.objects.create(title=f"Exercise calendar {n}", owner=world.orgs["EUCOM"],
                                    state=ProposalState.DRAFT) for n in range(count)]


def _trail_intact() -> int:
    """Walk the whole audit trail as ``audit_verify`` does; the number of events checked."""
    *breaks, checked = chain_breaks(AuditEvent.objects.order_by("pk").iterator())
    assert not [b for b in breaks if isinstance(b, Break)], breaks
    return checked


@pytest.mark.parametrize("count", [1, 4])
def test_history_with_its_audit_events_is_two_statements_whatever_their_number(world, count):
    documents = _proposals(world, count)
    by = world.user("EUCOM", AO)
    ContentType.objects.get_for_model(Proposal)  # content types are cached per process
    before = AuditEvent.objects.order_by("-pk").first()
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        entries = history_append([history_entry(document=d, action="noted", description=f"Noted {d.pk}", actor=by)
                                  for d in documents])
    sql = [q["sql"] for q in captured.captured_queries
           if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    assert len(sql) == 2, sql
    assert sql[0].startswith('INSERT INTO "workflow_historyentry"')
    assert "audit_chain_head()" in sql[1] and 'INSERT INTO "security_auditevent"' in sql[1]
    assert audit_events_of(entries) == {entry.pk: 1 for entry in entries}

    # The database chained them as Python would, each to the one before, after the old head.
    events = list(AuditEvent.objects.filter(pk__gt=before.pk if before else 0).order_by("pk"))
    assert [e.detail["history"] for e in events] == [entry.pk for entry in entries]
    previous = before.hash if before else GENESIS
    for event in events:
        assert event.previous_hash == previous
        assert event.hash == chain_hash(event, previous)
        previous = event.hash
    assert _trail_intact() >= count


def test_an_audit_event_saved_alone_is_one_statement_on_the_chain(world):
    from security.audit import audit_record
    from security.models import AuditAction

    user = world.user("EUCOM", AO)
    with CaptureQueriesContext(connection) as captured:
        event = audit_record(action=AuditAction.EXPORT, description="Comment matrix exported", user=user)
    assert len(captured) == 1, [q["sql"] for q in captured.captured_queries]
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.hash, stored.previous_hash) == (event.hash, event.previous_hash)
    assert _trail_intact() >= 1


def test_a_transition_is_the_lock_the_actor_the_write_the_history_and_its_audit(world):
    """Submitting a proposal (no taskers to close): lock, who acts, the taskers read once for the
    rules, the UPDATE of what changed, the coordination taskers issued (their INSERT, history
    and audit), the transition's history and audit."""
    from tests.workflow.kindapp.models import KIND
    from workflow.models import Route, RouteStep, Step

    route = Route.objects.create(document_kind=KIND, name="Proposals")
    RouteStep.objects.create(route=route, step=Step.COORDINATION, organization=world.orgs["DA"], position=1)
    document = _proposals(world, 1)[0]
    by = world.user("EUCOM", AO)
    transition_perform(document=_proposals(world, 1)[0], name="submit", by=by)  # caches warmed alike
    with CaptureQueriesContext(connection) as captured:
        transition_perform(document=document, name="submit", by=by, expected_state=ProposalState.DRAFT)
    sql = [q["sql"] for q in captured.captured_queries]
    head_reads = [s for s in sql if s.startswith("SELECT") and "audit_chain_head" in s]
    assert head_reads == [], "the chain's head is read inside the audit INSERT, never on its own"
    assert sum('INSERT INTO "security_auditevent"' in s for s in sql) == 2  # taskers issued, submitted
    assert sum(s.startswith('INSERT INTO "workflow_historyentry"') for s in sql) == 2


def test_a_long_append_is_cut_into_batches_each_chained_to_the_one_before(world):
    """More events than one statement chains (``CHAIN_INSERT_BATCH``): one statement per batch,
    every event on the chain in its order, the trail intact."""
    from security.audit import audit_event, audit_records_append
    from security.models import AuditAction
    from security.trail import CHAIN_INSERT_BATCH

    count = 2 * CHAIN_INSERT_BATCH + 1
    user = world.user("EUCOM", AO)
    events = [audit_event(action=AuditAction.EXPORT, description=f"Export {n}", user=user) for n in range(count)]
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        appended = audit_records_append(events)
    inserts = [q for q in captured.captured_queries if 'INSERT INTO "security_auditevent"' in q["sql"]]
    assert len(inserts) == 3
    keys = [event.pk for event in appended]
    assert keys == sorted(keys) and len(set(keys)) == count
    stored = list(AuditEvent.objects.filter(pk__in=keys).order_by("pk"))
    assert [e.description for e in stored] == [f"Export {n}" for n in range(count)]
    assert all(b.previous_hash == a.hash for a, b in zip(stored, stored[1:], strict=False))
    assert _trail_intact() >= count
