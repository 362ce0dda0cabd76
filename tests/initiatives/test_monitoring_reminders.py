"""Who is reminded of a monitoring entry falling due (DoDI 5132.14 practice; Encl. 2, 1.k): the
initiative owner's action officers, who write the entries, before and on the day; its approvers
only once the entry is overdue (the escalation), then the reviewing authority. Through the real
outbox: the reminders planned, swept and e-mailed."""

from __future__ import annotations

import datetime

import time_machine
from django.core import mail
from django.utils import timezone

from organizations.models import Membership, Role
from reminders.models import Reminder, StepKind
from reminders.services import reminders_plan_new, reminders_sweep
from workflow.models import Step
from workflow.selectors import open_taskers

from .test_initiative_route import approved

AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER
NOW = datetime.datetime(2026, 11, 30, 17, 0, tzinfo=datetime.UTC)


def _members(world):
    for acronym, role in (("EUCOM", AO), ("EUCOM", REV), ("EUCOM", APP), ("DSCA", APP), ("DSCA", REV)):
        user = world.user(acronym, role)
        user.email = f"{user.username}@example.mil"
        user.save(update_fields=["email"])


def _planned(tasker) -> dict[tuple[str, int], set[str]]:
    planned: dict[tuple[str, int], set[str]] = {}
    for row in Reminder.objects.filter(tasker=tasker).select_related("step", "recipient"):
        planned.setdefault((row.step.kind, row.step.offset_working_days), set()).add(row.recipient.username)
    return planned


def _sent_at(moment, django_capture_on_commit_callbacks) -> list[str]:
    mail.outbox.clear()
    with time_machine.travel(moment + datetime.timedelta(minutes=1), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        reminders_sweep()
    return sorted(address for message in mail.outbox for address in message.to)


def test_the_action_officers_are_reminded_and_the_approvers_told_only_when_overdue(
        world, django_capture_on_commit_callbacks):
    _members(world)
    with time_machine.travel(NOW, tick=False):
        initiative = approved(world)
        reminders_plan_new()
    tasker = open_taskers(initiative, step=Step.COMPLETION).get()
    planned = _planned(tasker)
    reminders = {key: users for key, users in planned.items() if key[0] == StepKind.REMINDER}
    assert reminders and all(users == {"eucom_action_officer"} for users in reminders.values()), planned
    assert planned[(StepKind.ESCALATION, 1)] == {"eucom_approver"}
    assert planned[(StepKind.ESCALATION, 5)] == {"dsca_approver", "dsca_reviewer"}  # the reviewing authority
    _sent_at(NOW, django_capture_on_commit_callbacks)  # the approval's own notices, out of the way
    # The e-mails as they go out: before the suspense to the action officer alone ...
    first = min(r.due_at for r in Reminder.objects.filter(tasker=tasker, step__kind=StepKind.REMINDER))
    assert timezone.localdate(first) < tasker.suspense
    assert _sent_at(first, django_capture_on_commit_callbacks) == ["eucom_action_officer@example.mil"]
    # ... and the day after it, still unanswered, to the command's approver.
    overdue = Reminder.objects.get(tasker=tasker, step__kind=StepKind.ESCALATION, step__offset_working_days=1)
    assert timezone.localdate(overdue.due_at) > tasker.suspense
    assert _sent_at(overdue.due_at, django_capture_on_commit_callbacks) == ["eucom_approver@example.mil"]


def test_with_no_action_officer_today_the_rest_of_the_command_is_reminded(world):
    _members(world)
    with time_machine.travel(NOW, tick=False):
        initiative = approved(world)
        Membership.objects.filter(user=world.user("EUCOM", AO)).update(end=datetime.date(2026, 11, 30))
        reminders_plan_new()
    tasker = open_taskers(initiative, step=Step.COMPLETION).get()
    reminders = {users for (kind, _), users in ((k, frozenset(v)) for k, v in _planned(tasker).items())
                 if kind == StepKind.REMINDER}
    assert reminders == {frozenset({"eucom_reviewer", "eucom_approver"})}


def test_other_taskers_of_an_initiative_still_remind_every_member_of_the_tasked_office(world):
    _members(world)
    from workflow.services import transition_perform

    with time_machine.travel(NOW, tick=False):
        initiative = transition_perform(document=world.initiative(), name="submit", by=world.user("EUCOM", AO))
        initiative = transition_perform(document=initiative, name="concur", by=world.user("EUCOM", APP))
        reminders_plan_new()
    tasker = open_taskers(initiative, step=Step.APPROVAL).get()  # DSCA's approval of the design
    reminders = [users for (kind, _), users in _planned(tasker).items() if kind == StepKind.REMINDER]
    assert reminders and all(users == {"dsca_approver", "dsca_reviewer"} for users in reminders)


def test_the_monitoring_entry_due_is_in_the_action_officers_my_work_not_the_approvers(world):
    from workflow.inbox import my_work

    with time_machine.travel(NOW, tick=False):
        initiative = approved(world)

        def due_for(user):
            return [item for item in my_work(user).items  # the tasker to work, not a decision to take
                    if item.kind == "initiative" and item.document_id == initiative.pk and item.what == "answer"]

        assert due_for(world.user("EUCOM", AO))  # theirs to write
        assert not due_for(world.user("EUCOM", APP)) and not due_for(world.user("EUCOM", REV))
