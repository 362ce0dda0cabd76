"""Create or update the application's database role and its privileges (security/database_roles.py)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from security.database_roles import RolesError, owner_credentials, roles_apply


class Command(BaseCommand):
    help = ("Create or update the application's role (the user of DATABASE_URL) so that it reads and writes "
            "rows but cannot truncate, disable triggers or drop, and only appends to the audit trail and the "
            "document history; connected as the owner of the tables (MIGRATION_DATABASE_URL). Run it after "
            "`migrate`. Idempotent.")

    def add_arguments(self, parser):
        parser.add_argument("--application-role", help="the application's role (default: the user of DATABASE_URL)")
        parser.add_argument("--application-password",
                            help="its password (default: the password of DATABASE_URL; empty keeps the current one)")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, **options):
        alias = options["database"]
        if connections[alias].vendor != "postgresql":
            self.stdout.write(f"{connections[alias].vendor} has no database roles: nothing to do.")
            return
        configured = settings.DATABASES[alias]
        role = options["application_role"] or configured.get("USER")
        password = options["application_password"]
        if password is None and not options["application_role"]:
            password = configured.get("PASSWORD") or None
        if not role:
            raise CommandError("no application role: DATABASE_URL names no user; give --application-role")
        try:
            report = roles_apply(alias=alias, application_role=role, application_password=password,
                                 owner=owner_credentials())
        except RolesError as error:
            raise CommandError(f"database roles not changed: {error}") from error
        write = self.stdout.write
        write(f"application role {report.application_role}: {'created' if report.created else 'updated'}; "
              f"tables owned by {report.owner_role}")
        write(f"{len(report.tables) - len(report.append_only)} tables: SELECT, INSERT, UPDATE, DELETE")
        write(f"{len(report.append_only)} append-only tables ({', '.join(report.append_only) or 'none'}): "
              "SELECT, INSERT")
        write(f"{report.sequences} sequences: USAGE")
        write(f"tables and sequences {report.owner_role} creates later: the same (default privileges)")
        write("never: TRUNCATE, TRIGGER, REFERENCES, CREATE, ownership")
        for note in report.notes:
            write(f"note: {note}")
