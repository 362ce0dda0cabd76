# ruff: noqa: S608 -- every SQL string here is built from the generator's own constants and model
# metadata, never from input; values go in as query parameters.
"""Synthetic documents in bulk, with set-based SQL (INSERT ... SELECT over generate_series).

Every row goes into the product's own tables, so it meets their constraints (foreign keys,
checks, uniques); columns the generator does not set take the model field's default, so a field
added later does not break it. The data follows the workflow: a plan's taskers, comments,
history and reminders are those its state implies (a plan in review has answered coordination
taskers and open review taskers; an approved plan an answered approval tasker; ...).

Phases (the plan's state, with review split in two) and their shares of the documents:
draft 10 %, coordination 15 %, review (answers pending) 8 %, review (ready to approve) 7 %,
approved 10 %, superseded 35 %, returned 10 %, withdrawn 5 %: most documents of a mature
database are earlier versions, and about one in ten is the approved version of its plan (so the
default 100,000 documents hold about 10,000 approved plans for the launch).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db import connection, models, transaction
from django.db.models import NOT_PROVIDED
from psycopg.types.json import Jsonb

from organizations.models import Role
from planning.models import CampaignPlan, CampaignSupportPlan, Objective, PartnerConsideration, Plan
from reminders.models import PlanningMark, Reminder, ReminderSchedule, ReminderStep
from workflow.models import Comment, HistoryEntry, Tasker

from .world import World

# (phase, share in %), cumulative in this order.
PHASES = [("draft", 10), ("coordination", 15), ("review_pending", 8), ("review_ready", 7), ("approved", 10),
          ("superseded", 35), ("returned", 10), ("withdrawn", 5)]
PLAN_STATE = {"review_pending": "review", "review_ready": "review"}
CAMPAIGN_PLAN_SHARE = 60  # % of documents; the rest are campaign support plans


def h(expr: str, salt: int, mod: int) -> str:
    """A deterministic pseudo-random integer in [0, mod) from ``expr`` (SQL)."""
    return f"((hashint8(({expr})::bigint * 1000003 + {salt}) & 2147483647) %% {mod})"


def _phase_case(bucket: str) -> str:
    parts, upper = [], 0
    for phase, share in PHASES:
        upper += share
        parts.append(f"WHEN {bucket} < {upper} THEN '{phase}'")
    return "CASE " + " ".join(parts) + " END"


def insert_select(model: type[models.Model], values: dict[str, str], source: str, params: dict | None = None) -> int:
    """INSERT INTO <model's table> SELECT ... FROM ``source``: ``values`` maps field names to
    SQL expressions; every other concrete column takes the field's default."""
    params = dict(params or {})
    columns, expressions = [], []
    for f in model._meta.local_concrete_fields:
        if f.primary_key and f.name not in values:
            continue
        columns.append(connection.ops.quote_name(f.column))
        if f.name in values:
            expressions.append(values[f.name])
        elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            expressions.append("now()")
        elif f.has_default() or not f.null:
            if not f.has_default() and f.get_default() is None:
                raise RuntimeError(f"{model.__name__}.{f.name} has no default: the generator must set it.")
            key = f"default_{f.column}"
            value = f.get_db_prep_save(f.get_default(), connection)
            params[key] = Jsonb(value) if isinstance(f, models.JSONField) and isinstance(value, (dict, list)) else value
            expressions.append(f"%({key})s")
        else:
            expressions.append("NULL")
    sql = f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(expressions)} FROM {source}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


@dataclass
class Batch:
    documents: int = 0
    taskers: int = 0
    comments: int = 0
    history: int = 0
    reminders: int = 0
    seconds: float = 0.0

    def add(self, other: Batch) -> None:
        for name in ("documents", "taskers", "comments", "history", "reminders", "seconds"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _max_id(model) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {model._meta.db_table}")  # noqa: S608 (a table name)
        return cursor.fetchone()[0]


# The command that owns the approval pool's plans: its approver approves them (Encl. 2, 10.a).
POOL_OWNER = "EUCOM"


# Documents per chunk: each chunk is its own set of statements (its own ``bench_doc``), so what
# one statement joins, sorts or aggregates stays the same size whatever the scale.
CHUNK = 100_000
# A batch that at least doubles the documents drops the secondary indexes of the generated tables
# and builds them again at the end (one sorted build each, in parallel workers) instead of
# maintaining them row by row; below that (and under this many documents) they stay.
INDEX_REBUILD_MIN = 10_000


def documents_generate(*, world: World, count: int, phase: str | None = None, first: int = 1,
                       campaign_plans_only: bool = False, owner: str | None = None,
                       chunk: int = CHUNK, rebuild_indexes: bool | None = None) -> Batch:
    """Add ``count`` documents (campaign plans and support plans) with their taskers, comments,
    history and reminders, in one transaction, ``chunk`` documents at a time. ``phase`` forces
    one phase for all of them (e.g. ``review_ready`` for the transition benchmark's pool).
    ``first`` numbers them. ``rebuild_indexes`` (default: when the batch is large and at least
    doubles the documents) drops the non-unique indexes of the generated tables for the load
    and recreates them exactly as they were (checked against ``pg_indexes``)."""
    if count <= 0:
        return Batch()
    started = time.perf_counter()
    batch = Batch()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SET LOCAL synchronous_commit = off")
        triggers_off = _foreign_key_triggers_off(cursor)
        pk_marks = {m: _max_pk(m) for m in GENERATED}
        if rebuild_indexes is None:
            existing = pk_marks[CampaignPlan] + pk_marks[CampaignSupportPlan]
            rebuild_indexes = count >= max(INDEX_REBUILD_MIN, existing)
        before = _indexes(cursor) if rebuild_indexes else None
        if rebuild_indexes:
            secondary = _secondary_indexes(cursor)
            for name, _definition in secondary:
                cursor.execute(f"DROP INDEX {name}")
        n_plans = count if campaign_plans_only or count < 2 else count * CAMPAIGN_PLAN_SHARE // 100
        # The campaign plans first, then the support plans, each numbered on from ``first``.
        parts = [(CampaignPlan, n_plans, first), (CampaignSupportPlan, count - n_plans, first + n_plans)]
        for model, n, offset in parts:
            for start in range(0, n, chunk):
                batch.add(_chunk_generate(world, model, min(chunk, n - start), offset + start, phase, owner))
        if rebuild_indexes:
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            for _name, definition in secondary:
                cursor.execute(definition)
            after = _indexes(cursor)
            if after != before:
                raise RuntimeError(f"the indexes rebuilt differ from the schema's: {sorted(set(before) ^ set(after))}")
        if triggers_off:
            cursor.execute("SET LOCAL session_replication_role = origin")
            foreign_keys_verify(after=pk_marks)
    _statistics_refresh()
    batch.seconds = time.perf_counter() - started
    return batch


def _chunk_generate(world: World, model, n: int, first: int, phase: str | None, owner: str | None) -> Batch:
    """``n`` documents of ``model`` numbered from ``first``, then their contents, taskers,
    comments, history and reminders (set-based, over this chunk's documents only)."""
    batch = Batch()
    with connection.cursor() as cursor:
        marks = {m: _max_id(m) for m in (CampaignPlan, CampaignSupportPlan, Tasker, Comment, Objective)}
        batch.documents = _documents_insert(world, model, n, first, phase, owner)
        cursor.execute("DROP TABLE IF EXISTS bench_doc")
        cursor.execute(f"""
            CREATE TEMP TABLE bench_doc AS
            SELECT d.id, d.plan_ptr_id AS plan_key, %(ct_cp)s::int AS ct, 'cp' AS kind, d.owner_id, d.created_at,
                   d.title, {_phase_from_state('d')} AS phase
              FROM planning_campaignplan d WHERE d.id > %(cp)s
            UNION ALL
            SELECT d.id, d.plan_ptr_id, %(ct_sp)s::int, 'sp', d.owner_id, d.created_at, d.title,
                   {_phase_from_state('d')}
              FROM planning_campaignsupportplan d WHERE d.id > %(sp)s""",
                       {"ct_cp": world.content_type[CampaignPlan], "ct_sp": world.content_type[CampaignSupportPlan],
                        "cp": marks[CampaignPlan], "sp": marks[CampaignSupportPlan], "forced": phase or ""})
        cursor.execute("CREATE INDEX ON bench_doc (id, ct)")
        cursor.execute("ANALYZE bench_doc")
        _contents_insert(world, marks)
        batch.taskers = _taskers_insert(world)
        batch.comments = _comments_insert(world, marks[Tasker])
        batch.history = _history_insert(world, marks[Tasker], marks[Comment])
        batch.reminders = _reminders_insert(world, marks[Tasker])
        cursor.execute("DROP TABLE bench_doc")
    return batch


def _statistics_refresh() -> None:
    """The planner's statistics of the generated tables; outside a transaction also their
    visibility map (VACUUM), so that index-only scans need not visit the fresh heap and
    autovacuum does not start on them in the middle of the measurements."""
    tables = [m._meta.db_table for m in GENERATED]
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"{command} {table}")


def _max_pk(model) -> int:
    pk = model._meta.pk
    if pk.is_relation:  # a child table's key is its parent's: use its own id if it has one
        return _max_id(model)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(max({pk.column}), 0) FROM {model._meta.db_table}")
        return cursor.fetchone()[0]


def _generated_tables() -> list[str]:
    return [m._meta.db_table for m in GENERATED]


def _indexes(cursor) -> list[tuple[str, str, str]]:
    """Every index of the generated tables as ``pg_indexes`` shows it (table, name, definition)."""
    cursor.execute("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                   "AND tablename = ANY(%s) ORDER BY tablename, indexname", [_generated_tables()])
    return cursor.fetchall()


def _secondary_indexes(cursor) -> list[tuple[str, str]]:
    """The plain non-unique indexes of the generated tables that back no constraint: (name, its
    CREATE INDEX statement). Primary keys, unique indexes, constraints' indexes and partial or
    expression indexes (whose definition PostgreSQL prints back in another spelling) stay."""
    cursor.execute("""
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
          FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
         WHERE t.relnamespace = current_schema()::regnamespace AND t.relname = ANY(%s)
           AND NOT i.indisunique AND NOT i.indisprimary AND i.indpred IS NULL AND i.indexprs IS NULL
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
         ORDER BY 1""", [_generated_tables()])
    return cursor.fetchall()


GENERATED = (Plan, CampaignPlan, CampaignSupportPlan, PartnerConsideration, Objective, Tasker, Comment, HistoryEntry,
             Reminder, ReminderSchedule, Objective.end_states.through, CampaignPlan.supporting_organizations.through,
             CampaignSupportPlan.supported_plans.through)


def _foreign_key_triggers_off(cursor) -> bool:
    """PostgreSQL checks foreign keys with one trigger call per row: for millions of rows the
    generator switches them off for its transaction (superusers only) and checks every
    foreign key of the generated tables afterwards in one anti-join each
    (``foreign_keys_verify``). Unique and check constraints stay on."""
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    if not cursor.fetchone()[0]:
        return False
    cursor.execute("SET LOCAL session_replication_role = replica")
    return True


def foreign_keys_verify(after: dict | None = None) -> None:
    """Every foreign key of the generated tables points at an existing row (set-based); with
    ``after`` (model -> the key its table had reached), only the rows added since. Keys into
    the reference tables (people, organizations, content types, ...: small) are checked in one
    scan of each table (a hashed ``NOT IN`` each); keys into generated tables by an anti-join."""
    generated = {model._meta.db_table for model in GENERATED}
    with connection.cursor() as cursor:
        for model in GENERATED:
            table = model._meta.db_table
            since = ""
            if after is not None:
                key = model._meta.pk.column if not model._meta.pk.is_relation else "id"
                since = f" AND c.{key} > {int(after[model])}"
            keys = [f for f in model._meta.concrete_fields if f.is_relation and f.db_constraint]
            small = [f for f in keys if f.target_field.model._meta.db_table not in generated]
            if small:
                cursor.execute("SELECT " + ", ".join(
                    f"count(*) FILTER (WHERE c.{f.column} NOT IN (SELECT {f.target_field.column} "
                    f"FROM {f.target_field.model._meta.db_table}))" for f in small)
                    + f" FROM {table} c WHERE true{since}")
                for f, missing in zip(small, cursor.fetchone(), strict=True):
                    if missing:
                        raise RuntimeError(f"{missing} rows of {table}.{f.column} point nowhere")
            for f in keys:
                if f in small:
                    continue
                target = f.target_field
                cursor.execute(
                    f"SELECT count(*) FROM {table} c LEFT JOIN {target.model._meta.db_table} p "
                    f"ON p.{target.column} = c.{f.column} WHERE c.{f.column} IS NOT NULL AND p.{target.column} IS NULL"
                    + since)
                missing = cursor.fetchone()[0]
                if missing:
                    raise RuntimeError(f"{missing} rows of {table}.{f.column} point nowhere")


def _phase_from_state(alias: str) -> str:
    """The phase of a document of this batch: its state, with review split into answers
    pending and ready to approve (about half each, unless the batch forces a phase)."""
    return (f"CASE WHEN {alias}.state = 'review' THEN "
            f"CASE WHEN %(forced)s = 'review_ready' OR {h(alias + '.id', 9, 15)} < 7 THEN 'review_ready' "
            f"ELSE 'review_pending' END ELSE {alias}.state END")


def _kind_data(world: World, model) -> tuple[list[int], dict[str, str]]:
    """What the generator writes for each kind of plan: its owners and its own columns."""
    return {
        CampaignPlan: (world.commands, {
            "kind": "CASE WHEN s.owner_id = ANY(%(functional)s) THEN 'functional' ELSE 'theater' END"}),
        CampaignSupportPlan: (world.components, {}),
    }[model]


def _documents_insert(world: World, model, n: int, first: int, phase: str | None, owner: str | None = None) -> int:
    owners, own_columns = _kind_data(world, model)
    if owner is not None:  # every plan of the batch owned by one organization (the approval pool's)
        owners = [world.org_ids[owner]]
    staff = _staff_table(world)
    phase_sql = f"'{phase}'" if phase else _phase_case(h("g", 1, 100))
    state_sql = "CASE s.phase WHEN 'review_pending' THEN 'review' WHEN 'review_ready' THEN 'review' ELSE s.phase END"
    plan_key = model._meta.get_field("plan_ptr").target_field
    values = {
        # Each plan is a ``Plan`` too: its key drawn here, its row written after (the foreign
        # key is checked at commit).
        "plan_ptr": f"nextval(pg_get_serial_sequence('{Plan._meta.db_table}', '{plan_key.column}'))",
        "title": (f"s.acronym || ' {model._meta.verbose_name} ' "
                  "|| lpad(s.g::text, 6, '0') || ' (synthetic)'"),
        "series": "gen_random_uuid()",
        "version": "1",
        "owner": "s.owner_id",
        "gef": "%(gef)s",
        # Each plan a period of its own (a day): a command has one theater campaign plan per
        # period (DoDD 5132.03, Encl. 2, 10.a), and the pool's plans are all approved.
        "period_start": "date '2027-01-01' + s.g::int",
        "period_end": "date '2027-01-02' + s.g::int",
        "summary": "'Ends, ways and means for security cooperation with partners in the region (synthetic data).'",
        "complementary_usg_activities": "'Department of State security assistance and USAID programs considered.'",
        "resources_needed": "'Title 10 security cooperation funding; exercise participation.'",
        "risk_if_not_resourced": "'Partner capability gaps persist; access at risk.'",
        "state": state_sql,
        "route": "CASE WHEN s.phase = 'draft' THEN NULL ELSE %(route)s END",
        "route_snapshot": "CASE WHEN s.phase = 'draft' THEN '{}'::jsonb ELSE %(snapshot)s END",
        "return_reason": "CASE WHEN s.phase = 'returned' THEN 'Deconflict objective 2 with the functional plan.' ELSE '' END",
        "created_by": "s.ao_id",
        "created_at": "s.created_at",
        "updated_at": "s.created_at + interval '3 days' * (1 + s.g %% 40)",
        "submitted_at": "CASE WHEN s.phase = 'draft' THEN NULL ELSE s.created_at + interval '1 day' END",
        "approved_at": ("CASE WHEN s.phase IN ('approved', 'superseded') THEN s.created_at + interval '40 days' "
                        "ELSE NULL END"),
    }
    values.update(own_columns)
    source = f"""(
        SELECT g, p.phase, o.owner_id, st.acronym, st.ao_id,
               now() - interval '1 day' * CASE WHEN p.phase IN ('draft', 'coordination', 'review_pending',
                                                                 'review_ready') THEN 5 + g %% 60
                                               ELSE 90 + {h('g', 2, 1500)} END AS created_at
          FROM generate_series(%(first)s::bigint, %(last)s::bigint) g
          CROSS JOIN LATERAL (SELECT {phase_sql} AS phase) p
          CROSS JOIN LATERAL (SELECT (%(owners)s::bigint[])[1 + {h('g', 3, len(owners))}] AS owner_id) o
          JOIN {staff} st ON st.org_id = o.owner_id
    ) s"""
    params = {"gef": world.gef_id, "first": first, "last": first + n - 1, "owners": owners,
              "functional": world.functional_commands,
              "route": world.route[model], "snapshot": Jsonb(world.snapshot[model])}
    mark = _max_id(model)
    inserted = insert_select(model, values, source, params)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {Plan._meta.db_table} ({plan_key.column}) "  # noqa: S608 (table names)
                       f"SELECT plan_ptr_id FROM {model._meta.db_table} WHERE id > %s", [mark])
    return inserted


def _staff_table(world: World) -> str:
    """A temporary table (org id, acronym, action officer, reviewer, approver) for joins."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('pg_temp.bench_staff')")
        if cursor.fetchone()[0] is None:
            cursor.execute("CREATE TEMP TABLE bench_staff (org_id bigint PRIMARY KEY, acronym text, ao_id bigint, "
                           "reviewer_id bigint, approver_id bigint)")
            rows = [(org_id, acronym, world.user_id(acronym, Role.ACTION_OFFICER),
                     world.user_id(acronym, Role.REVIEWER), world.user_id(acronym, Role.APPROVER))
                    for acronym, org_id in world.org_ids.items()]
            with cursor.copy("COPY bench_staff FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    return "bench_staff"


def _contents_insert(world: World, marks: dict) -> None:
    """Partner countries (4.b), objectives traced to GEF end states, supporting organizations of
    campaign plans and the campaign plans a support plan supports."""
    with connection.cursor() as cursor:
        insert_select(PartnerConsideration, {
            "plan": "d.plan_key", "country": f"(%(countries)s::bigint[])[1 + (d.id * 5 + k * 11) %% {len(world.countries)}]",
            "can_support": "'Yes, with training'", "can_safeguard": "'Yes'", "can_sustain": "'With U.S. help'",
            "support": "'partly'", "safeguard": "'yes'", "sustain": "'partly'",
            "overriding_considerations": "''",
        }, "bench_doc d CROSS JOIN generate_series(1, 1 + d.id %% 3) k", {"countries": world.countries})
        insert_select(Objective, {
            "plan": "d.plan_key", "code": "'OBJ-' || k", "title": "'Interoperable air and missile defense'",
            "description": "'Partner forces operate with U.S. forces in coalition air defense.'",
            "measures_of_effectiveness": "'Partner air defense unit certified.'", "functions": "'[]'::jsonb",
        }, "bench_doc d CROSS JOIN generate_series(1, 1 + d.id %% 2) k")
        cursor.execute(f"""
            INSERT INTO {Objective.end_states.through._meta.db_table} (objective_id, gefendstate_id)
            SELECT o.id, (%(end_states)s::bigint[])[1 + o.id %% {len(world.end_states)}]
              FROM planning_objective o WHERE o.id > %(mark)s""",
                       {"end_states": world.end_states, "mark": marks[Objective]})
        supporting = CampaignPlan.supporting_organizations.through._meta.db_table
        cursor.execute(f"""
            INSERT INTO {supporting} (campaignplan_id, organization_id)
            SELECT d.id, (%(components)s::bigint[])[1 + (d.id * 7 + k * 3) %% {len(world.components)}]
              FROM bench_doc d CROSS JOIN generate_series(1, 5 + d.id %% 6) k WHERE d.kind = 'cp'""",
                       {"components": world.components})
        supported = CampaignSupportPlan.supported_plans.through._meta.db_table
        cursor.execute(f"""
            INSERT INTO {supported} (campaignsupportplan_id, campaignplan_id)
            SELECT DISTINCT d.id, cp.id
              FROM bench_doc d CROSS JOIN generate_series(1, 2) k
              JOIN LATERAL (SELECT id FROM planning_campaignplan
                             WHERE id >= (SELECT min(id) FROM planning_campaignplan)
                                       + (d.id * 13 + k * 101) %% greatest(1, (SELECT max(id) - min(id) + 1
                                                                               FROM planning_campaignplan))
                             ORDER BY id LIMIT 1) cp ON true
             WHERE d.kind = 'sp'""", {})


# Tasker slots. Campaign plan: 1-10 supporting organizations (5-10 of them), 11 USD(A&S) (holding
# USD(AT&L)'s duties since 2018), 12 J5 and 13 USD(P) review, 14 the owning command's approval
# (Encl. 2, 10.a). Support plan: 1 USD(P), 2-7 supported commands (3-6 of them), 12 J5 review, 14
# the owner's approval.
def _tasker_source(world: World) -> str:
    o = world.org_ids
    return f"""(
      SELECT d.*, s.slot,
             CASE WHEN s.slot <= 11 THEN 'coordination' WHEN s.slot <= 13 THEN 'review' ELSE 'approval' END AS step,
             CASE
               WHEN d.kind = 'cp' AND s.slot <= 10
                 THEN (%(components)s::bigint[])[1 + (d.id * 7 + s.slot * 3) %% {len(world.components)}]
               WHEN d.kind = 'cp' AND s.slot = 11 THEN {o['USD(A&S)']}
               WHEN s.slot = 12 THEN {o['J5']}
               WHEN d.kind = 'cp' AND s.slot = 13 THEN {o['USD(P)']}
               WHEN d.kind = 'cp' THEN d.owner_id
               WHEN s.slot = 1 THEN {o['USD(P)']}
               WHEN s.slot <= 7 THEN (%(commands)s::bigint[])[1 + (d.id * 5 + s.slot * 2) %% {len(world.commands)}]
               ELSE d.owner_id
             END AS organization_id,
             {h('d.id * 16 + s.slot', 7, 10)} AS roll
        FROM bench_doc d CROSS JOIN generate_series(1, 14) s(slot)
       WHERE d.phase <> 'draft'
         AND (  (d.kind = 'cp' AND (s.slot <= 5 + d.id %% 6 OR s.slot = 11))
             OR (d.kind = 'sp' AND s.slot <= 4 + d.id %% 4)
             OR (s.slot IN (12, 13) AND (d.kind = 'cp' OR s.slot = 12)
                 AND d.phase IN ('review_pending', 'review_ready', 'approved', 'superseded', 'returned'))
             OR (s.slot = 14 AND d.phase IN ('review_ready', 'approved', 'superseded')))
    ) t"""


def _tasker_state() -> str:
    return """CASE
      WHEN t.step = 'coordination' AND t.phase = 'coordination' THEN
        CASE WHEN t.roll < 4 THEN 'open' WHEN t.roll < 6 THEN 'acknowledged' ELSE 'answered' END
      WHEN t.phase = 'withdrawn' THEN 'cancelled'
      WHEN t.step = 'review' AND t.phase = 'review_pending' THEN CASE WHEN t.slot = 12 THEN 'answered' ELSE 'open' END
      WHEN t.step = 'review' AND t.phase = 'returned' THEN CASE WHEN t.slot = 12 THEN 'answered' ELSE 'cancelled' END
      WHEN t.step = 'approval' AND t.phase = 'review_ready' THEN 'open'
      ELSE 'answered' END"""


def _taskers_insert(world: World) -> int:
    state = _tasker_state()
    response = f"""CASE WHEN ({state}) <> 'answered' THEN ''
      WHEN t.step = 'approval' THEN 'approved'
      WHEN t.step = 'review' THEN CASE WHEN t.roll < 7 THEN 'concur' ELSE 'concur_with_comment' END
      WHEN t.roll < 6 THEN 'concur' WHEN t.roll < 9 THEN 'concur_with_comment' ELSE 'nonconcur' END"""
    is_open = f"({state}) IN ('open', 'acknowledged')"
    issued = ("t.created_at + interval '1 day' * CASE t.step WHEN 'coordination' THEN 1 WHEN 'review' THEN 20 "
              "ELSE 35 END")
    return insert_select(Tasker, {
        "content_type": "t.ct", "object_id": "t.id", "step": "t.step", "organization": "t.organization_id",
        "state": state, "round": "1",
        "suspense": (f"CASE WHEN {is_open} THEN current_date + {h('t.id * 16 + t.slot', 8, 25)}::int - 5 "
                     f"ELSE ({issued})::date + 14 END"),
        "response": response,
        "rationale": f"CASE WHEN ({response}) = 'nonconcur' THEN 'The objective conflicts with our posture.' ELSE '' END",
        "answered_by": f"CASE WHEN ({state}) = 'answered' THEN st.reviewer_id END",
        "answered_at": f"CASE WHEN ({state}) = 'answered' THEN {issued} + interval '6 days' END",
        "acknowledged_by": f"CASE WHEN ({state}) = 'acknowledged' OR (({state}) = 'answered' AND t.roll %% 2 = 0) "
                           "THEN st.reviewer_id END",
        "acknowledged_at": f"CASE WHEN ({state}) = 'acknowledged' OR (({state}) = 'answered' AND t.roll %% 2 = 0) "
                           f"THEN {issued} + interval '2 days' END",
        "closed_reason": f"CASE WHEN ({state}) = 'cancelled' THEN 'Closed with the workflow step' ELSE '' END",
        "added_reason": "CASE WHEN t.slot <= 10 AND t.kind = 'cp' THEN 'supporting organizations' "
                        "ELSE 'named by the route' END",
        "document_title": "t.title",
        "created_at": issued,
    }, f"""{_tasker_source(world)}
        JOIN bench_staff st ON st.org_id = t.organization_id""",
        {"components": world.components, "commands": world.commands})


def _comments_insert(world: World, tasker_mark: int) -> int:
    """The comment matrix: concur with comment gives 1-3 comments, non-concur a critical one and
    up to one more; adjudicated (accepted) once the plan left coordination."""
    return insert_select(Comment, {
        "content_type": "t.content_type_id", "object_id": "t.object_id", "tasker": "t.id",
        "organization": "t.organization_id", "author": "st.reviewer_id",
        "category": ("CASE WHEN t.response = 'nonconcur' AND k = 1 THEN 'critical' "
                     "WHEN (t.id + k) %% 2 = 0 THEN 'substantive' ELSE 'administrative' END"),
        "section": "'3.' || chr(96 + k::int)",
        "text": "'Clarify the partner capability milestone and its measure of effectiveness.'",
        "proposed_change": "'Add a dated milestone for initial operational capability.'",
        "decision": "CASE WHEN d.phase = 'coordination' THEN '' ELSE 'accepted' END",
        "adjudicated_by": "CASE WHEN d.phase = 'coordination' THEN NULL ELSE ow.ao_id END",
        "adjudicated_at": "CASE WHEN d.phase = 'coordination' THEN NULL ELSE t.answered_at + interval '2 days' END",
        "created_at": "t.answered_at",
    }, f"""workflow_tasker t
        JOIN bench_doc d ON d.id = t.object_id AND d.ct = t.content_type_id
        JOIN bench_staff st ON st.org_id = t.organization_id
        JOIN bench_staff ow ON ow.org_id = d.owner_id
        CROSS JOIN LATERAL generate_series(1, CASE t.response WHEN 'concur_with_comment' THEN 1 + t.id %% 3
                                                              WHEN 'nonconcur' THEN 2 + t.id %% 2 ELSE 0 END) k
       WHERE t.id > {int(tasker_mark)}""")


# The transitions each phase went through: (action, from, to, description, days after creation).
TRANSITIONS = {
    "coordination": [("submit", "draft", "coordination", "Submit for coordination", 1)],
    "review_pending": [("submit", "draft", "coordination", "Submit for coordination", 1),
                       ("send_to_review", "coordination", "review", "Send to review", 20)],
    "approved": [("approve", "review", "approved", "Approve", 40)],
    "superseded": [("approve", "review", "approved", "Approve", 40),
                   ("supersede", "approved", "superseded", "Supersede", 400)],
    "returned": [("return_for_rework", "review", "returned", "Return for rework", 30)],
    "withdrawn": [("withdraw", "coordination", "withdrawn", "Withdraw", 10)],
}
TRANSITIONS["review_ready"] = TRANSITIONS["review_pending"]
for _later in ("approved", "superseded", "returned"):
    TRANSITIONS[_later] = TRANSITIONS["review_pending"] + TRANSITIONS[_later]
TRANSITIONS["withdrawn"] = TRANSITIONS["coordination"] + TRANSITIONS["withdrawn"]


def _history_insert(world: World, tasker_mark: int, comment_mark: int) -> int:
    rows = [(phase, action, src, dst, description, days)
            for phase, steps in TRANSITIONS.items() for action, src, dst, description, days in steps]
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_transition")
        cursor.execute("CREATE TEMP TABLE bench_transition (phase text, action text, from_state text, "
                       "to_state text, description text, days int)")
        with cursor.copy("COPY bench_transition FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    total = insert_select(HistoryEntry, {
        "content_type": "d.ct", "object_id": "d.id", "at": "d.created_at", "action": "'created'",
        "description": "'Draft created (version 1)'", "to_state": "'draft'", "actor": "st.ao_id",
        "acting_for": "d.owner_id",
    }, "bench_doc d JOIN bench_staff st ON st.org_id = d.owner_id")
    total += insert_select(HistoryEntry, {
        "content_type": "d.ct", "object_id": "d.id", "at": "d.created_at + interval '1 day' * x.days",
        "action": "x.action", "description": "x.description", "from_state": "x.from_state",
        "to_state": "x.to_state",
        "actor": ("CASE WHEN x.action IN ('approve', 'return_for_rework') THEN ap.approver_id "
                  "WHEN x.action = 'supersede' THEN NULL ELSE st.ao_id END"),
        "acting_for": ("CASE WHEN x.action IN ('approve', 'return_for_rework') THEN ap.org_id "
                       "WHEN x.action = 'supersede' THEN NULL ELSE d.owner_id END"),
    }, """bench_doc d JOIN bench_transition x ON x.phase = d.phase
          JOIN bench_staff st ON st.org_id = d.owner_id
          JOIN bench_staff ap ON ap.org_id = d.owner_id""", {})
    # Taskers issued (one entry per step and document), acknowledged and answered.
    total += insert_select(HistoryEntry, {
        "content_type": "t.content_type_id", "object_id": "t.object_id", "at": "min(t.created_at)",
        "action": "t.step || '_taskers_issued'",
        "description": ("initcap(t.step) || ' taskers issued to ' || string_agg(st.acronym, ', ') "
                        "|| ', suspense ' || to_char(min(t.suspense), 'DD Mon YYYY')"),
        "actor": "min(ow.ao_id)", "acting_for": "min(d.owner_id)",
    }, f"""workflow_tasker t JOIN bench_staff st ON st.org_id = t.organization_id
          JOIN bench_doc d ON d.id = t.object_id AND d.ct = t.content_type_id
          JOIN bench_staff ow ON ow.org_id = d.owner_id
         WHERE t.id > {int(tasker_mark)}
         GROUP BY t.content_type_id, t.object_id, t.step""")
    total += insert_select(HistoryEntry, {
        "content_type": "t.content_type_id", "object_id": "t.object_id", "at": "t.acknowledged_at",
        "action": "'tasker_acknowledged'",
        "description": "st.acronym || ' acknowledged the ' || t.step || ' tasker'",
        "actor": "t.acknowledged_by_id", "acting_for": "t.organization_id",
    }, f"workflow_tasker t JOIN bench_staff st ON st.org_id = t.organization_id "
       f"WHERE t.id > {int(tasker_mark)} AND t.acknowledged_at IS NOT NULL")
    total += insert_select(HistoryEntry, {
        "content_type": "t.content_type_id", "object_id": "t.object_id", "at": "t.answered_at",
        "action": "'tasker_answered'",
        "description": "st.acronym || ' answered ' || replace(t.response, '_', ' ')",
        "actor": "t.answered_by_id", "acting_for": "t.organization_id", "comment": "t.rationale",
        "data": "jsonb_build_object('step', t.step, 'response', t.response, 'previous', '')",
    }, f"workflow_tasker t JOIN bench_staff st ON st.org_id = t.organization_id "
       f"WHERE t.id > {int(tasker_mark)} AND t.state = 'answered' AND t.step <> 'approval'")
    total += insert_select(HistoryEntry, {
        "content_type": "c.content_type_id", "object_id": "c.object_id", "at": "c.adjudicated_at",
        "action": "'comment_adjudicated'",
        "description": "initcap(c.category) || ' comment from ' || st.acronym || ' accepted'",
        "actor": "c.adjudicated_by_id", "data": "jsonb_build_object('comment', c.id, 'decision', c.decision)",
    }, f"workflow_comment c JOIN bench_staff st ON st.org_id = c.organization_id "
       f"WHERE c.id > {int(comment_mark)} AND c.decision <> ''")
    # The generated past was told when it happened: the raisers of notices start after it.
    PlanningMark.objects.update_or_create(name="history", defaults={"last_id": _max_id(HistoryEntry)})
    return total


def _reminders_insert(world: World, tasker_mark: int) -> int:
    """Every tasker's reminders were planned (a schedule row each, and the high-water mark past
    them); open taskers have their three reminders to the organization's coordinator, sent
    when due, else scheduled."""
    steps = list(ReminderStep.objects.filter(kind="reminder", is_active=True, policy__is_active=True,
                                             policy__content_type__isnull=True, policy__workflow_kind="")
                 .values_list("pk", "offset_working_days"))
    insert_select(ReminderSchedule, {"tasker": "t.id", "suspense": "t.suspense", "planned_at": "t.created_at"},
                  f"workflow_tasker t WHERE t.id > {int(tasker_mark)}")
    due = "((t.suspense + s.offset_days)::timestamp + interval '7 hours')::timestamptz"
    count = insert_select(Reminder, {
        "tasker": "t.id", "step": "s.step_id", "recipient": "st.reviewer_id", "due_at": due,
        "status": f"CASE WHEN {due} <= now() THEN 'sent' ELSE 'scheduled' END",
        "attempts": f"CASE WHEN {due} <= now() THEN 1 ELSE 0 END",
        "sent_at": f"CASE WHEN {due} <= now() THEN {due} + interval '1 minute' END",
        "created_at": "t.created_at",
    }, f"""workflow_tasker t JOIN bench_staff st ON st.org_id = t.organization_id
          CROSS JOIN (SELECT unnest(%(ids)s::bigint[]) AS step_id, unnest(%(offsets)s::int[]) AS offset_days) s
         WHERE t.id > {int(tasker_mark)} AND t.state IN ('open', 'acknowledged')""",
        {"ids": [pk for pk, _ in steps], "offsets": [offset for _, offset in steps]})
    PlanningMark.objects.update_or_create(name="taskers", defaults={"last_id": _max_id(Tasker)})
    return count


def reminders_due_set(count: int) -> int:
    """Exactly ``count`` reminders due and not yet claimed (the sweep's work), whatever the
    scale: earlier ones go back to sent, then ``count`` sent ones are put back on the schedule."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE reminders_reminder SET status = 'sent', sent_at = due_at + interval '1 minute' "
                       "WHERE status = 'scheduled' AND due_at <= now()")
        cursor.execute("""UPDATE reminders_reminder SET status = 'scheduled', sent_at = NULL
                           WHERE id IN (SELECT id FROM reminders_reminder WHERE status = 'sent'
                                         ORDER BY due_at DESC, id LIMIT %s)""", [count])
        return cursor.rowcount


def corpus_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        counts = {}
        for label, model in (("campaign_plans", CampaignPlan), ("support_plans", CampaignSupportPlan),
                             ("taskers", Tasker), ("comments", Comment), ("history", HistoryEntry),
                             ("reminders", Reminder)):
            cursor.execute(f"SELECT count(*) FROM {model._meta.db_table}")  # noqa: S608 (a table name)
            counts[label] = cursor.fetchone()[0]
    return counts


__all__ = ["Batch", "documents_generate", "reminders_due_set", "corpus_counts", "NOT_PROVIDED", "PLAN_STATE"]
