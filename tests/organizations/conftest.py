import pytest

from organizations import reference


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The real hasher is slow by design; these tests create many users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def reference_data(db):
    """The repository's reference data, loaded as ``load_reference_data`` loads it."""
    return reference.load()
