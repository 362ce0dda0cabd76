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

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import F, ManyToManyField, Model, Value
from django.db.models.expressions import Window
from django.db.models.functions import JSONObject, RowNumber

_KEY = "key"
_SOURCE = "source"
_ROW = "row"
_POSITION = "position"
MAX_COLUMNS = 50


def _ordering(model, ordering, prefix: str = "") -> list[tuple[str, bool]]:
    """``model``'s ordering as (path, descending) pairs, a relation expanded into its own model's
    ordering as Django's ``order_by`` expands it."""
    expanded = []
    for item in ordering:
        if not isinstance(item, str) or item == "?":
            continue
        descending, name = item.startswith("-"), item.lstrip("-")
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


def _instance(model, db: str, row: dict):
    fields = model._meta.concrete_fields
    return model.from_db(db, [f.attname for f in fields], [f.to_python(row.get(f.attname)) for f in fields])


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
