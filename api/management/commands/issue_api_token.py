from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from api.services import api_token_issue


class Command(BaseCommand):
    help = ("Print a new API token for a user (Authorization: Token <key>). It is shown only now: the database "
            "keeps its digest. The user's previous token stops working.")

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--days", type=int, default=None,
                            help="Days the token is valid (default: API_TOKEN_DAYS, 90).")

    def handle(self, *args, username, days, **options):
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1.")
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"There is no user {username!r}.")
        if not user.is_active:
            raise CommandError(f"The account of {username!r} is inactive; activate it before issuing a token.")
        issued = api_token_issue(user=user, days=days)
        self.stdout.write(issued.key)
        until = f"valid until {issued.expiry:%Y-%m-%d %H:%M %Z}" if issued.expiry else "valid until revoked"
        self.stderr.write(f"Shown once, {until}; keep it now: only its digest is stored.")
