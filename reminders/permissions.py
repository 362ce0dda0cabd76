"""Who may open and change reminders (``organizations.authority``): the reminder policy is the
installation's (system administrators); the outbox is written by the services only; a person's
notifications and notification preferences are their own."""

from __future__ import annotations

from rules import Predicate

from organizations.authority import declare, is_staff_member, is_system_administrator, never

from .models import NoticePreference, Notification, Reminder, ReminderPolicy, UserPreference


def _own(user, row=None) -> bool:
    return bool(is_staff_member(user) and (row is None or row.user_id == user.pk))


own = Predicate(_own, name="own_record")


def _reminder_visible(user, reminder: Reminder | None = None) -> bool:
    from workflow.permissions import tasker_document_visible

    if reminder is not None and reminder.tasker_id is None:  # a notice: its recipient's own
        return bool(is_staff_member(user) and reminder.recipient_id == user.pk)
    return tasker_document_visible(user, reminder.tasker if reminder is not None else None)


def register() -> None:
    declare(ReminderPolicy, view=is_staff_member, add=is_system_administrator, change=is_system_administrator,
            delete=is_system_administrator)
    declare(Reminder, view=Predicate(_reminder_visible, name="reminder_visible"))
    declare(Notification, view=own)
    # Adding one's preference when it exists saves over it (user_preference_set): no second row.
    declare(UserPreference, view=own, add=own, change=own, delete=never)
    declare(NoticePreference, view=own, add=own, change=own, delete=own)
