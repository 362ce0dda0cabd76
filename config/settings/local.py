"""Local profile: the default for ``manage.py``, the run command and the tests."""

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", True)
