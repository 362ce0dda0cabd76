"""``migrate`` as the owner of the tables: with MIGRATION_DATABASE_URL set, the migrations (and
what they create) belong to that role, never to the application's role of DATABASE_URL."""

from django.core.management.commands import migrate

from security.database_roles import connected_as, owner_credentials


class Command(migrate.Command):
    help = (migrate.Command.help + " Connects as the owner role of MIGRATION_DATABASE_URL when it is set; "
            "run `manage.py db_roles` afterwards to grant the application's role what it needs.")

    def handle(self, *args, **options):
        with connected_as(options["database"], owner_credentials()):
            return super().handle(*args, **options)
