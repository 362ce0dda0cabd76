"""The test database of mutation runs: ``tests/conftest.py`` uses this ``django_db_setup`` only
when ``MUTATION_DB_TEMPLATE`` is set (``run_authority_mutants.sh`` sets it). Every pytest session
mutmut starts then uses a private copy of one SQLite database migrated once, instead of migrating
its own test database (about ten seconds per mutant) or sharing one that an earlier session
flushed. Ordinary test runs do not use it."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest


@pytest.fixture(scope="session")
def django_db_setup(django_db_blocker):
    from django.conf import settings
    from django.db import connections

    template = os.environ.get("MUTATION_DB_TEMPLATE", "")
    if not template or not os.path.exists(template):
        raise pytest.UsageError("MUTATION_DB_TEMPLATE must name a migrated SQLite database "
                                "(tests/mutation/run_authority_mutants.sh makes one)")
    handle, copy = tempfile.mkstemp(prefix="mutant-", suffix=".sqlite3")
    os.close(handle)
    shutil.copyfile(template, copy)
    connection = connections["default"]
    with django_db_blocker.unblock():
        connection.close()
    connection.settings_dict["NAME"] = copy
    settings.DATABASES["default"]["NAME"] = copy
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            connection.close()
        os.unlink(copy)
