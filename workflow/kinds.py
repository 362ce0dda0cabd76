"""Kinds of document that share a concrete base row (``planning.Plan`` for campaign plans and
campaign support plans, ``assessments.AssessmentRecord`` for plan and program assessments):
what points at "either kind" points at the base with one foreign key, and each kind keeps its
own id. Django refuses ``bulk_create`` for such a child model; ``KindQuerySet`` does it the
way Django does for a model without parents, after writing the base rows in one statement."""

from __future__ import annotations

from django.db import models, transaction


class KindQuerySet(models.QuerySet):
    def bulk_create(self, objs, batch_size=None, **options):
        """Insert ``objs`` (rows of one kind) in bulk: the base rows they lack in one statement,
        then the kind's rows a batch per statement, reading back their ids. Conflict handling
        is not offered (no caller needs it)."""
        if options:
            raise TypeError(f"{self.model.__name__}.objects.bulk_create takes no {', '.join(sorted(options))}")
        objs = list(objs)
        if not objs:
            return objs
        opts = self.model._meta
        [(base, link)] = opts.parents.items()
        with transaction.atomic(using=self.db, savepoint=False):
            lacking = [obj for obj in objs if getattr(obj, link.attname) is None]
            rows = base._base_manager.using(self.db).bulk_create([base() for _obj in lacking])
            for obj, row in zip(lacking, rows, strict=True):
                setattr(obj, link.name, row)
            for obj in objs:
                setattr(obj, base._meta.pk.attname, getattr(obj, link.attname))
                obj._prepare_related_fields_for_save(operation_name="bulk_create")
            fields = [f for f in opts.local_concrete_fields if not f.primary_key and not f.generated]
            returned = self._batched_insert(objs, fields, batch_size)
        for obj, values in zip(objs, returned, strict=True):
            for field, value in zip(opts.db_returning_fields, values, strict=True):
                setattr(obj, field.attname, value)
            obj._state.adding, obj._state.db = False, self.db
        return objs
