"""The initiatives world (a EUCOM campaign plan's objective, DSCA, USD(P)) as ``world`` here."""

from tests.initiatives.conftest import world  # noqa: F401
