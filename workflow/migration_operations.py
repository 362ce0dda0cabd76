"""Migration operations the autodetector does not write: a model gaining a concrete parent.

Django's autodetector does not notice a change of a model's bases, so a migration that turns
two kinds into children of one concrete base (``planning.Plan``, ``assessments.AssessmentRecord``)
states it with ``ModelBasesAlter``: the historical models then inherit as the real ones do."""

from __future__ import annotations

from django.db.migrations.operations.base import Operation


class ModelBasesAlter(Operation):
    """Set the bases of ``name`` in the migration state (the database is already shaped by the
    operations before it: the parent table and the ``parent_link`` column)."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, name: str, bases: tuple):
        self.name, self.bases = name, tuple(bases)

    def deconstruct(self):
        return self.__class__.__qualname__, [], {"name": self.name, "bases": self.bases}

    def state_forwards(self, app_label, state):
        state.models[app_label, self.name.lower()].bases = self.bases
        state.reload_model(app_label, self.name.lower(), delay=False)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        pass

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        pass

    def describe(self) -> str:
        return f"Make {self.name} a child of {', '.join(map(str, self.bases))}"

    @property
    def migration_name_fragment(self) -> str:
        return f"{self.name.lower()}_bases"


def sql_by_vendor(postgresql: tuple[list[str], list[str]], other: tuple[list[str], list[str]]):
    """A data step written twice: PostgreSQL's statements (``UPDATE … FROM``, sequences, deferred
    constraints) and portable ones for SQLite, the development default (correlated subqueries).
    Each is a (forward, backward) pair of statement lists."""
    from django.db import migrations

    def run(which: int):
        def step(apps, schema_editor):
            statements = (postgresql if schema_editor.connection.vendor == "postgresql" else other)[which]
            for statement in statements:
                schema_editor.execute(statement)
        return step

    return migrations.RunPython(run(0), run(1))
