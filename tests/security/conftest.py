from tests.planning.conftest import World, world  # noqa: F401 (the shared small world of organizations)
