"""The audit trail's hash chain: each event carries SHA-256 over its own content and the hash of
the event before it, so changing, removing or reordering a written event breaks every link
from there on, and ``manage.py audit_verify`` names the first one.

Events are chained in primary-key order. On PostgreSQL the append holds a transaction-level
advisory lock from reading the last hash until its transaction ends, so two writers never
chain to the same predecessor, and keys are drawn in the order of the chain; SQLite already
runs one writing transaction at a time (``transaction_mode`` IMMEDIATE in the settings).
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db import connections
from django.utils import timezone

GENESIS = "0" * 64
# pg_advisory_xact_lock key of the chain's head (in audit_chain_head(), migration 0004): any
# constant this database uses for nothing else.
CHAIN_LOCK = 0x61756469745F7472  # "audit_tr"
FIELDS = ("at", "action", "user_id", "username", "ip_address", "user_agent", "object_type", "object_id",
          "description", "detail")


def _address(value) -> str:
    if not value:
        return ""
    try:
        return ipaddress.ip_address(str(value)).exploded
    except ValueError:
        return str(value)


def canonical(event) -> bytes:
    """The event's content as the database gives it back: UTC time to the microsecond, the address
    in one spelling, the detail's keys sorted."""
    at = event.at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    detail = json.loads(json.dumps(event.detail or {}))
    content = {
        "at": at, "action": event.action, "user_id": event.user_id, "username": event.username or "",
        "ip_address": _address(event.ip_address), "user_agent": event.user_agent or "",
        "object_type": event.object_type or "", "object_id": event.object_id or "",
        "description": event.description or "", "detail": detail,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(event, previous_hash: str) -> str:
    return hashlib.sha256(previous_hash.encode() + b"\n" + canonical(event)).hexdigest()


def chain_append(event, *, using: str) -> None:
    """Link the unsaved ``event`` to the last one; call inside the transaction that inserts it."""
    chain_extend([event], using=using)


def chain_extend(events: list, *, using: str) -> None:
    """Link the unsaved ``events``, in their order, after the last one: one read of the chain's
    head (holding its lock) whatever their number; call inside the transaction that inserts
    them, in this order (keys are drawn in the order of the chain)."""
    if not events:
        return
    connection = connections[using]
    if connection.vendor == "postgresql":
        # One statement: audit_chain_head() (migration 0004) takes the lock, then reads the last
        # hash with a snapshot taken after the lock, as a VOLATILE function does.
        with connection.cursor() as cursor:
            cursor.execute("SELECT hash FROM audit_chain_head()")
            row = cursor.fetchone()
        previous = row[0] if row else None
    else:
        previous = (type(events[0])._default_manager.using(using).order_by("-pk")
                    .values_list("hash", flat=True).first())
    previous = previous or GENESIS
    for event in events:
        if event.at is None:
            event.at = timezone.now()
        event.previous_hash = previous
        event.hash = previous = chain_hash(event, event.previous_hash)


CHAIN_INSERT_BATCH = 500  # events per statement (a launch's batch of assessments is 500)


def chain_insert(model, events: list, *, using: str) -> list:
    """Append the unsaved ``events`` of ``model`` (the audit trail) on the chain, in their order,
    in one statement on PostgreSQL: the chain's head read under its lock
    (``audit_chain_head()``), each event's hash computed by the database over the same bytes
    ``chain_hash`` hashes (the previous hash, a newline, ``canonical(event)``), and the rows
    inserted with keys drawn in the order of the chain, after the lock. The events come back
    with their key and both hashes, as ``chain_extend`` and an INSERT would leave them. Call
    inside the transaction that holds the lock until it ends. PostgreSQL only (elsewhere:
    ``chain_extend``, then the INSERT)."""
    if not events:
        return []
    if len(events) > CHAIN_INSERT_BATCH:
        # The chain is computed by recursion over the batch's rows: batches keep each statement
        # short. Each reads the head again under the lock it already holds (taken again by the
        # same transaction) and sees the batch before it.
        for start in range(0, len(events), CHAIN_INSERT_BATCH):
            chain_insert(model, events[start:start + CHAIN_INSERT_BATCH], using=using)
        return events
    connection = connections[using]
    fields = [f for f in model._meta.concrete_fields if not f.primary_key and f.attname not in ("previous_hash", "hash")]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    rows, params = [], []
    for n, event in enumerate(events, start=1):
        if event.at is None:
            event.at = timezone.now()
        values = [f.get_db_prep_save(getattr(event, f.attname), connection) for f in fields]
        rows.append("(" + ", ".join([f"{n}::integer", *(f"%s::{f.db_type(connection)}" for f in fields),
                                     "%s::bytea"]) + ")")
        params.extend([*values, canonical(event)])
    names = ", ".join(f"c{i}" for i in range(len(fields)))
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)
    # Identifiers from the model's own metadata, quoted; every value is a parameter.
    sql = (
        f"WITH RECURSIVE events (n, {names}, content) AS (VALUES {', '.join(rows)}), "  # noqa: S608
        f"head (hash) AS (SELECT coalesce((SELECT hash FROM audit_chain_head()), %s)), "
        "chain (n, previous_hash, hash) AS ("
        " SELECT 0, NULL::varchar, hash::varchar FROM head"
        " UNION ALL"
        " SELECT e.n, c.hash, encode(sha256(convert_to(c.hash, 'UTF8') || decode('0a', 'hex') || e.content), 'hex')::varchar"
        " FROM chain c JOIN events e ON e.n = c.n + 1) "
        f"INSERT INTO {table} ({columns}, previous_hash, hash) "
        f"SELECT {names}, c.previous_hash, c.hash FROM events e JOIN chain c ON c.n = e.n ORDER BY e.n "
        f"RETURNING {pk}, previous_hash, hash"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, GENESIS])
        returned = cursor.fetchall()
    for event, (key, previous_hash, hash_) in zip(events, returned, strict=True):
        event.pk, event.previous_hash, event.hash = key, previous_hash, hash_
        event._state.adding, event._state.db = False, using
    return events


@dataclass(frozen=True)
class Break:
    pk: int
    at: datetime.datetime
    reason: str

    def __str__(self) -> str:
        return f"audit event #{self.pk} ({self.at:%Y-%m-%d %H:%M:%S} UTC) {self.reason}"


def chain_breaks(events: Iterable) -> Iterator[Break | int]:
    """Walk ``events`` in primary-key order; yield a Break for each broken link or altered event,
    and finally the number of events checked."""
    previous_pk, previous_hash, checked = None, GENESIS, 0
    for event in events:
        checked += 1
        after = f"#{previous_pk}" if previous_pk is not None else "the start of the trail"
        if not event.hash:
            yield Break(event.pk, event.at, "carries no hash: it was written around the chain")
        elif event.previous_hash != previous_hash:
            yield Break(event.pk, event.at, f"does not follow {after}: the hash it chains to is not {after}'s "
                                            "(an event between them was removed or changed, or the chain was "
                                            "rewritten)")
        elif chain_hash(event, event.previous_hash) != event.hash:
            yield Break(event.pk, event.at, "does not match its hash: it was changed after it was written")
        previous_pk, previous_hash = event.pk, event.hash
    yield checked
