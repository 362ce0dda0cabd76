"""Each audit event carries SHA-256 over its content and the previous event's hash;
``manage.py audit_verify`` walks the chain, says what it checked, and exits non-zero naming the
first event that was changed or removed, even by the owner of the table with its triggers off."""

import threading
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection, connections

from security.audit import audit_record
from security.models import AuditAction, AuditEvent
from security.trail import GENESIS


def _verify() -> str:
    out = StringIO()
    call_command("audit_verify", stdout=out, stderr=StringIO())
    return out.getvalue()


def _events(count: int) -> list[AuditEvent]:
    return [audit_record(action=AuditAction.EXPORT, description=f"export {n}", detail={"rows": n, "format": "csv"},
                         username=f"eucom_action_officer_{n}") for n in range(count)]


def _as_owner_with_the_trigger_off(statement: str, params) -> None:
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE security_auditevent DISABLE TRIGGER security_auditevent_append_only")
        cursor.execute(statement, params)
        cursor.execute("ALTER TABLE security_auditevent ENABLE TRIGGER security_auditevent_append_only")


@pytest.mark.django_db
def test_each_event_chains_to_the_one_written_before_it():
    first, second, third = _events(3)
    assert len(first.hash) == len(second.hash) == 64
    assert second.previous_hash == first.hash and third.previous_hash == second.hash
    assert len({first.hash, second.hash, third.hash}) == 3
    stored = AuditEvent.objects.get(pk=third.pk)
    assert (stored.previous_hash, stored.hash) == (second.hash, third.hash)


@pytest.mark.django_db
def test_audit_verify_passes_an_intact_chain_and_says_what_it_checked():
    events = _events(4)
    output = _verify()
    total = AuditEvent.objects.count()
    assert f"checked {total} events" in output and "0 broken" in output
    assert f"chain intact; last hash {events[-1].hash} (event #{events[-1].pk})" in output


@pytest.mark.django_db
def test_audit_events_written_in_bulk_are_chained_in_their_order_and_verify():
    from security.audit import audit_event, audit_records_append

    before = _events(2)
    appended = audit_records_append([audit_event(action=AuditAction.EXPORT, description=f"bulk {n}")
                                     for n in range(5)])
    stored = list(AuditEvent.objects.filter(pk__in=[e.pk for e in appended]).order_by("pk"))
    assert [e.description for e in stored] == [f"bulk {n}" for n in range(5)]
    assert stored[0].previous_hash == before[-1].hash
    assert all(later.previous_hash == earlier.hash for earlier, later in zip(stored, stored[1:], strict=False))
    assert "0 broken" in _verify()


@pytest.mark.django_db
def test_audit_events_cannot_be_rewritten_or_merged_in_bulk():
    event = _events(1)[0]
    with pytest.raises(ValidationError, match="append-only"):
        AuditEvent.objects.bulk_create([event])
    with pytest.raises(ValidationError, match="no conflict options"):
        AuditEvent.objects.bulk_create([AuditEvent(action=AuditAction.EXPORT, description="x")], ignore_conflicts=True)
    with pytest.raises(ValidationError, match="append-only"):
        AuditEvent.objects.filter(pk=event.pk).update(description="changed")
    with pytest.raises(ValidationError, match="append-only"):
        AuditEvent.objects.filter(pk=event.pk).delete()


@pytest.mark.postgres
@pytest.mark.django_db
def test_audit_verify_names_an_event_the_owner_altered_with_the_trigger_disabled():
    events = _events(5)
    altered = events[2]
    _as_owner_with_the_trigger_off("UPDATE security_auditevent SET description = 'nothing was exported' "
                                   "WHERE id = %s", [altered.pk])
    assert AuditEvent.objects.get(pk=altered.pk).description == "nothing was exported"
    with pytest.raises(CommandError) as error:
        _verify()
    assert f"broken at audit event #{altered.pk} " in str(error.value)
    assert "does not match its hash: it was changed after it was written" in str(error.value)


@pytest.mark.postgres
@pytest.mark.django_db
def test_audit_verify_names_the_event_after_one_the_owner_removed():
    events = _events(4)
    _as_owner_with_the_trigger_off("DELETE FROM security_auditevent WHERE id = %s", [events[1].pk])
    with pytest.raises(CommandError) as error:
        _verify()
    assert f"broken at audit event #{events[2].pk} " in str(error.value)
    assert f"does not follow #{events[0].pk}" in str(error.value)


@pytest.mark.postgres
@pytest.mark.django_db
def test_audit_verify_names_an_event_whose_hash_the_owner_recomputed_at_the_next_one():
    events = _events(3)
    _as_owner_with_the_trigger_off("UPDATE security_auditevent SET description = 'rewritten', "
                                   "hash = repeat('a', 64) WHERE id = %s", [events[1].pk])
    with pytest.raises(CommandError) as error:
        _verify()
    assert f"broken at audit event #{events[1].pk} " in str(error.value)
    assert "1 more broken after it" in str(error.value)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_extend_one_chain_without_forking_it():
    writers, per_writer = 4, 15
    barrier = threading.Barrier(writers)
    failures = []

    def write(number: int) -> None:
        try:
            barrier.wait(timeout=30)
            for n in range(per_writer):
                audit_record(action=AuditAction.EXPORT, description=f"writer {number} export {n}")
        except Exception as error:  # noqa: BLE001 (reported to the test thread)
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(number,)) for number in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures
    events = list(AuditEvent.objects.order_by("pk"))
    assert len(events) == writers * per_writer
    assert events[0].previous_hash == GENESIS
    assert [e.previous_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    assert len({e.previous_hash for e in events}) == len(events)
    assert f"checked {len(events)} events" in _verify()
