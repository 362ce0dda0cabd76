"""The manpower world (SCOs, their commands and the offices of the route) as ``world`` here."""

from tests.manpower.conftest import world  # noqa: F401
