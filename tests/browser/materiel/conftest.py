"""The materiel world (requesting offices, the offices of the route, partner countries) as ``world`` here."""

from tests.materiel.conftest import world  # noqa: F401
