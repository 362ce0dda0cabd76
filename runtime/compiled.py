"""Statements of the hot paths compiled once instead of on every call.

The ORM builds and compiles a query each time it runs: for the few statements every transition
sends (the document's lock, its taskers, who the user acts for, the taskers closed, their
reminders cancelled), building and compiling cost more Python than the database spends on
them. A ``Statement`` keeps, per database connection and per *shape* of its arguments, the SQL
Django compiled the first time, and sends it again with the call's own parameters: the same
SQL, the same parameters, in the same order, through the connection's cursor (its execute
wrappers, its debug log), as the ORM would send. The rows become model instances as the ORM's
own iterable makes them (``from_db``, the converters, ``select_related`` and annotations).

How: ``build(*args)`` returns the queryset (or, for ``update``, the queryset and the values to
set). It is compiled once with stand-in values for the arguments; the positions of the
stand-ins among the parameters are where each call's values go. A shape is what the SQL may
depend on: how many values a sequence holds, each value's type, which arguments are None or
booleans, and any class (a model) passed. The first compilation of a shape is checked against
the ORM's compilation with the real values; a shape that differs is never cached (the ORM runs
it, every time) and a warning says so. Only what ``build`` receives as arguments may vary:
a builder reads nothing else that changes (not today's date: pass it). One difference: a
value given twice in a sequence is sent twice (the ORM drops the repeat from an ``IN`` list),
which selects the same rows.
"""

from __future__ import annotations

import datetime
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connections, router, transaction
from django.db.models.query import get_related_populators
from django.db.models.sql import UpdateQuery
from django.db.transaction import TransactionManagementError

logger = logging.getLogger(__name__)

_stand_ins = itertools.count(1)
_UNCACHED = object()


def _stand_in(value):
    """A value of ``value``'s type that no real argument takes, distinct at each call."""
    n = next(_stand_ins)
    if isinstance(value, bool):  # booleans are part of the shape, never stand-ins
        raise TypeError("a boolean is part of the shape")
    if isinstance(value, int):
        return 1_900_000_000 + n  # within every integer column's range (out of it, a lookup matches nothing)
    if isinstance(value, str):
        return f"\x1fcompiled-stand-in-{n}\x1f"
    if isinstance(value, datetime.datetime):
        return datetime.datetime(1001, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(seconds=n)
    if isinstance(value, datetime.date):
        return datetime.date(1001, 1, 1) + datetime.timedelta(days=n)
    raise TypeError(f"{type(value).__name__} is not a type a compiled statement takes as a parameter")


def _static(value) -> bool:
    """Arguments that are part of the shape (passed to ``build`` as they are)."""
    return value is None or isinstance(value, bool | type)


_PARAMETER_TYPES = (int, str, datetime.date)  # datetime.datetime is a date


def _shape(args: tuple) -> tuple | None:
    """What the SQL may depend on; None when a value is of a type no stand-in replaces (a JSON
    value...): the ORM runs such a call."""
    shape = []
    for arg in args:
        if _static(arg):
            shape.append(("=", arg))
        elif isinstance(arg, tuple | list):
            if not all(_static(a) or isinstance(a, _PARAMETER_TYPES) for a in arg):
                return None
            shape.append(("*", tuple(("=", a) if _static(a) else type(a) for a in arg)))
        elif isinstance(arg, _PARAMETER_TYPES):
            shape.append(type(arg))
        else:
            return None
    return tuple(shape)


def _stand_ins_for(args: tuple) -> tuple[tuple, dict]:
    """The arguments with stand-ins for the values, and where each stand-in came from."""
    where: dict = {}
    out = []
    for i, arg in enumerate(args):
        if _static(arg):
            out.append(arg)
        elif isinstance(arg, tuple | list):
            items = []
            for j, a in enumerate(arg):
                if _static(a):
                    items.append(a)
                else:
                    s = _stand_in(a)
                    where[s] = (i, j, type(s))
                    items.append(s)
            out.append(type(arg)(items))
        else:
            s = _stand_in(arg)
            where[s] = (i, None, type(s))
            out.append(s)
    return tuple(out), where


@dataclass
class _Compiled:
    compiler: object
    sql: str
    params: list
    slots: list[tuple[int, int, int | None, type | None]]
    for_update: bool = False
    # model queries
    model: type | None = None
    init_list: list | None = None
    start: int = 0
    end: int = 0
    populators: list | None = None
    annotations: dict | None = None
    converters: dict | None = None
    extra_select: int | None = None

    def bind(self, args: tuple) -> list:
        params = list(self.params)
        for position, i, j, wrap in self.slots:
            value = args[i] if j is None else args[i][j]
            params[position] = wrap(value) if wrap is not None else value
        return params


def _slots(params, where: dict) -> list:
    slots = []
    for position, param in enumerate(params):
        key = param
        try:
            found = where.get(key)
        except TypeError:  # unhashable (a JSON value...): no stand-in
            continue
        if found is None:
            continue
        i, j, base = found
        slots.append((position, i, j, None if type(param) is base else type(param)))
    return slots


def _same(a: tuple[str, list], b: tuple[str, list]) -> bool:
    return a[0] == b[0] and len(a[1]) == len(b[1]) and all(
        x == y and type(x) is type(y) for x, y in zip(a[1], b[1], strict=True))


class Statement:
    """One statement of a hot path: ``build(*args)`` answers the queryset (``rows``, ``models``,
    ``get``) or the queryset and the values to set (``update``)."""

    def __init__(self, build: Callable, *, name: str = ""):
        self.build = build
        self.name = name or getattr(build, "__qualname__", "statement")

    # --- compiling -----------------------------------------------------------------------

    def _compiled(self, args: tuple, kind: str, using: str | None):
        shape = _shape(args)
        if shape is None:
            return _UNCACHED
        key = (self, kind, shape)
        cache = _cache(using)
        entry = cache.get(key)
        if entry is None:
            entry = cache[key] = self._compile(args, kind, using)
        return entry

    def _query(self, built, kind: str):
        if kind == "update":
            queryset, values = built
            query = queryset.query.chain(UpdateQuery)
            query.add_update_values(values)
            if query.related_updates or query.order_by:
                raise _NotCompiled("an update of parent tables or ordered")
            query.clear_select_clause()
            return query
        return built.query

    def _compile(self, args: tuple, kind: str, using: str | None):
        try:
            stand_ins, where = _stand_ins_for(args)
            connection = connections[using]
            try:
                template_query = self._query(self.build(*stand_ins), kind)
                compiler = template_query.get_compiler(connection=connection)
                sql, params = compiler.as_sql()
            except _NotCompiled:
                raise
            except Exception as error:  # noqa: BLE001 (the ORM, run uncached, raises it for the real values)
                raise _NotCompiled(f"the stand-in values are refused ({error!r})") from error
            real_query = self._query(self.build(*args), kind)
            entry = _Compiled(compiler=compiler, sql=sql, params=list(params), slots=_slots(params, where),
                              for_update=bool(template_query.select_for_update))
            if not _same((entry.sql, entry.bind(args)), _as_sql(real_query, connection)):
                raise _NotCompiled("the SQL depends on the values, not only on their shape")
            if kind in ("models", "rows"):
                self._prepare_rows(entry, kind)
            return entry
        except _NotCompiled as reason:
            logger.warning("compiled statement %s not cached for this shape: %s", self.name, reason)
            return _UNCACHED

    def _prepare_rows(self, entry: _Compiled, kind: str) -> None:
        compiler = entry.compiler
        fields = [s[0] for s in compiler.select[0:compiler.col_count]]
        entry.converters = compiler.get_converters(fields) or None
        if compiler.has_composite_fields(fields):
            raise _NotCompiled("composite fields")
        entry.extra_select = compiler.col_count if compiler.has_extra_select else None
        if kind != "models":
            return
        klass_info = compiler.klass_info
        select_fields = klass_info["select_fields"]
        entry.model = klass_info["model"]
        entry.start, entry.end = select_fields[0], select_fields[-1] + 1
        entry.init_list = [f[0].target.attname for f in compiler.select[entry.start:entry.end]]
        entry.populators = get_related_populators(klass_info, compiler.select, compiler.using)
        entry.annotations = compiler.annotation_col_map or None

    # --- running -------------------------------------------------------------------------

    def _fetch(self, entry: _Compiled, args: tuple, using: str) -> list:
        connection = connections[using]
        if entry.for_update and connection.get_autocommit() and connection.features.supports_transactions:
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        with connection.cursor() as cursor:
            cursor.execute(entry.sql, entry.bind(args))
            rows = cursor.fetchall()
        if entry.extra_select is not None:
            rows = [row[:entry.extra_select] for row in rows]
        if entry.converters:
            rows = list(entry.compiler.apply_converters(rows, entry.converters))
        return rows

    def rows(self, *args, using: str | None = None) -> list[tuple]:
        """The rows of a ``values_list`` queryset, as tuples."""
        using = using or self._using(args, write=False)
        entry = self._compiled(args, "rows", using)
        if entry is _UNCACHED:
            return [tuple(row) for row in self.build(*args).using(using)]
        return [tuple(row) for row in self._fetch(entry, args, using)]

    def models(self, *args, using: str | None = None) -> list:
        """The model instances of the queryset, as iterating it gives them."""
        using = using or self._using(args, write=False)
        entry = self._compiled(args, "models", using)
        if entry is _UNCACHED:
            return list(self.build(*args).using(using))
        objects = []
        model, init_list, start, end = entry.model, entry.init_list, entry.start, entry.end
        for row in self._fetch(entry, args, using):
            obj = model.from_db(using, init_list, row[start:end])
            for populator in entry.populators:
                populator.populate(row, obj)
            if entry.annotations:
                for name, position in entry.annotations.items():
                    setattr(obj, name, row[position])
            objects.append(obj)
        return objects

    def get(self, *args, using: str | None = None):
        """``QuerySet.get()``: ``build`` answers the queryset filtered, unordered and limited to
        ``MAX_GET_RESULTS`` rows, as ``get`` makes it."""
        found = self.models(*args, using=using)
        if len(found) == 1:
            return found[0]
        model = self.build(*args).model
        if not found:
            raise model.DoesNotExist(f"{model._meta.object_name} matching query does not exist.")
        raise model.MultipleObjectsReturned(f"get() returned more than one {model._meta.object_name}")

    def update(self, *args, using: str | None = None) -> int:
        """``QuerySet.update(**values)``: the number of rows updated."""
        using = using or self._using(args, write=True)
        entry = self._compiled(args, "update", using)
        if entry is _UNCACHED:
            queryset, values = self.build(*args)
            return queryset.using(using).update(**values)
        with transaction.mark_for_rollback_on_error(using=using), connections[using].cursor() as cursor:
            cursor.execute(entry.sql, entry.bind(args))
            return cursor.rowcount

    def _using(self, args: tuple, *, write: bool) -> str:
        model = _model_of(self, args)
        return router.db_for_write(model) if write else router.db_for_read(model)


class _NotCompiled(Exception):
    pass


def _as_sql(query, connection) -> tuple[str, list]:
    sql, params = query.get_compiler(connection=connection).as_sql()
    return sql, list(params)


_models: dict = {}


def _model_of(statement: Statement, args: tuple):
    """The model a statement reads or writes (for the database router), per shape."""
    shape = _shape(args)
    model = _models.get((statement, shape)) if shape is not None else None
    if model is None:
        built = statement.build(*args)
        model = (built[0] if isinstance(built, tuple) else built).model
        if shape is not None:
            _models[(statement, shape)] = model
    return model


def _cache(using: str | None) -> dict:
    """The compiled statements of this thread's connection ``using``."""
    connection = connections[using or "default"]
    cache = connection.__dict__.get("_compiled_statements")
    if cache is None:
        cache = connection.__dict__["_compiled_statements"] = {}
    return cache


__all__ = ["Statement"]
