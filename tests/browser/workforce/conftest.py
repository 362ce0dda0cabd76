"""The workforce world (the manpower world's SCOs and offices, with billet requirements) as ``world`` here."""

from tests.workforce.conftest import manpower_world, world  # noqa: F401
