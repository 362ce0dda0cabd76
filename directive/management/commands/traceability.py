from django.core.management.base import BaseCommand, CommandError

from directive import traceability


class Command(BaseCommand):
    help = ("Print where the product stands on each numbered item of DoDD 5132.03's policy and responsibilities "
            "(directive/data/traceability.json), and check that every page, code and test a row names exists: "
            "exits non-zero when one does not.")

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(traceability.DEFAULT_PATH), help="the traceability data file")
        parser.add_argument("--check", action="store_true", help="print only the problems and the totals")

    def handle(self, *args, **options):
        items = traceability.read(options["file"])
        if not options["check"]:
            for item in items:
                self.stdout.write(f"{item.ref:<16} {item.status:<16} {item.office or 'Policy'}")
                detail = item.note or item.missing or item.reason
                if detail:
                    self.stdout.write(f"{'':16} {detail}")
                for name in (*item.code, *item.tests):
                    self.stdout.write(f"{'':16} - {name}")
        totals = {status: sum(item.status == status for item in items) for status in traceability.STATUSES}
        self.stdout.write(f"{len(items)} items: " + ", ".join(f"{n} {status}" for status, n in totals.items()))
        found = traceability.problems(items)
        if found:
            raise CommandError("the traceability data names what does not exist:\n  " + "\n  ".join(found))
        self.stdout.write("every page, code and test named exists")
