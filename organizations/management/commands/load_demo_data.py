import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "Create the demo users and documents (training data only). Idempotent."

    @transaction.atomic
    def handle(self, *args, **options):
        password = os.environ.get("DEMO_PASSWORD", "training-only-demo-password")
        User = get_user_model()
        admin, created = User.objects.get_or_create(
            username="administrator", defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            admin.set_password(password)
            admin.save()
        self.stdout.write(f"Demo log-ins: administrator ({'created' if created else 'exists'})")
