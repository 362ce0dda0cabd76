"""Local profile: the default for ``manage.py``, the run command and the tests."""

from .base import *  # noqa: F403
from .base import INSTALLED_APPS, env_bool

DEBUG = env_bool("DEBUG", True)
# Development only: `manage.py bench` (the production image and the wheel leave benchmarks out).
INSTALLED_APPS = [*INSTALLED_APPS, "benchmarks"]
