"""Two database roles on PostgreSQL: the owner of the tables (MIGRATION_DATABASE_URL), which runs
the migrations, and the application's role (DATABASE_URL), which reads and writes rows but
cannot truncate, disable a trigger, drop or alter a table, and only reads and appends to the
append-only tables (audit trail, document history).

The append-only tables are the ones a migration gave the ``refuse_audit_rewrite`` trigger
(security/migrations): the database itself says which they are, so a table protected later is
covered by the next ``manage.py db_roles`` without a list to keep in step here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import dj_database_url
from django.conf import settings
from django.db import DatabaseError, connections, transaction
from psycopg import sql

CREDENTIALS = ("USER", "PASSWORD", "HOST", "PORT")
ORDINARY_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
APPEND_ONLY_PRIVILEGES = "SELECT, INSERT"


class RolesError(Exception):
    """The roles cannot be set up as asked; the message says why and what to change."""


def owner_credentials() -> dict | None:
    """The owner's user, password, host and port from MIGRATION_DATABASE_URL, or None when unset."""
    if not settings.MIGRATION_DATABASE_URL:
        return None
    owner = dj_database_url.parse(settings.MIGRATION_DATABASE_URL)
    return {key: owner.get(key) or "" for key in CREDENTIALS}


@contextmanager
def connected_as(alias: str, credentials: dict | None) -> Iterator:
    """The connection ``alias`` logged in with ``credentials`` (user, password, host, port) for the
    duration; the database name stays the alias's, so a test or benchmark database keeps its own.
    None leaves the connection as it is."""
    connection = connections[alias]
    if not credentials or connection.vendor != "postgresql":
        yield connection
        return
    saved = {key: connection.settings_dict.get(key) for key in credentials}
    connection.close()
    connection.settings_dict.update(credentials)
    try:
        yield connection
    finally:
        connection.close()
        connection.settings_dict.update(saved)


@dataclass
class RolesReport:
    application_role: str
    owner_role: str
    created: bool
    tables: list[str] = field(default_factory=list)
    append_only: list[str] = field(default_factory=list)
    sequences: int = 0
    notes: list[str] = field(default_factory=list)


def _one(cursor, query, params=()) -> object:
    cursor.execute(query, params)
    row = cursor.fetchone()
    return row[0] if row else None


def append_only_tables(cursor) -> list[str]:
    """Tables carrying the ``refuse_audit_rewrite`` trigger, by name."""
    cursor.execute(
        "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND t.tgfoid = to_regproc('refuse_audit_rewrite') ORDER BY 1"
    )
    return [row[0] for row in cursor.fetchall()]


def roles_apply(*, alias: str = "default", application_role: str, application_password: str | None,
                owner: dict | None) -> RolesReport:
    """Create or update the application's role and its privileges, connected as the owner
    (``owner`` credentials, or the alias's own when None). Idempotent: a second run changes
    nothing. Guarantees, for every table of the public schema: the application's role does not
    own it and holds SELECT, INSERT, UPDATE, DELETE (SELECT, INSERT on the append-only tables),
    never TRUNCATE, TRIGGER or REFERENCES; USAGE on every sequence; the same privileges on
    tables and sequences the owner creates later (default privileges); no CREATE on the schema.
    Raises RolesError, having changed nothing, when the two roles are one, or the application's
    role is a superuser or owns a table."""
    with connected_as(alias, owner) as connection, transaction.atomic(using=connection.alias), \
            connection.cursor() as cursor:
        owner_role = _one(cursor, "SELECT current_user")
        database = _one(cursor, "SELECT current_database()")
        if application_role == owner_role:
            raise RolesError(
                f"the application's role and the owner of the tables are both {owner_role!r}: give the "
                "application a role of its own in DATABASE_URL and the owner's in MIGRATION_DATABASE_URL")
        app = sql.Identifier(application_role)
        existing = _one(cursor, "SELECT rolsuper FROM pg_roles WHERE rolname = %s", [application_role])
        created = existing is None
        if created:
            cursor.execute(sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT")
                           .format(app).as_string(cursor.connection))
        elif existing:
            raise RolesError(f"the application's role {application_role!r} is a superuser: a superuser "
                             "bypasses every privilege; make it an ordinary role (ALTER ROLE … NOSUPERUSER)")
        if application_password:
            cursor.execute(sql.SQL("ALTER ROLE {} LOGIN PASSWORD {}")
                           .format(app, sql.Literal(application_password)).as_string(cursor.connection))
        cursor.execute("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                       "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S') "
                       "AND pg_get_userbyid(c.relowner) = %s ORDER BY 1", [application_role])
        owned = [row[0] for row in cursor.fetchall()]
        if owned:
            raise RolesError(
                f"the application's role {application_role!r} owns {len(owned)} tables ({', '.join(owned[:5])}…): "
                f"a table's owner may truncate, disable triggers and drop it. Run as a superuser: "
                f"REASSIGN OWNED BY {application_role} TO {owner_role}")
        # A role the application inherits from (the owner, say) would hand its rights back.
        cursor.execute("SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid "
                       "JOIN pg_roles a ON a.oid = m.member WHERE a.rolname = %s", [application_role])
        for (granted,) in cursor.fetchall():
            cursor.execute(sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(granted), app)
                           .as_string(cursor.connection))

        def run(statement: str, *identifiers: str) -> None:
            cursor.execute(sql.SQL(statement).format(*map(sql.Identifier, identifiers))
                           .as_string(cursor.connection))

        run("GRANT CONNECT ON DATABASE {} TO {}", database, application_role)
        run("GRANT USAGE ON SCHEMA public TO {}", application_role)
        run("REVOKE CREATE ON SCHEMA public FROM {}", application_role)
        notes = []
        try:
            with transaction.atomic(using=connection.alias):
                run("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        except DatabaseError:
            notes.append("could not revoke CREATE on schema public from PUBLIC (the owner does not own the "
                         "schema; PostgreSQL 15 and later revoke it by default)")
        run(f"GRANT {ORDINARY_PRIVILEGES} ON ALL TABLES IN SCHEMA public TO {{}}", application_role)
        run("REVOKE TRUNCATE, TRIGGER, REFERENCES ON ALL TABLES IN SCHEMA public FROM {}", application_role)
        append_only = append_only_tables(cursor)
        for table in append_only:
            run("REVOKE UPDATE, DELETE ON {} FROM {}", table, application_role)
        run("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {}", application_role)
        run(f"ALTER DEFAULT PRIVILEGES FOR ROLE {{}} IN SCHEMA public GRANT {ORDINARY_PRIVILEGES} ON TABLES TO {{}}",
            owner_role, application_role)
        run("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public GRANT USAGE ON SEQUENCES TO {}",
            owner_role, application_role)
        cursor.execute("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                       "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1")
        tables = [row[0] for row in cursor.fetchall()]
        sequences = _one(cursor, "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                                 "WHERE n.nspname = 'public' AND c.relkind = 'S'")
    return RolesReport(application_role=application_role, owner_role=owner_role, created=created,
                       tables=tables, append_only=append_only, sequences=sequences, notes=notes)
