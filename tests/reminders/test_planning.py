"""Which reminders a tasker gets, when, and to whom; how they follow the tasker's changes.
These run on SQLite without services (tasks eager, e-mail in memory)."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core import mail

from reminders.models import (
    Audience,
    PlanningMark,
    Reminder,
    ReminderPolicy,
    ReminderSchedule,
    ReminderStatus,
    ReminderStep,
    StepKind,
)
from reminders.services import reminder_due_at, reminders_plan_new, reminders_sweep

from .conftest import local

pytestmark = pytest.mark.django_db


def schedule_of(tasker) -> set[tuple[str, int, str, datetime.date]]:
    """(recipient, offset, kind, local due date) of a tasker's rows still scheduled."""
    from django.utils import timezone

    return {(r.recipient.username, r.step.offset_working_days, r.step.kind, timezone.localdate(r.due_at))
            for r in Reminder.objects.filter(tasker=tasker, status=ReminderStatus.SCHEDULED)
            .select_related("recipient", "step")}


def test_default_policy_reminds_5_and_1_working_days_before_and_on_the_day_skipping_thanksgiving(world):
    with time_machine.travel(local(2026, 11, 16), tick=False):
        tasker = world.tasker(suspense=datetime.date(2026, 11, 30))  # the Monday after Thanksgiving
    members = ("da_ao", "da_reviewer", "da_approver")  # not the org admin: administrators answer nothing
    expected = {(u, -5, "reminder", datetime.date(2026, 11, 20)) for u in members}  # Thursday 26th skipped
    expected |= {(u, -1, "reminder", datetime.date(2026, 11, 27)) for u in members}
    expected |= {(u, 0, "reminder", datetime.date(2026, 11, 30)) for u in members}
    expected |= {("da_approver", 1, "escalation", datetime.date(2026, 12, 1))}
    expected |= {(u, 5, "escalation", datetime.date(2026, 12, 7)) for u in ("js_reviewer", "usdp_approver")}
    assert schedule_of(tasker) == expected


def test_a_suspense_after_christmas_is_reminded_on_christmas_eve_not_on_christmas_day():
    due = reminder_due_at(suspense=datetime.date(2026, 12, 28), offset_working_days=-1)
    assert due.date() == datetime.date(2026, 12, 24)
    assert due.hour == 7


def test_an_assigned_tasker_reminds_the_assignee_alone(world):
    with time_machine.travel(local(2026, 11, 16), tick=False):
        tasker = world.tasker(suspense=datetime.date(2026, 11, 30), assignee=world.users["da_ao"])
    assert {u for (u, offset, _, _) in schedule_of(tasker) if offset <= 0} == {"da_ao"}


def test_reassigning_a_tasker_moves_its_pending_reminders_to_the_new_assignee(world):
    with time_machine.travel(local(2026, 11, 16), tick=False):
        tasker = world.tasker(suspense=datetime.date(2026, 11, 30), assignee=world.users["da_ao"])
        tasker.assignee = world.users["da_reviewer"]
        tasker.save(update_fields=["assignee"])
    assert {u for (u, offset, _, _) in schedule_of(tasker) if offset <= 0} == {"da_reviewer"}
    assert Reminder.objects.filter(tasker=tasker, recipient=world.users["da_ao"],
                                   status=ReminderStatus.CANCELLED).count() == 3


def test_steps_already_past_when_the_tasker_is_issued_are_not_sent(world):
    with time_machine.travel(local(2026, 11, 25), tick=False):
        tasker = world.tasker(suspense=datetime.date(2026, 11, 30))
    assert {offset for (_, offset, _, _) in schedule_of(tasker)} == {-1, 0, 1, 5}


def test_answering_a_tasker_cancels_every_pending_reminder(world):
    with time_machine.travel(local(2026, 11, 16), tick=False):
        tasker = world.tasker(suspense=datetime.date(2026, 11, 30))
        tasker.mark_answered()
        tasker.save(update_fields=["state"])
    assert schedule_of(tasker) == set()
    assert Reminder.objects.filter(tasker=tasker).exclude(status=ReminderStatus.CANCELLED).count() == 0


def test_moving_a_suspense_later_re_dates_what_is_pending_and_keeps_what_was_sent(
        world, django_capture_on_commit_callbacks):
    with time_machine.travel(local(2026, 11, 16), tick=False):
        tasker = world.tasker(suspense=datetime.date(2026, 11, 30))
    with time_machine.travel(local(2026, 11, 20, 9), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            sent = reminders_sweep()
        assert len(sent) == 3  # the 5-day reminders, sent
        tasker.suspense = datetime.date(2026, 12, 14)
        tasker.save(update_fields=["suspense", "suspense_reason"])
    assert {(u, o, d) for (u, o, _, d) in schedule_of(tasker) if o == -1} == {
        (u, -1, datetime.date(2026, 12, 11)) for u in ("da_ao", "da_reviewer", "da_approver")}
    assert Reminder.objects.filter(tasker=tasker, status=ReminderStatus.SENT).count() == 3
    assert ReminderSchedule.objects.get(tasker=tasker).suspense == datetime.date(2026, 12, 14)


def test_a_policy_for_one_kind_of_document_replaces_the_default_for_that_kind(world):
    policy = ReminderPolicy.objects.create(name="Campaign plans: one reminder", workflow_kind="campaign_plan")
    ReminderStep.objects.create(policy=policy, kind=StepKind.REMINDER, offset_working_days=-2,
                                audience=Audience.ORGANIZATION_APPROVERS)
    with time_machine.travel(local(2026, 11, 16), tick=False):
        tasker = world.tasker(suspense=datetime.date(2026, 11, 30))
    assert schedule_of(tasker) == {("da_approver", -2, "reminder", datetime.date(2026, 11, 25))}


def test_the_default_policy_is_recreated_when_an_administrator_removed_every_policy(world):
    ReminderStep.objects.all().delete()
    ReminderPolicy.objects.all().delete()
    with time_machine.travel(local(2026, 11, 16), tick=False):
        tasker = world.tasker(suspense=datetime.date(2026, 11, 30))
    assert len(schedule_of(tasker)) == 12
    assert ReminderPolicy.objects.get().steps.count() == 5


def test_taskers_created_in_bulk_send_no_signal_and_are_planned_by_the_sweep(world):
    with time_machine.travel(local(2026, 11, 16), tick=False):
        taskers = world.taskers_in_bulk(3, suspense=datetime.date(2026, 11, 30))
        assert not Reminder.objects.exists()
        reminders_sweep()
        assert Reminder.objects.filter(tasker__in=taskers).count() == 3 * 12
    with time_machine.travel(local(2026, 11, 16, 9), tick=False):
        reminders_sweep()  # the planning lag has passed: the mark moves over them
    assert PlanningMark.objects.get(name="taskers").last_id == max(t.pk for t in taskers)
    assert Reminder.objects.filter(tasker__in=taskers).count() == 3 * 12


def test_the_planning_mark_does_not_pass_a_tasker_younger_than_the_lag(world):
    with time_machine.travel(local(2026, 11, 16), tick=False):
        first = world.taskers_in_bulk(1, suspense=datetime.date(2026, 11, 30))
    with time_machine.travel(local(2026, 11, 16, 8, 30), tick=False):
        world.taskers_in_bulk(1, suspense=datetime.date(2026, 11, 30))
        reminders_plan_new()
    assert PlanningMark.objects.get(name="taskers").last_id == first[0].pk


def test_the_sweep_sends_each_due_reminder_once_and_nothing_before_it_is_due(world, django_capture_on_commit_callbacks):
    with time_machine.travel(local(2026, 11, 16), tick=False):
        world.tasker(suspense=datetime.date(2026, 11, 30))
    with time_machine.travel(local(2026, 11, 20, 6, 59), tick=False):
        assert reminders_sweep() == []
    with time_machine.travel(local(2026, 11, 20, 7, 1), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert len(reminders_sweep()) == 3
        with django_capture_on_commit_callbacks(execute=True):
            assert reminders_sweep() == []
    assert sorted(m.to[0] for m in mail.outbox) == ["da_ao@example.mil", "da_approver@example.mil",
                                                    "da_reviewer@example.mil"]


def test_taskers_issued_and_cancelled_by_the_workflow_services_get_and_lose_their_reminders(world):
    from workflow.services import taskers_cancel_open, taskers_issue

    with time_machine.travel(local(2026, 11, 16), tick=False):
        issued = taskers_issue(document=world.plan, step="coordination", working_days=10,
                               participants=[(world.orgs["DA"], "named by the route"),
                                             (world.orgs["DLA"], "named by the route")])
        reminders_sweep()  # bulk_create sent no signal: the sweep plans them
        assert Reminder.objects.filter(tasker__in=issued, status=ReminderStatus.SCHEDULED).count() == 12 + 6
        assert taskers_cancel_open(document=world.plan, reason="Withdrawn by the owner") == 2
    assert not Reminder.objects.filter(tasker__in=issued, status=ReminderStatus.SCHEDULED).exists()


def test_a_recipient_deactivated_before_the_reminder_is_due_is_not_reminded(world, django_capture_on_commit_callbacks):
    with time_machine.travel(local(2026, 11, 16), tick=False):
        world.tasker(suspense=datetime.date(2026, 11, 30))
    world.users["da_reviewer"].is_active = False
    world.users["da_reviewer"].save()
    with time_machine.travel(local(2026, 11, 20, 8), tick=False), django_capture_on_commit_callbacks(execute=True):
        reminders_sweep()
    assert sorted(m.to[0] for m in mail.outbox) == ["da_ao@example.mil", "da_approver@example.mil"]
    assert Reminder.objects.get(recipient=world.users["da_reviewer"], step__offset_working_days=-5).status == \
        ReminderStatus.CANCELLED
