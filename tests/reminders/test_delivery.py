"""What a reminder says, to whom, through which channel, and what happens when the mail system
fails. SQLite, tasks eager; the failing SMTP server is a closed port."""

from __future__ import annotations

import datetime
import socket

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from planning.models import CampaignPlan
from reminders.models import Notification, Reminder, ReminderStatus
from reminders.services import (
    MAX_ATTEMPTS,
    reminder_deliver,
    reminders_digest_claim,
    reminders_sweep,
    user_preference_set,
)

from .conftest import local

pytestmark = pytest.mark.django_db


@pytest.fixture
def due_today(world):
    """A DA tasker whose 5-working-day reminders are due on Friday 20 November 2026 at 07:00."""
    with time_machine.travel(local(2026, 11, 16), tick=False):
        return world.tasker(suspense=datetime.date(2026, 11, 30))


def sweep_at(moment, capture):
    with time_machine.travel(moment, tick=False), capture(execute=True):
        return reminders_sweep()


def test_an_email_carries_a_generic_line_and_a_link_when_the_document_does_not_clear_its_title(
        world, due_today, django_capture_on_commit_callbacks):
    CampaignPlan.objects.filter(pk=world.plan.pk).update(classification="CUI")
    sweep_at(local(2026, 11, 20), django_capture_on_commit_callbacks)
    message = mail.outbox[0]
    assert world.plan.title not in message.body and world.plan.title not in message.subject
    assert "title this e-mail may not carry" in message.body
    assert "/admin/" in message.body and message.body.splitlines()[2].startswith("http://")


def test_an_email_carries_the_title_when_the_document_says_its_marking_allows_it(
        world, due_today, django_capture_on_commit_callbacks):
    assert world.plan.mail_may_carry_title  # an UNCLASSIFIED plan: the plan's own marking rule says yes
    sweep_at(local(2026, 11, 20), django_capture_on_commit_callbacks)
    assert "“EUCOM theater campaign plan (training data)”" in mail.outbox[0].body
    assert "Suspense in 5 working days (30 Nov 2026)" in mail.outbox[0].body


def test_each_reminder_also_lands_once_in_the_recipients_notifications(
        world, due_today, django_capture_on_commit_callbacks):
    sweep_at(local(2026, 11, 20), django_capture_on_commit_callbacks)
    for reminder in Reminder.objects.filter(status=ReminderStatus.SENT):
        reminder_deliver(reminder_id=reminder.pk)  # a duplicate task: nothing more happens
    assert Notification.objects.filter(user=world.users["da_ao"]).count() == 1
    assert len(mail.outbox) == 3


def test_a_delivery_task_run_twice_finds_the_reminder_sent_and_sends_nothing(
        world, due_today, django_capture_on_commit_callbacks):
    with time_machine.travel(local(2026, 11, 20), tick=False):
        claimed = reminders_sweep()  # claimed, tasks not yet run
        assert [reminder_deliver(reminder_id=pk) for pk in claimed] == ["sent"] * 3
        assert [reminder_deliver(reminder_id=pk) for pk in claimed] == ["nothing to do"] * 3
    assert len(mail.outbox) == 3


def test_a_tasker_answered_after_its_reminder_was_claimed_is_not_reminded(world, due_today):
    with time_machine.travel(local(2026, 11, 20), tick=False):
        claimed = reminders_sweep()
        due_today.mark_answered()
        due_today.save(update_fields=["state"])
        assert {reminder_deliver(reminder_id=pk) for pk in claimed} == {"cancelled"}
    assert mail.outbox == []


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_mail_server_reschedules_with_growing_backoff_then_marks_failed_with_the_error(
        world, due_today, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", _closed_port(), 2
    moment, delays = local(2026, 11, 20, 7, 0), []
    reminder = Reminder.objects.filter(tasker=due_today, recipient=world.users["da_ao"]).order_by("due_at").first()
    for _attempt in range(MAX_ATTEMPTS):
        with time_machine.travel(moment, tick=False):
            assert reminder.pk in reminders_sweep(batch=1000)
            assert reminder_deliver(reminder_id=reminder.pk) in {"retry", "failed"}
        reminder.refresh_from_db()
        if reminder.status == ReminderStatus.SCHEDULED:
            delays.append((reminder.due_at - moment).total_seconds())
            moment = reminder.due_at
    assert delays == [60, 120, 240, 480, 960, 1920, 3600]
    assert reminder.status == ReminderStatus.FAILED
    assert reminder.attempts == MAX_ATTEMPTS
    assert "ConnectionRefusedError" in reminder.last_error
    assert Notification.objects.filter(reminder=reminder).count() == 1  # in-app did not wait for mail


def test_a_user_who_chose_the_daily_digest_gets_one_email_listing_the_days_reminders(
        world, django_capture_on_commit_callbacks):
    user_preference_set(user=world.users["da_ao"], daily_digest=True)
    with time_machine.travel(local(2026, 11, 16), tick=False):
        world.tasker(suspense=datetime.date(2026, 11, 30))
        world.tasker(suspense=datetime.date(2026, 11, 30), step="review")
    sweep_at(local(2026, 11, 20, 7, 1), django_capture_on_commit_callbacks)
    assert sorted(m.to[0] for m in mail.outbox) == ["da_approver@example.mil"] * 2 + ["da_reviewer@example.mil"] * 2
    mail.outbox.clear()
    with time_machine.travel(local(2026, 11, 20, 7, 5), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        assert {user: len(ids) for user, ids in reminders_digest_claim().items()} == {world.users["da_ao"].pk: 2}
    assert [m.to for m in mail.outbox] == [["da_ao@example.mil"]]
    assert mail.outbox[0].subject == "Daily suspense digest: 2 reminders"
    assert Reminder.objects.filter(recipient=world.users["da_ao"], status=ReminderStatus.SENT).count() == 2


# --- the admin -----------------------------------------------------------------------------

def test_a_user_sees_only_their_own_notifications_with_the_unread_count_and_can_mark_them_read(
        world, due_today, django_capture_on_commit_callbacks, client):
    sweep_at(local(2026, 11, 20), django_capture_on_commit_callbacks)
    own = Notification.objects.get(user=world.users["da_ao"])
    other = Notification.objects.get(user=world.users["da_reviewer"])
    client.force_login(world.users["da_ao"])
    url = reverse("admin:reminders_notification_changelist")
    page = client.get(url)
    assert page.status_code == 200
    assert "My notifications (1 unread)" in page.content.decode()
    assert list(page.context["cl"].queryset) == [own]
    assert client.get(reverse("admin:reminders_notification_change", args=[other.pk])).status_code in (302, 403, 404)
    client.post(url, {"action": "mark_read", "_selected_action": [own.pk, other.pk]})
    own.refresh_from_db()
    other.refresh_from_db()
    assert own.is_read and not other.is_read
    assert "My notifications (0 unread)" in client.get(url).content.decode()


def test_the_admin_shows_each_taskers_reminders_with_status_and_error_read_only(
        world, due_today, django_capture_on_commit_callbacks, client):
    sweep_at(local(2026, 11, 20), django_capture_on_commit_callbacks)
    Reminder.objects.filter(status=ReminderStatus.SCHEDULED).update(last_error="451 try later")
    admin_user = world.users["da_ao"]
    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    url = reverse("admin:reminders_reminder_changelist") + f"?tasker__id__exact={due_today.pk}"
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["cl"].result_count == 12
    html = page.content.decode()
    assert "451 try later" in html and "Sent" in html and "Scheduled" in html
    reminder = Reminder.objects.first()
    change = client.get(reverse("admin:reminders_reminder_change", args=[reminder.pk]))
    assert change.status_code == 200 and "Save" not in change.content.decode().split("submit-row")[-1][:200]


class _Document:
    def __init__(self, **attributes):
        self.__dict__.update(attributes)


@pytest.mark.parametrize(("document", "carries_title"), [
    (None, False),
    (_Document(title="no marking rule"), False),          # marking unknown: treated as CUI or higher
    (_Document(mail_may_carry_title=False), False),
    (_Document(mail_may_carry_title="yes"), False),       # only an explicit True clears it
    (_Document(mail_may_carry_title=True), True),
    (_Document(mail_may_carry_title=lambda: True), True),
])
def test_only_a_document_that_clears_its_title_for_email_has_it_in_the_email(document, carries_title):
    from reminders.marking import mail_may_carry_title

    assert mail_may_carry_title(document) is carries_title


def test_a_member_of_another_organization_sees_only_reminders_of_documents_they_may_see(
        world, due_today, client):
    from workflow.registry import visible_documents

    outsider = world.users["dla_approver"]
    client.force_login(outsider)
    page = client.get(reverse("admin:reminders_reminder_changelist"))
    assert page.status_code == 200
    expected = Reminder.objects.filter(tasker__object_id__in=visible_documents(CampaignPlan, outsider).values("pk"))
    assert page.context["cl"].result_count == expected.count()
    if not visible_documents(CampaignPlan, outsider).filter(pk=world.plan.pk).exists():
        assert world.plan.title not in page.content.decode()


def test_a_reminder_names_the_tasked_office_by_todays_name_with_the_directives_beside_it(
        world, due_today, django_capture_on_commit_callbacks):
    """Issue #22, point 2: an office renamed since the directive reads as pages name it."""
    from organizations.models import Organization

    Organization.objects.filter(pk=due_today.organization_id).update(current_acronym="DAF")
    sweep_at(local(2026, 11, 20), django_capture_on_commit_callbacks)
    assert mail.outbox and all("Coordination tasker for DAF, formerly DA on " in m.body for m in mail.outbox)
