"""The reminders' small world (a tasked organization, a plan, taskers whose saving plans their
reminder rows) serves the operations tests too."""

from tests.reminders.conftest import world  # noqa: F401 (a fixture)
