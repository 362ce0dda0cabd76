from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from organizations import demo
from runtime.production_guard import refuse_in_production


class Command(BaseCommand):
    help = (
        "Create the demo users (one per role in each key organization, plus administrator and "
        "auditor), then every app's demo data (its demo.load). Training data only. Idempotent."
    )

    def handle(self, *args, **options):
        refuse_in_production("load_demo_data", why="demo users with a published password and training documents "
                                                   "have no place on a real site")
        try:
            with transaction.atomic():
                demo.load(stdout=self.stdout)
                for label, load in demo.demo_loaders():
                    self.stdout.write(f"demo data of {label}:")
                    load(stdout=self.stdout)
        except demo.DemoDataError as error:
            raise CommandError(f"demo data not loaded, nothing changed: {error}") from error
        self.stdout.write("\nDemo log-ins (training data only; the password is DEMO_PASSWORD):")
        self.stdout.write(demo.login_table())
