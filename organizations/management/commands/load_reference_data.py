from django.core.management.base import BaseCommand
from django.db import transaction
from django_countries import countries

from organizations.models import Country


class Command(BaseCommand):
    help = "Load the reference data (countries, organizations, areas of responsibility). Idempotent."

    @transaction.atomic
    def handle(self, *args, **options):
        existing = set(Country.objects.values_list("code", flat=True))
        new = [Country(code=code) for code, _name in countries if code not in existing]
        Country.objects.bulk_create(new)
        self.stdout.write(f"countries: {len(new)} created")
