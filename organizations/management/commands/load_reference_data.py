from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from organizations import reference
from organizations.discovery import app_loaders


class Command(BaseCommand):
    help = (
        "Load the reference data: ISO countries, the organizations of DoDD 5132.03 and the "
        "country-to-command table over time, then every other app's reference data (its "
        "reference.load, in INSTALLED_APPS order). Idempotent: a second run reports no changes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(reference.DEFAULT_PATH),
                            help="the organizations' reference data file (default: organizations/data/reference.json)")

    def handle(self, *args, **options):
        try:
            with transaction.atomic():  # all apps' reference data, or none of it
                report = reference.load(path=options["file"])
                for line in report.lines():
                    self.stdout.write(line)
                for _label, load in app_loaders("reference"):
                    load(stdout=self.stdout)
        except reference.ReferenceDataError as error:
            raise CommandError("reference data not loaded, nothing changed:\n  "
                               + "\n  ".join(error.problems)) from error
