"""``flush`` refuses the production profile. Elsewhere (development, tests) it empties every table,
the append-only ones included, when connected as a superuser: the statement-level triggers that
refuse TRUNCATE on the audit trail and the history are ordinary triggers, which PostgreSQL
skips under ``session_replication_role = replica``, a setting only a superuser may change. The
application's role can do neither and is refused."""

from contextlib import contextmanager

from django.core.management.commands import flush
from django.db import connections

from runtime.production_guard import refuse_in_production


@contextmanager
def append_only_tables_truncatable(alias: str):
    connection = connections[alias]
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('is_superuser') = 'on'")
        superuser = cursor.fetchone()[0]
        if not superuser:
            yield
            return
        cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET session_replication_role")


class Command(flush.Command):
    help = flush.Command.help + " Refused under the production settings."

    def handle(self, **options):
        refuse_in_production("flush", why="it would erase every record, the audit trail included")
        with append_only_tables_truncatable(options["database"]):
            return super().handle(**options)
