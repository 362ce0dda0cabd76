"""Mail that always fits and fails visibly, through a real SMTP server (aiosmtpd, which answers
"500 Line too long" to a line over 1,000 octets as real servers do): a digest of any size is
delivered, each reminder once; a permanent refusal fails at once and says so to administrators
and to the recipient; a temporary one backs off; an attempt whose outcome was lost is sent
again only under the same Message-ID, marked as a possible duplicate."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from planning.models import CampaignPlan
from reminders import services
from reminders.models import Notification, Reminder, ReminderStatus
from reminders.services import (
    LEASE,
    reminder_deliver,
    reminders_digest_claim,
    reminders_sweep,
    user_preference_set,
)
from workflow.models import Step, Tasker

from .conftest import local

pytestmark = pytest.mark.django_db

SMTP_LINE_LIMIT = 1000  # octets, CRLF included (RFC 5321 4.5.3.1.6)


def assigned_taskers(world, count: int, *, plan=None, suspense=datetime.date(2026, 11, 30)) -> list[Tasker]:
    """``count`` DA taskers assigned to the DA action officer, created in bulk and planned."""
    plan = plan or world.plan
    content_type = ContentType.objects.get_for_model(CampaignPlan)
    Tasker.objects.bulk_create([
        Tasker(content_type=content_type, object_id=plan.pk, step=Step.COORDINATION, organization=world.orgs["DA"],
               assignee=world.users["da_ao"], suspense=suspense, document_title=plan.title)
        for _ in range(count)
    ], batch_size=1000)
    services.reminders_plan_new(limit=count)
    return list(Tasker.objects.filter(assignee=world.users["da_ao"]))


def test_a_digest_of_1000_reminders_is_delivered_each_reminder_once_in_messages_whose_lines_all_fit(
        world, smtp_server, django_capture_on_commit_callbacks):
    user_preference_set(user=world.users["da_ao"], daily_digest=True)
    with time_machine.travel(local(2026, 11, 16), tick=False):
        assigned_taskers(world, 1000)
    due = set(Reminder.objects.filter(recipient=world.users["da_ao"], step__offset_working_days=-5)
              .values_list("pk", flat=True))
    assert len(due) == 1000
    with time_machine.travel(local(2026, 11, 20, 7, 5), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        reminders_digest_claim()
    delivered = smtp_server.reminder_ids()
    assert sorted(delivered) == sorted(due)  # every one, none twice
    assert Reminder.objects.filter(pk__in=due, status=ReminderStatus.SENT).count() == 1000
    messages = smtp_server.received
    assert len(messages) == 1000 // services.DIGEST_MAX_REMINDERS
    assert all(m.longest_line <= SMTP_LINE_LIMIT for m in messages)
    assert len({m.message_id for m in messages}) == len(messages)
    assert {len(m.message_id) for m in messages} == {len(messages[0].message_id)} and len(messages[0].message_id) < 100
    assert sorted(m.subject for m in messages)[0] == "Daily suspense digest: 100 reminders (part 1 of 10)"
    assert all(m.to == ["da_ao@example.mil"] for m in messages)
    assert Notification.objects.filter(user=world.users["da_ao"]).count() == 1000  # in-app, one each


def test_a_reminder_on_a_document_with_a_very_long_title_arrives_whole_with_every_line_within_the_limit(
        world, smtp_server, django_capture_on_commit_callbacks):
    # 300 characters, most of them three octets in UTF-8: one line of 900+ octets if sent as is.
    title = ("Théâtre — " * 30)[:300]
    plan = CampaignPlan.objects.create(title=title, owner=world.orgs["EUCOM"], created_by=world.users["eucom_ao"],
                                       route_snapshot=world.plan.route_snapshot)
    user_preference_set(user=world.users["da_ao"], daily_digest=True)
    with time_machine.travel(local(2026, 11, 16), tick=False):
        assigned_taskers(world, 3, plan=plan)
        world.tasker(plan=plan, suspense=datetime.date(2026, 11, 30), organization="DLA")
    with time_machine.travel(local(2026, 11, 20, 7, 5), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        reminders_sweep()           # the DLA approver: one e-mail
        reminders_digest_claim()    # the DA action officer: the digest of three
    assert sorted(len(m.reminder_ids) for m in smtp_server.received) == [1, 3]
    for message in smtp_server.received:
        assert message.longest_line <= SMTP_LINE_LIMIT
        assert f"“{title}”" in message.body
    assert not Reminder.objects.exclude(status__in=(ReminderStatus.SENT, ReminderStatus.SCHEDULED)).exists()


def test_a_permanent_refusal_is_tried_once_marked_failed_listed_for_administrators_and_shown_to_the_recipient(
        world, smtp_server, client, django_capture_on_commit_callbacks):
    smtp_server.unknown = {"da_ao@example.mil"}
    with time_machine.travel(local(2026, 11, 16), tick=False):
        tasker = world.tasker(suspense=datetime.date(2026, 11, 30), assignee=world.users["da_ao"])
    reminder = Reminder.objects.get(tasker=tasker, step__offset_working_days=-5)
    for moment in (local(2026, 11, 20, 7, 1), local(2026, 11, 20, 9), local(2026, 11, 20, 17)):
        with time_machine.travel(moment, tick=False), django_capture_on_commit_callbacks(execute=True):
            reminders_sweep()
    assert smtp_server.attempts == ["da_ao@example.mil"]  # one attempt, not eight over hours
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.FAILED
    assert reminder.attempts == 1
    assert "550" in reminder.last_error and "user unknown" in reminder.last_error
    assert "refused it permanently" in reminder.status_reason

    administrator = world.users["usdp_approver"]
    administrator.is_superuser = True
    administrator.save()
    client.force_login(administrator)
    page = client.get(reverse("admin:reminders_reminder_changelist") + "?status__exact=failed")
    assert list(page.context["cl"].queryset) == [reminder]
    assert "user unknown" in page.content.decode()

    failure = Notification.objects.get(user=world.users["da_ao"], reminder__isnull=True)
    assert "could not be delivered to da_ao@example.mil" in failure.text and "550" in failure.text
    client.force_login(world.users["da_ao"])
    assert failure.text in client.get(reverse("admin:reminders_notification_changelist")).content.decode()


def test_a_temporary_refusal_is_retried_with_growing_backoff_until_the_server_takes_it(
        world, smtp_server, django_capture_on_commit_callbacks):
    smtp_server.refuse = 2
    with time_machine.travel(local(2026, 11, 16), tick=False):
        tasker = world.tasker(suspense=datetime.date(2026, 11, 30), assignee=world.users["da_ao"])
    reminder = Reminder.objects.get(tasker=tasker, step__offset_working_days=-5)
    moment, waits = local(2026, 11, 20, 7, 0), []
    for _ in range(3):
        with time_machine.travel(moment - datetime.timedelta(seconds=1), tick=False):
            assert reminder.pk not in reminders_sweep()  # not before its time
        with time_machine.travel(moment, tick=False), django_capture_on_commit_callbacks(execute=True):
            assert reminders_sweep() == [reminder.pk]
        reminder.refresh_from_db()
        if reminder.status == ReminderStatus.SCHEDULED:
            waits.append((reminder.due_at - moment).total_seconds())
            moment = reminder.due_at
    assert waits == [60, 120]
    assert reminder.status == ReminderStatus.SENT and reminder.attempts == 3
    assert smtp_server.reminder_ids() == [reminder.pk]


def test_a_delivery_whose_outcome_was_lost_is_sent_again_only_under_the_same_message_id_marked_possible_duplicate(
        world, smtp_server, django_capture_on_commit_callbacks):
    with time_machine.travel(local(2026, 11, 16), tick=False):
        tasker = world.tasker(suspense=datetime.date(2026, 11, 30), assignee=world.users["da_ao"])
    reminder = Reminder.objects.get(tasker=tasker, step__offset_working_days=-5)
    with time_machine.travel(local(2026, 11, 20, 7, 1), tick=False):
        assert reminders_sweep() == [reminder.pk]
        # The worker records its attempt, the server answers 250, and the worker dies before it
        # can record the outcome.
        attempt = services._attempt_begin([reminder.pk], digest_of=None, part=1, parts=1)
        services._send(attempt)
        assert reminder_deliver(reminder_id=reminder.pk) == "nothing to do"  # a duplicate task sends nothing
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.SENDING and reminder.attempted_at is not None
    with time_machine.travel(local(2026, 11, 20, 7, 5), tick=False):
        assert reminders_sweep() == []  # within the lease: the worker may still be at it
    with time_machine.travel(local(2026, 11, 20, 7, 1) + LEASE + datetime.timedelta(minutes=1), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        assert reminders_sweep() == [reminder.pk]
    first, second = smtp_server.received
    assert first.message_id == second.message_id == f"<reminder-{reminder.pk}@localhost>"
    assert "X-Possible-Duplicate" not in first.headers
    assert second.headers["X-Possible-Duplicate"].startswith("yes")
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.SENT and reminder.possible_duplicate
    assert reminder.status_reason.startswith("Uncertain — possibly delivered")


def test_each_recipient_reads_the_times_of_a_reminder_in_their_own_time_zone_and_the_suspense_as_a_date(
        world, smtp_server, django_capture_on_commit_callbacks):
    """Two recipients, one who chose Tokyo under My preferences (a digest) and one who chose
    nothing (single e-mails, the installation's America/New_York): the same moments, each in the
    reader's own zone and named; the suspense, a date, is the same for both."""
    tokyo, installation = world.users["da_ao"], world.users["dla_approver"]
    services.user_time_zone_set(user=tokyo, time_zone="Asia/Tokyo")
    user_preference_set(user=tokyo, daily_digest=True)
    with time_machine.travel(local(2026, 11, 16, 8, 0), tick=False):
        assigned_taskers(world, 1)
        world.tasker(suspense=datetime.date(2026, 11, 30), organization="DLA")
    with time_machine.travel(local(2026, 11, 20, 7, 5), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        reminders_sweep()
        reminders_digest_claim()
    by_recipient = {m.to[0]: m for m in smtp_server.received}
    assert set(by_recipient) == {tokyo.email, installation.email}

    in_tokyo = by_recipient[tokyo.email]
    assert "Suspense in 5 working days (30 Nov 2026)" in in_tokyo.body
    assert "tasked 16 Nov 2026 22:00 JST" in in_tokyo.body        # 08:00 in New York
    assert "Sent 20 Nov 2026 21:05 JST" in in_tokyo.body
    assert "your time zone, Asia/Tokyo" in in_tokyo.body
    assert "EST" not in in_tokyo.body

    in_new_york = by_recipient[installation.email]
    assert in_new_york.subject == "Suspense reminder: coordination tasker due 30 Nov 2026"
    assert "Suspense in 5 working days (30 Nov 2026)" in in_new_york.body
    assert "tasked 16 Nov 2026 08:00 EST" in in_new_york.body
    assert "Sent 20 Nov 2026 07:05 EST" in in_new_york.body
    assert "your time zone, America/New_York" in in_new_york.body
    assert "JST" not in in_new_york.body

    # The in-app copy of each reminder reads the same as the e-mail its recipient got.
    assert "tasked 16 Nov 2026 22:00 JST" in Notification.objects.get(user=tokyo).text
    assert "tasked 16 Nov 2026 08:00 EST" in Notification.objects.get(user=installation).text
