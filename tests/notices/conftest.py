"""The plan world of the planning tests (organizations of the default routes, members in each
role, given an e-mail address here), and the reminders' real SMTP server (aiosmtpd)."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine

from reminders.notices import notices_raise
from tests.planning import conftest as planning
from tests.planning.conftest import World
from tests.reminders.conftest import purged_broker, smtp_server  # noqa: F401 (fixtures)

world = planning.world  # the same fixture as the plan tests
NOW = datetime.datetime(2026, 11, 18, 10, 0, tzinfo=zoneinfo.ZoneInfo("America/New_York"))  # a Wednesday


def person(people: World, acronym: str, role: str, coordinator: bool = True):
    """A member of ``acronym`` in ``role`` (the planning world's), with an e-mail address."""
    user = people.user(acronym, role, coordinator)
    if not user.email:
        user.email = f"{user.username}@example.mil"
        user.save(update_fields=["email"])
    return user


@pytest.fixture
def wednesday():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def raise_notices(django_capture_on_commit_callbacks):
    """What the task does once the engine's change commits: raise the notices, and run the
    delivery tasks it hands on (eagerly, into Django's test outbox or the SMTP server)."""

    def run():
        with django_capture_on_commit_callbacks(execute=True):
            return notices_raise()

    return run
