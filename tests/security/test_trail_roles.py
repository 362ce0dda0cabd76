"""The trail resists the application itself: on PostgreSQL the application's role (set up by
``manage.py db_roles``, as .ci/run and docker compose do) may read and append to the audit trail
and the history, but not truncate, disable their triggers, drop them, rewrite
them or flush the database; and TRUNCATE is refused on them even for the owner."""

from io import StringIO

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, InternalError, ProgrammingError, connection, transaction

from security.audit import audit_record
from security.database_roles import connected_as
from security.models import AuditAction

APPLICATION_ROLE = "campaign_app_test"
APPLICATION_PASSWORD = "Application-Role-Test-1"  # trust authentication here; a real password elsewhere
TRAIL_TABLES = ("security_auditevent", "workflow_historyentry")


def _count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (a constant of this test)
        return cursor.fetchone()[0]


def _as_application_role() -> psycopg.Connection:
    conf = connection.settings_dict
    return psycopg.connect(host=conf["HOST"] or None, port=conf["PORT"] or None, dbname=conf["NAME"],
                           user=APPLICATION_ROLE, password=APPLICATION_PASSWORD, autocommit=True)


@pytest.fixture
def application_role(db):
    out = StringIO()
    call_command("db_roles", application_role=APPLICATION_ROLE, application_password=APPLICATION_PASSWORD,
                 stdout=out)
    return out.getvalue()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_application_role_cannot_truncate_disable_triggers_drop_rewrite_or_flush(application_role, world):
    from organizations.models import Role
    from workflow.services import transition_perform

    assert f"application role {APPLICATION_ROLE}" in application_role
    assert "2 append-only tables (security_auditevent, workflow_historyentry)" in application_role
    plan = world.ready_plan()
    transition_perform(document=plan, name="submit", by=world.user("EUCOM", Role.ACTION_OFFICER))
    before = {table: _count(table) for table in TRAIL_TABLES}
    assert all(before.values()), before

    refused = []
    with _as_application_role() as conn:
        for table in TRAIL_TABLES:
            for statement in (f"TRUNCATE {table}", f"TRUNCATE {table} CASCADE",
                              f"ALTER TABLE {table} DISABLE TRIGGER ALL",
                              f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only",
                              f"DROP TABLE {table} CASCADE",
                              f"UPDATE {table} SET id = id",  # noqa: S608 (constants of this test)
                              f"DELETE FROM {table}"):  # noqa: S608
                with pytest.raises(psycopg.errors.InsufficientPrivilege) as error:
                    conn.execute(statement)
                refused.append((statement, str(error.value).splitlines()[0]))
        # What the application needs still works: it reads the trail and writes ordinary rows.
        assert conn.execute("SELECT count(*) FROM security_auditevent").fetchone()[0] == before["security_auditevent"]
        conn.execute("DELETE FROM django_session")
    assert {reason.split(" table ")[0] for _statement, reason in refused} == {
        "permission denied for", "must be owner of"}

    with connected_as("default", {"USER": APPLICATION_ROLE, "PASSWORD": APPLICATION_PASSWORD}):
        with pytest.raises(CommandError, match="couldn't be flushed"):
            call_command("flush", interactive=False, verbosity=0)
        # ...and appends to the audit trail, on the chain.
        audit_record(action=AuditAction.EXPORT, description="exported by the application's role")
        call_command("audit_verify", stdout=StringIO())

    after = {table: _count(table) for table in TRAIL_TABLES}
    assert after == {**before, "security_auditevent": before["security_auditevent"] + 1}


@pytest.mark.postgres
@pytest.mark.django_db
def test_truncate_is_refused_on_the_audit_trail_and_history_even_for_the_owner(world):
    from organizations.models import Role
    from workflow.services import transition_perform

    plan = world.ready_plan()
    transition_perform(document=plan, name="submit", by=world.user("EUCOM", Role.ACTION_OFFICER))
    before = {table: _count(table) for table in TRAIL_TABLES}
    with connection.cursor() as cursor:
        # The test's own transaction holds deferred foreign-key checks, which TRUNCATE would wait on.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for table in TRAIL_TABLES:
        with pytest.raises((InternalError, ProgrammingError, IntegrityError),
                           match=f"append-only: TRUNCATE on {table} refused"), \
                transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {table} CASCADE")
    assert {table: _count(table) for table in TRAIL_TABLES} == before


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_history_refuses_update_and_delete_like_the_audit_trail(world):
    from organizations.models import Role
    from workflow.models import HistoryEntry
    from workflow.services import transition_perform

    plan = transition_perform(document=world.ready_plan(), name="submit", by=world.user("EUCOM", Role.ACTION_OFFICER))
    entry = HistoryEntry.objects.get(object_id=plan.pk, action="submit")
    for statement in ("UPDATE workflow_historyentry SET to_state = 'approved'", "DELETE FROM workflow_historyentry"):
        with pytest.raises((InternalError, ProgrammingError, IntegrityError), match="append-only"), \
                transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert HistoryEntry.objects.get(pk=entry.pk).to_state == "coordination"


@pytest.mark.django_db
def test_the_state_log_is_gone_the_history_is_the_one_trail_of_transitions():
    """django-fsm-log's state log repeated the history: its table is dropped (security 0009)."""
    from django.apps import apps

    assert not apps.is_installed("django_fsm_log")
    assert "django_fsm_log_statelog" not in connection.introspection.table_names()


@pytest.mark.postgres
@pytest.mark.django_db
def test_db_roles_refuses_to_make_the_owner_the_application_role():
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
    with pytest.raises(CommandError, match=f"the owner of the tables are both '{owner}'"):
        call_command("db_roles", application_role=owner, stdout=StringIO())


@pytest.mark.postgres
@pytest.mark.django_db
def test_db_roles_grants_tables_created_later_without_being_run_again(application_role):
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE trail_roles_later (id integer)")
        cursor.execute("SELECT privilege_type FROM information_schema.role_table_grants "
                       "WHERE grantee = %s AND table_name = 'trail_roles_later' ORDER BY 1", [APPLICATION_ROLE])
        granted = [row[0] for row in cursor.fetchall()]
    assert granted == ["DELETE", "INSERT", "SELECT", "UPDATE"]
