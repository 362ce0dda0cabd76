"""The benchmark's own PostgreSQL database: created next to the configured one, migrated,
switched to for the run, and dropped at the end whatever happened."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import psycopg
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections
from psycopg import sql

PREFIX = "bench_"


def require_postgresql() -> None:
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine:
        raise CommandError(
            f"bench measures PostgreSQL, the production database; the configured database is {engine} "
            "(SQLite is not supported). Point DATABASE_URL at a PostgreSQL server, e.g. "
            "DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python3 dev.py manage bench"
        )


def _server_connection(dbname: str = "postgres") -> psycopg.Connection:
    """An autocommit connection to the server of the configured database (CREATE/DROP DATABASE
    cannot run in a transaction)."""
    conf = settings.DATABASES["default"]
    params = {"dbname": dbname, "user": conf.get("USER") or None, "password": conf.get("PASSWORD") or None,
              "host": conf.get("HOST") or None, "port": conf.get("PORT") or None}
    return psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True)


def database_url(name: str) -> str:
    """DATABASE_URL of ``name`` on the configured server (for the gunicorn of the load phase)."""
    conf = settings.DATABASES["default"]
    auth = quote(conf.get("USER") or "", safe="")
    if conf.get("PASSWORD"):
        auth += ":" + quote(conf["PASSWORD"], safe="")
    host = conf.get("HOST") or "127.0.0.1"
    port = conf.get("PORT") or 5432
    return f"postgres://{auth + '@' if auth else ''}{host}:{port}/{name}"


def _drop(name: str, *, attempts: int = 30) -> None:
    """Drop ``name``, ending its sessions first. A backend busy in a long query (e.g. one a
    killed gunicorn worker left behind) can outlive FORCE's wait: try again for a while."""
    for attempt in range(attempts):
        try:
            with _server_connection() as admin:
                admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = %s AND pid <> pg_backend_pid()", [name])
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            return
        except psycopg.errors.ObjectInUse:
            if attempt == attempts - 1:
                raise
            time.sleep(2)


def bench_databases_left() -> list[str]:
    with _server_connection() as admin:
        return [row[0] for row in admin.execute("SELECT datname FROM pg_database WHERE datname LIKE 'bench\\_%'")]


@contextmanager
def bench_database(*, log=print) -> Iterator[str]:
    """Create ``bench_<pid>``, point the ``default`` alias at it, migrate it; on exit (success or
    failure) point the alias back and drop the database."""
    require_postgresql()
    name = f"{PREFIX}{os.getpid()}"
    conf = settings.DATABASES["default"]
    original = conf["NAME"]
    connections.close_all()
    _drop(name)
    with _server_connection() as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        # connections["default"].settings_dict is this same dict: closing makes the next query
        # open a connection to the bench database.
        conf["NAME"] = name
        connections["default"].settings_dict["NAME"] = name
        log(f"database {name} created; migrating")
        call_command("migrate", verbosity=0, interactive=False)
        yield name
    finally:
        connections.close_all()
        conf["NAME"] = original
        connections["default"].settings_dict["NAME"] = original
        _drop(name)
        log(f"database {name} dropped")
