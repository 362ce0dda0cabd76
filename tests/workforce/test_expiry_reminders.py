"""Reminders before a certification expires go through the reminders outbox exactly once per
threshold (90, 30 and 7 days) and recipient, on real services: PostgreSQL, a Redis broker, a real
Celery worker and a real SMTP server (aiosmtpd), the task sent as beat sends it, twice a day. Only
the owning office is told; the e-mail carries no personal data, the in-app notice names the record."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from organizations.models import Role
from reminders.models import Notification, Reminder, ReminderStatus
from tests.reminders.conftest import local, purged_broker, smtp_server, wait_until  # noqa: F401
from workforce.tasks import expiry_reminders

from .conftest import certification, person

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _with_mail(world, acronym, role):
    user = world.user(acronym, role)
    user.email = f"{user.username}@example.mil"
    user.save(update_fields=["email"])
    return user


def sweep_through_the_broker() -> None:
    """What beat does: send the task; then wait for the worker to deliver what it handed on."""
    expiry_reminders.apply_async().get(timeout=60)
    wait_until(lambda: not Reminder.objects.filter(status=ReminderStatus.SENDING).exists(),
               message="the worker to deliver every expiry reminder")


def test_each_expiry_reminder_reaches_the_owning_office_once_per_threshold(
        world, smtp_server, purged_broker, celery_worker):  # noqa: F811
    told = {_with_mail(world, "ODC-TURKEY", role).username for role in (Role.ACTION_OFFICER, Role.APPROVER)}
    for acronym, role in (("EUCOM", Role.APPROVER), ("USD(P&R)", Role.REVIEWER), ("ODC-TURKEY", Role.REVIEWER),
                          ("OSC-I", Role.ACTION_OFFICER)):
        _with_mail(world, acronym, role)
    with time_machine.travel(local(2026, 11, 2), tick=True):
        chief = person(world, 1, qualifications=[certification(expires_on=datetime.date(2027, 1, 15))])
        person(world, 2, position="FMS case officer", grade="O-4",
               qualifications=[certification(expires_on=datetime.date(2028, 1, 1))])  # far off: no reminder
    arrivals: dict[datetime.date, list[tuple[str, str]]] = {}
    with time_machine.travel(local(2026, 11, 30), tick=True) as traveller:
        for day in (datetime.date(2026, 11, 30), datetime.date(2026, 12, 1), datetime.date(2026, 12, 16),
                    datetime.date(2026, 12, 17), datetime.date(2027, 1, 8), datetime.date(2027, 1, 9)):
            traveller.move_to(local(day.year, day.month, day.day, 6))
            before = smtp_server.count()
            sweep_through_the_broker()
            sweep_through_the_broker()  # beat sending it twice (a retry, a second beat) changes nothing
            for message in smtp_server.received[before:]:
                assert chief.identifier not in message.body and "SCO billet holder" not in message.subject
                for address in message.to:
                    arrivals.setdefault(day, []).append((address.split("@")[0], message.subject.split(" (")[0]))
    assert {day: sorted(rows) for day, rows in arrivals.items()} == {
        datetime.date(2026, 11, 30): sorted((u, "A workforce certification expires within 90 days") for u in told),
        datetime.date(2026, 12, 16): sorted((u, "A workforce certification expires within 30 days") for u in told),
        datetime.date(2027, 1, 8): sorted((u, "A workforce certification expires within 7 days") for u in told),
    }
    ids = smtp_server.reminder_ids()
    assert len(ids) == len(set(ids)) == smtp_server.count() == 6
    assert Reminder.objects.filter(status=ReminderStatus.SENT, notice_kind="certification_expiring").count() == 6
    notices = Notification.objects.filter(user__username__in=told).values_list("text", flat=True)
    assert len(notices) == 6 and all(text.startswith(f"{chief.identifier}: SC workforce certification")
                                     for text in notices)
    assert not Notification.objects.exclude(user__username__in=told).exists()
