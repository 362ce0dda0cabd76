from importlib import import_module

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import module_has_submodule

from organizations import reference


class Command(BaseCommand):
    help = (
        "Load the reference data: ISO countries, the organizations of DoDD 5132.03 and the "
        "country-to-command table over time. Idempotent: a second run reports no changes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(reference.DEFAULT_PATH),
                            help="the reference data file (default: organizations/data/reference.json)")

    def handle(self, *args, **options):
        try:
            report = reference.load(path=options["file"])
        except reference.ReferenceDataError as error:
            raise CommandError("reference data not loaded, nothing changed:\n  "
                               + "\n  ".join(error.problems)) from error
        for line in report.lines():
            self.stdout.write(line)
        # Then every other installed app's reference data (its ``reference.load``), in
        # INSTALLED_APPS order: default routes, assessment programs...
        for config in apps.get_app_configs():
            if config.label == "organizations" or not module_has_submodule(config.module, "reference"):
                continue
            loader = getattr(import_module(f"{config.name}.reference"), "load", None)
            if callable(loader):
                loader(stdout=self.stdout)
