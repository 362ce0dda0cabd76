"""Stored files that follow the database transaction: a file written for a row is deleted again
when the transaction that wrote the row rolls back (the row is gone, the file would be an orphan
nobody can reach), and a file a transaction no longer needs is deleted only once it commits
(until then the row naming it may come back).

Django runs callbacks on commit and none on rollback; it drops the callbacks of a transaction
(or savepoint) that rolls back. ``kept_unless_rolled_back`` registers an on-commit callback that
keeps the file, and a finalizer on that callback that deletes the file when it is dropped
without having run: on rollback, whatever rolled back (the service's own block, a caller's outer
transaction, a savepoint around it).
"""

from __future__ import annotations

import logging
import weakref

from django.db import transaction

logger = logging.getLogger(__name__)


def _delete_quietly(storage, name: str) -> None:
    try:
        storage.delete(name)
    except Exception:  # a file left over is an orphan, not an error of the request that rolled back
        logger.exception("Could not delete %s, written by a transaction that rolled back", name)


class _Keep:
    """The on-commit callback: running it keeps the file; being dropped unrun deletes it."""

    def __init__(self, storage, name: str) -> None:
        # Also at interpreter exit: a process ending inside the transaction never commits it.
        self._finalizer = weakref.finalize(self, _delete_quietly, storage, name)

    def __call__(self) -> None:
        self._finalizer.detach()


def kept_unless_rolled_back(storage, name: str, *, using: str | None = None) -> None:
    """Delete ``name`` from ``storage`` if the current transaction on ``using`` rolls back; keep it
    once it commits (at once outside a transaction)."""
    transaction.on_commit(_Keep(storage, name), using=using)


def deleted_on_commit(storage, name: str, *, using: str | None = None) -> None:
    """Delete ``name`` from ``storage`` once the current transaction commits; nothing if it rolls
    back (the row naming the file is back)."""
    transaction.on_commit(lambda: _delete_quietly(storage, name), using=using)
