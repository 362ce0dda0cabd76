"""The tests' settings: the local profile, plus the engine's made-up document kind
(tests/workflow/kindapp), which exists only here."""

from config.settings.local import *  # noqa: F403
from config.settings.local import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.workflow.kindapp"]

# Every rule kept per capacity (security.capacity) is built again on each use and compared.
CAPACITY_CHECK = True
