"""Set up an installation, or bring it up to date: what the compose `init` service and the
Kubernetes init Job run before the web server, worker and beat start. Idempotent."""

import os

import dj_database_url
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from security.services import AdministratorError, first_administrator_ensure

PLACEHOLDER = "change-me"


def placeholder_secrets() -> list[str]:
    """The secrets that still hold .env.example's placeholder (a published value)."""
    found = []
    for label, value in (("the application's database password (DATABASE_URL)", settings.DATABASES["default"].get("PASSWORD")),
                         ("the owner's password (MIGRATION_DATABASE_URL)",
                          dj_database_url.parse(settings.MIGRATION_DATABASE_URL).get("PASSWORD")
                          if settings.MIGRATION_DATABASE_URL else ""),
                         ("INIT_ADMIN_PASSWORD", os.environ.get("INIT_ADMIN_PASSWORD", ""))):
        if (value or "").startswith(PLACEHOLDER):
            found.append(label)
    return found


class Command(BaseCommand):
    help = ("Migrate the database as the owner of its tables (MIGRATION_DATABASE_URL), grant the application's "
            "role (db_roles), load the reference data, and create the first administrator from "
            "INIT_ADMIN_USERNAME, INIT_ADMIN_EMAIL and INIT_ADMIN_PASSWORD. Idempotent: a second run migrates "
            "nothing, reports the reference data unchanged and leaves the administrator as it is.")

    def handle(self, *args, **options):
        placeholders = placeholder_secrets()
        if placeholders:
            raise CommandError("nothing done: " + ", ".join(placeholders) + " still hold the change-me placeholder "
                               "of .env.example; set real values in .env (README: Docker compose)")
        out = self.stdout
        out.write("1/4 migrations (as the owner of the tables)")
        call_command("migrate", interactive=False, verbosity=1, stdout=out)

        out.write("2/4 the application's database role")
        if connection.vendor == "postgresql" and settings.MIGRATION_DATABASE_URL:
            call_command("db_roles", stdout=out)
        else:
            out.write("MIGRATION_DATABASE_URL is empty: the application's role owns the tables (development); "
                      "nothing to grant.")

        out.write("3/4 reference data")
        call_command("load_reference_data", stdout=out)

        out.write("4/4 first administrator")
        try:
            user, created = first_administrator_ensure(
                username=os.environ.get("INIT_ADMIN_USERNAME", ""),
                email=os.environ.get("INIT_ADMIN_EMAIL", ""),
                password=os.environ.get("INIT_ADMIN_PASSWORD", ""),
            )
        except AdministratorError as error:
            raise CommandError(f"first administrator not created: {error}") from error
        if created:
            out.write(f"administrator {user.get_username()}: created; sign in at {settings.SITE_URL.rstrip('/')}/"
                      f"{settings.ADMIN_URL}")
        else:
            out.write(f"administrator {user.get_username()}: exists, unchanged (its password is not reset here)")
        out.write("The installation is ready.")
