"""Commands that destroy data or load demo accounts refuse the production profile
(``config.settings.production`` sets ``PRODUCTION``): no flushed audit trail, no published demo
password on a real site."""

from django.conf import settings
from django.core.management.base import CommandError


def refuse_in_production(command: str, *, why: str) -> None:
    """Raise CommandError (the command exits non-zero, having changed nothing) under the
    production profile."""
    if getattr(settings, "PRODUCTION", False):
        raise CommandError(f"{command} refuses to run under the production settings "
                           f"({settings.SETTINGS_MODULE}): {why}. Nothing was changed.")
