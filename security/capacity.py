"""Reads of who may see what, built once per *capacity* instead of once per request.

Every page asks the same rules again and again: the documents of each kind the person may see
(need-to-know and markings), the header's count of their open taskers. The rules are written as
ORM filters, and building those filters (eleven kinds, each with its offices, its designations
and its marking) costs more Python than the database spends answering them. Yet what a rule
builds depends only on the person's *capacity*, the inputs every rule of who may see what reads:

- the account (its id, whether it is switched on, whether it is a system administrator);
- every organization the person acts for that day, in which roles, with which delegations
  (``organizations.selectors.acting_roles``);
- which organizations hold which designations that day (``designation_holders``);
- the person's clearance and citizenship (``security.access.access_of``);
- the day itself.

Each of them is read once per request already (the request memo, the security profile read
with the user). So a rule's result, built for one capacity, is kept (per process, at most
``CAPACITY_CACHE_ENTRIES`` of them, the least recently used dropped first: about 33 KB each,
some twenty a person) and given again, as a fresh
copy, to any request of the same capacity. Values that are plain data (compiled SQL, the admin's
menu: ``per_capacity_value``) are also kept in the installation's cache (Redis: ``CACHE_URL``, or
the broker's), keyed by a digest of the code and the database as well, so that a web worker
serving a person for the first time finds what another worker built for them: a change to any input (a membership, a delegation, a
designation, a clearance, a new day) is a different capacity, so nothing is ever served from
before it. Outside a request nothing is kept (the inputs are not memoized there).

A rule kept here may read nothing else that changes: only its arguments (the person, a model)
and the inputs above. The test settings check this on every use (``CAPACITY_CHECK``): the rule is
built again and its SQL compared with the copy's; a difference fails loudly, naming the rule.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from django.conf import settings
from django.db.models import QuerySet
from django.db.models.sql.where import WhereNode
from django.utils import timezone

from organizations.selectors import acting_roles, active_account, designation_holders
from runtime.request_memo import request_memo_active

from .access import access_of

logger = logging.getLogger(__name__)


def _entries() -> int:
    return getattr(settings, "CAPACITY_CACHE_ENTRIES", 1024)


_kept: OrderedDict = OrderedDict()
_lock = threading.Lock()


class CapacityRuleError(AssertionError):
    """A rule kept per capacity built something its capacity does not determine."""


def capacity_key(user) -> Hashable | None:
    """What every rule of who may see what reads of ``user``, as one hashable value; None outside
    a request (nothing is kept there) and for no signed-in account."""
    if not request_memo_active() or user is None or not getattr(user, "is_authenticated", False):
        return None
    day = timezone.localdate()
    # Each read here is memoized for the request (the security profile on the user itself).
    return (user.pk, bool(user.is_active), bool(user.is_superuser),
            acting_roles(user, on=day) if active_account(user) else (),
            tuple(sorted(designation_holders(on=day).items())), access_of(user), day)


def _get(key):
    with _lock:
        found = _kept.get(key)
        if found is not None:
            _kept.move_to_end(key)
        return found


def _put(key, value) -> None:
    with _lock:
        _kept[key] = value
        _kept.move_to_end(key)
        while len(_kept) > _entries():
            _kept.popitem(last=False)


def forget() -> None:
    """Drop everything kept (tests that switch databases; never needed for correctness)."""
    with _lock:
        _kept.clear()


def _keepable(queryset) -> bool:
    """Only a queryset its query (and how its rows come: models, values...) says everything
    about is kept: not read yet, no database chosen, nothing to prefetch."""
    return (isinstance(queryset, QuerySet) and queryset._result_cache is None and queryset._db is None
            and not queryset._prefetch_related_lookups and not queryset._hints and not queryset._sticky_filter)


def _where_copy(node):
    """A copy of a WHERE tree down to its leaves. Django's own copy of a query shares the leaves
    (the lookups), and resolving a query as another's subquery sets a leaf's value in place (a
    nested query re-aliased): a kept read shares no leaf with any query given out."""
    clone = node.create(connector=node.connector, negated=node.negated)
    clone.children = [_where_copy(child) if isinstance(child, WhereNode) else copy.copy(child)
                      for child in node.children]
    return clone


def _detached(query):
    query = query.chain()
    query.where = _where_copy(query.where)
    if query.combined_queries:
        query.combined_queries = tuple(_detached(combined) for combined in query.combined_queries)
    return query


def _copy_kept(queryset: QuerySet) -> tuple:
    return (type(queryset), queryset.model, _detached(queryset.query), queryset._iterable_class, queryset._fields)


def _fresh(kept: tuple) -> QuerySet:
    """A new queryset of the kept one's class on a copy of its query (never the kept one: a
    queryset caches its rows once read, and a query used as a subquery changes its leaves)."""
    queryset_class, model, query, iterable_class, fields = kept
    queryset = queryset_class(model=model, query=_detached(query))
    queryset._iterable_class, queryset._fields = iterable_class, fields
    return queryset


def _comparable(value):
    """``value`` as the check compares it: a parameter with no equality of its own (a JSON
    adapter, say, equal only to itself) by its type and ``repr``; sequences item by item."""
    if isinstance(value, tuple | list):
        return tuple(_comparable(item) for item in value)
    if type(value).__eq__ is object.__eq__:
        return type(value).__qualname__, repr(value)
    return value


def _unaliased(sql: str) -> str:
    """``sql`` without its table qualifiers and aliases: Django names a subquery's tables ``U0``,
    ``V0``... or by their own names depending on how the query was copied, the same SQL."""
    sql = re.sub(r'"\w+"\.|\b[A-Z]\d+\.', "", sql)
    return re.sub(r'(")\s+[A-Z]\d+\b', r"\1", sql)


def _compiled(queryset: QuerySet, using: str = "default") -> tuple[str, tuple]:
    from django.core.exceptions import EmptyResultSet

    try:
        sql, params = queryset.query.get_compiler(using).as_sql()
    except EmptyResultSet:
        return "<empty>", ()
    return _unaliased(sql), _comparable(params)


# --- shared between the processes of the installation ----------------------------------------

SHARED_SECONDS = 3600  # a shared value outlives no day (the day is in the key) and at most an hour


@functools.cache
def _code_version() -> str:
    """A digest of the installation's own Python source: a value built by other code (before a
    deployment) is never given by this code."""
    from pathlib import Path

    digest = hashlib.sha256()
    root = Path(settings.BASE_DIR)
    packages = sorted(folder for folder in root.iterdir() if (folder / "__init__.py").exists())
    for path in sorted(path for package in packages for path in package.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _shared_key(entry_key: tuple) -> str:
    database = settings.DATABASES["default"]
    where = (database.get("HOST"), database.get("PORT"), database.get("NAME"))
    # The key's parts are ints, strings, dates and dataclasses of them: their repr is the same in
    # every process.
    return f"capacity:{_code_version()}:{hashlib.sha256(repr((where, entry_key)).encode()).hexdigest()}"


def _shared_get(entry_key: tuple):
    from django.core.cache import cache

    try:
        return cache.get(_shared_key(entry_key))
    except Exception:  # noqa: BLE001 (the shared cache is an accelerator: unreachable, the value is built)
        logger.warning("capacity: the shared cache did not answer", exc_info=True)
        return None


def _shared_put(entry_key: tuple, value) -> None:
    from django.core.cache import cache

    try:
        cache.set(_shared_key(entry_key), value, SHARED_SECONDS)
    except Exception:  # noqa: BLE001 (as above: kept in this process only)
        if getattr(settings, "CAPACITY_CHECK", False):
            raise  # the tests: a value that cannot be pickled is a mistake of the code keeping it
        logger.warning("capacity: the shared cache did not keep a value", exc_info=True)


def _kept_or_built(name, entry: tuple, user, build: Callable, *, keep: Callable, give: Callable,
                   compared: Callable, shared: bool = False):
    """What was kept under ``entry`` for the capacity of ``user`` (``give`` makes what a caller
    gets of it), or ``build()``, kept as ``keep`` makes it (None: not kept). ``shared``: also
    kept in the installation's cache, where every process finds it. Under ``CAPACITY_CHECK``
    each reuse is built again and ``compared`` with what was given."""
    key = capacity_key(user)
    if key is None:
        return build()
    entry_key = (*entry, key)
    found = _get(entry_key)
    if found is None and shared:
        found = _shared_get(entry_key)
        if found is not None:
            _put(entry_key, found)
    if found is not None:
        given = give(found)
        if getattr(settings, "CAPACITY_CHECK", False):
            built, kept = compared(build()), compared(given)
            if built != kept:
                raise CapacityRuleError(
                    f"{name} built for this capacity differs from what was kept for it: it reads something its "
                    f"capacity does not hold.\nbuilt: {str(built)[:400]}\nkept:  {str(kept)[:400]}")
        return given
    built = build()
    kept = keep(built)
    if kept is not None:
        _put(entry_key, kept)
        if shared:
            _shared_put(entry_key, kept)
    return built


def _compared(queryset: QuerySet) -> tuple:
    return queryset.model, _compiled(queryset)


def per_capacity(rule: Callable[..., QuerySet]) -> Callable[..., QuerySet]:
    """Keep ``rule(user, *models)`` per capacity of ``user`` (see the module). The rule's other
    arguments, given by position, are models (classes) or names (strings), part of the key; a
    call with anything else is not kept."""
    name = f"{rule.__module__}.{rule.__qualname__}"

    @functools.wraps(rule)
    def kept(user, *models):
        if not all(isinstance(model, type | str) for model in models):
            return rule(user, *models)
        return _kept_or_built(name, (name, models), user, lambda: rule(user, *models),
                              keep=lambda built: _copy_kept(built) if _keepable(built) else None,
                              give=_fresh, compared=_compared)

    kept.uncached = rule
    return kept


def per_capacity_value(name, user, build: Callable[[], object], *, give: Callable = lambda value: value):
    """``build()`` kept per capacity of ``user`` under ``name`` (a value built from the capacity
    alone: compiled SQL and its parameters, say), as ``give(value)`` makes it (a copy, for a value
    callers change: what is kept is such a copy too). Plain data (it is pickled): kept in the
    installation's cache too, so each process need not build it again. Checked as ``per_capacity`` is."""
    return _kept_or_built(name, (name,), user, build, keep=give, give=give, compared=_comparable, shared=True)


def per_capacity_querysets(name, user, build: Callable[[], list[QuerySet]]) -> list[QuerySet]:
    """``build()``, a list of querysets, kept per capacity of ``user`` under ``name``; each call
    gets fresh copies. Checked as ``per_capacity`` is."""
    return _kept_or_built(
        name, (name,), user, build,
        keep=lambda built: [_copy_kept(q) for q in built] if all(_keepable(q) for q in built) else None,
        give=lambda found: [_fresh(kept) for kept in found],
        compared=lambda querysets: [_compared(q) for q in querysets])
