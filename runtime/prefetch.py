"""Many many-to-many relations of one page read in one query.

A document's page shows several lists of small related rows: its releasability countries, CUI
categories and dissemination controls, its sections' and objectives' countries, the objectives'
end states, its supporting organizations. ``prefetch_related`` reads each with a query of its
own. ``many_to_many_prefetch`` reads them all with one ``UNION ALL``: each branch selects, from
one relation's link table, the id of the row it links from, the linked row's columns as one
JSON object and its position in the linked model's ordering; the rows are then put where
``prefetch_related`` would have put them (each instance's prefetch cache), so the page, its
forms and a later ``prefetch_related_objects`` use them and read nothing again.

For relations whose linked model has plain columns (numbers, text, dates, booleans, choices)
and a default manager that filters nothing, which is what the pages use it for."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.db import connections
from django.db.models import DateTimeField, F, ManyToManyField, Model, Value
from django.db.models.expressions import Window
from django.db.models.functions import JSONObject, RowNumber
from django.utils import timezone

_KEY = "key"
_SOURCE = "source"
_ROW = "row"
_POSITION = "position"
MAX_COLUMNS = 50
# ``rows_prefetch``'s names of its own columns, beside the child model's (which has its own
# ``position``, ``key``...).
_ROWS_KEY, _ROWS_ROW, _ROWS_POSITION = "prefetched_branch", "prefetched_row", "prefetched_position"


def _ordering(model, ordering, prefix: str = "") -> list[tuple[str, bool]]:
    """``model``'s ordering as (path, descending) pairs, a relation expanded into its own model's
    ordering as Django's ``order_by`` expands it."""
    expanded = []
    for item in ordering:
        if not isinstance(item, str) or item == "?":
            continue
        descending, name = item.startswith("-"), item.lstrip("-")
        name = model._meta.pk.name if name == "pk" else name
        field = None if "__" in name else model._meta.get_field(name)
        if field is not None and field.is_relation and field.many_to_one and field.related_model._meta.ordering:
            for path, inner in _ordering(field.related_model, field.related_model._meta.ordering,
                                         f"{prefix}{name}__"):
                expanded.append((path, inner != descending))
        else:
            expanded.append((f"{prefix}{name}", descending))
    return expanded


def _branch(key: int, field: ManyToManyField, source_ids: list):
    through = field.remote_field.through
    source = through._meta.get_field(field.m2m_field_name())
    target = through._meta.get_field(field.m2m_reverse_field_name())
    model = field.related_model
    columns = {f.attname: F(f"{target.name}__{f.attname}") for f in model._meta.concrete_fields}
    if len(columns) > MAX_COLUMNS:
        raise ValueError(f"{model._meta.label} has {len(columns)} columns; many_to_many_prefetch reads at most "
                         f"{MAX_COLUMNS} (PostgreSQL's JSON_BUILD_OBJECT takes 100 arguments)")
    order = [F(f"{target.name}__{path}").desc() if descending else F(f"{target.name}__{path}").asc()
             for path, descending in _ordering(model, model._meta.ordering)]
    order.append(F(target.attname).asc())
    return (through._default_manager.filter(**{f"{source.attname}__in": source_ids}).order_by()
            .values(**{_KEY: Value(key), _SOURCE: F(source.attname), _ROW: JSONObject(**columns),
                       _POSITION: Window(RowNumber(), order_by=order)}))


def _value(field, value, db: str):
    """A JSON value as the field's own read gives it. A date-time is aware, as the backend's
    converter makes it: PostgreSQL writes the offset into the JSON, SQLite stores UTC without one."""
    value = field.to_python(value)
    if isinstance(value, datetime.datetime) and isinstance(field, DateTimeField) and settings.USE_TZ \
            and timezone.is_naive(value):
        value = timezone.make_aware(value, connections[db].timezone)
    return value


def _instance(model, db: str, row: dict):
    fields = model._meta.concrete_fields
    return model.from_db(db, [f.attname for f in fields], [_value(f, row.get(f.attname), db) for f in fields])


def many_to_many_prefetch(relations: Iterable[tuple[list[Model], str]]) -> None:
    """For each (instances of one model, name of a forward many-to-many field of that model),
    fill each instance's prefetch cache for that field, every relation in one query. A relation
    already read (in an instance's cache) is not read again."""
    wanted = []
    for instances, name in relations:
        instances = [i for i in instances if name not in getattr(i, "_prefetched_objects_cache", {})]
        if instances:
            wanted.append((instances, type(instances[0])._meta.get_field(name)))
    if not wanted:
        return
    branches = []
    for key, (instances, field) in enumerate(wanted):
        source = field.remote_field.through._meta.get_field(field.m2m_field_name())
        branches.append(_branch(key, field, list({getattr(i, source.target_field.attname) for i in instances})))
    query = branches[0].union(*branches[1:], all=True) if len(branches) > 1 else branches[0]
    linked: dict[int, dict[object, list[tuple[int, dict]]]] = defaultdict(lambda: defaultdict(list))
    for row in query:
        linked[row[_KEY]][row[_SOURCE]].append((row[_POSITION], row[_ROW]))
    for key, (instances, field) in enumerate(wanted):
        source = field.remote_field.through._meta.get_field(field.m2m_field_name())
        for instance in instances:
            rows = [_instance(field.related_model, query.db, row) for _position, row in
                    sorted(linked[key][getattr(instance, source.target_field.attname)], key=lambda r: r[0])]
            manager = getattr(instance, field.name)
            queryset = manager.get_queryset()
            queryset._result_cache = rows
            queryset._prefetch_done = True
            instance.__dict__.setdefault("_prefetched_objects_cache", {})[field.name] = queryset


def _columns(model, prefix: str, related: dict) -> JSONObject:
    """``model``'s columns (through ``prefix``) as one JSON object, and those of each row it
    selects with it (``related``: a ``select_related`` tree) as an object inside it."""
    columns = {f.attname: F(f"{prefix}{f.attname}") for f in model._meta.concrete_fields}
    for name, inner in related.items():
        field = model._meta.get_field(name)
        columns[name] = _columns(field.related_model, f"{prefix}{name}__", inner)
    if len(columns) > MAX_COLUMNS:
        raise ValueError(f"{model._meta.label} has {len(columns)} columns; rows_prefetch reads at most "
                         f"{MAX_COLUMNS} of one model (PostgreSQL's JSON_BUILD_OBJECT takes 100 arguments)")
    return JSONObject(**columns)


def _related_instance(model, db: str, row: dict | None, related: dict):
    if row is None or row.get(model._meta.pk.attname) is None:
        return None  # a nullable foreign key left empty (its LEFT JOIN's columns all null)
    instance = _instance(model, db, row)
    for name, inner in related.items():
        field = model._meta.get_field(name)
        field.set_cached_value(instance, _related_instance(field.related_model, db, row.get(name), inner))
    return instance


def rows_prefetch(instance: Model, rows: Iterable[tuple[str, object]]) -> None:
    """For each (name of a reverse foreign key of ``instance``, a queryset of those rows: its
    ``select_related`` and its annotations), fill ``instance``'s prefetch cache for that name as
    ``prefetch_related`` would, every relation in one ``UNION ALL``; each row comes with the rows
    it selects (their caches filled) and its annotations. A relation already read is not read
    again; one too wide to read so (``MAX_COLUMNS``) is left to its own read."""
    cache = getattr(instance, "_prefetched_objects_cache", {})
    wanted = [(name, queryset) for name, queryset in rows if name not in cache]
    if not wanted:
        return
    branches, readable = [], []
    for name, queryset in wanted:
        model = queryset.model
        related = queryset.query.select_related if isinstance(queryset.query.select_related, dict) else {}
        annotations = dict(queryset.query.annotations)
        try:
            columns = _columns(model, "", related)
        except ValueError:
            continue  # too wide for one JSON object: left to its own read
        key = len(readable)
        readable.append((name, queryset))
        row = JSONObject(own=columns, **{name: F(name) for name in annotations}) if annotations else columns
        order = [F(path).desc() if descending else F(path).asc()
                 for path, descending in _ordering(model, queryset.query.order_by or model._meta.ordering)]
        order.append(F(model._meta.pk.attname).asc())
        branches.append(queryset.order_by().values(**{
            _ROWS_KEY: Value(key), _ROWS_ROW: row, _ROWS_POSITION: Window(RowNumber(), order_by=order)}))
    if not branches:
        return
    query = branches[0].union(*branches[1:], all=True) if len(branches) > 1 else branches[0]
    read: dict[int, list[tuple[int, dict]]] = defaultdict(list)
    for found in query:
        read[found[_ROWS_KEY]].append((found[_ROWS_POSITION], found[_ROWS_ROW]))
    for key, (name, queryset) in enumerate(readable):
        model = queryset.model
        related = queryset.query.select_related if isinstance(queryset.query.select_related, dict) else {}
        annotations = queryset.query.annotations
        instances = []
        for _position, row in sorted(read[key], key=lambda r: r[0]):
            own = row["own"] if annotations else row
            child = _related_instance(model, query.db, own, related)
            for annotation, expression in annotations.items():
                setattr(child, annotation, _value(expression.output_field, row.get(annotation), query.db))
            instances.append(child)
        queryset = queryset.all()
        queryset._result_cache = instances
        queryset._prefetch_done = True
        instance.__dict__.setdefault("_prefetched_objects_cache", {})[name] = queryset
