from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from api.services import api_token_issue


class Command(BaseCommand):
    help = "Print a new API token for a user (Authorization: Token <key>); the user's previous token stops working."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"There is no user {username!r}.")
        if not user.is_active:
            raise CommandError(f"The account of {username!r} is inactive; activate it before issuing a token.")
        self.stdout.write(api_token_issue(user=user).key)
