"""The generator at scale (issue #24: ``--large 1000000``): a large batch drops the plain
secondary indexes of the generated tables for the load and builds them again, leaving the
schema exactly as the migrations made it; its documents come in chunks and follow the same
workflow as a batch generated with the indexes in place."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from benchmarks import synthetic
from benchmarks.world import world_build
from planning.models import CampaignPlan, CampaignSupportPlan
from workflow.models import HistoryEntry, Tasker

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def indexes() -> list[tuple[str, str, str]]:
    tables = [model._meta.db_table for model in synthetic.GENERATED]
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) "
                       "ORDER BY 1, 2", [tables])
        return cursor.fetchall()


def schema_changes(queries) -> tuple[list[str], list[str]]:
    """The DROP INDEX and CREATE INDEX statements on the product's tables (not on the
    generator's own temporary tables)."""
    sqls = [q["sql"] for q in queries.captured_queries if "bench_" not in q["sql"]]
    return [s for s in sqls if s.startswith("DROP INDEX")], [s for s in sqls if s.startswith("CREATE INDEX ")]


def states(model, ids) -> list[str]:
    return sorted(model.objects.filter(pk__in=ids).values_list("state", flat=True))


def test_a_large_batch_rebuilds_the_indexes_it_dropped_exactly_and_generates_the_same_workflow():
    world = world_build(log=lambda _message: None)
    schema = indexes()
    assert any(name == "tasker_open_by_organization" for _table, name, _definition in schema)

    # The same 40 document numbers twice: once with the indexes kept, once dropped and rebuilt
    # and in chunks of 7 (several chunks of each kind).
    kept = synthetic.documents_generate(world=world, count=40, first=1, rebuild_indexes=False)
    cp_mark, sp_mark = CampaignPlan.objects.count(), CampaignSupportPlan.objects.count()
    with CaptureQueriesContext(connection) as queries:
        rebuilt = synthetic.documents_generate(world=world, count=40, first=1, rebuild_indexes=True, chunk=7)
    dropped, created = schema_changes(queries)
    assert len(dropped) == len(created) >= 20  # e.g. workflow_tasker's, workflow_historyentry's
    assert not any("tasker_open_by_organization" in sql or "_pkey" in sql or "unique" in sql for sql in dropped)
    assert indexes() == schema

    assert rebuilt.documents == kept.documents == 40
    assert rebuilt.taskers > 0 and rebuilt.history > 0 and rebuilt.comments > 0
    # The phases follow the document numbers: both batches hold the same states.
    cp = list(CampaignPlan.objects.order_by("pk").values_list("pk", flat=True))
    sp = list(CampaignSupportPlan.objects.order_by("pk").values_list("pk", flat=True))
    assert states(CampaignPlan, cp[:cp_mark]) == states(CampaignPlan, cp[cp_mark:])
    assert states(CampaignSupportPlan, sp[:sp_mark]) == states(CampaignSupportPlan, sp[sp_mark:])
    # Every document has its creation in the history, and its taskers carry its title.
    assert HistoryEntry.objects.filter(action="created").count() == 80
    assert not Tasker.objects.filter(document_title="").exists()
    synthetic.foreign_keys_verify()  # every row, not only the new ones
    # A key into a reference table that points nowhere is found (as the load, without triggers).
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("UPDATE workflow_tasker SET organization_id = -1 WHERE id = (SELECT max(id) FROM workflow_tasker)")
        cursor.execute("SET session_replication_role = origin")
    with pytest.raises(RuntimeError, match="1 rows of workflow_tasker.organization_id point nowhere"):
        synthetic.foreign_keys_verify(after=dict.fromkeys(synthetic.GENERATED, 0))


def test_a_batch_under_the_threshold_keeps_the_indexes_in_place():
    world = world_build(log=lambda _message: None)
    with CaptureQueriesContext(connection) as queries:
        synthetic.documents_generate(world=world, count=5)
    assert schema_changes(queries) == ([], [])
