"""Keeps a tasker's reminders in line with it whenever it is saved one at a time (the workflow
services save with ``save()``/``save(update_fields=...)``) or closed in bulk by the engine
(``workflow.signals.taskers_closed``). Taskers created with ``bulk_create`` send no signal; the
sweep's planning pass finds those. A moved suspense (``workflow.signals.suspense_moved``) is
also told to whoever works the tasker, as an in-app notification. Every history entry and
every tasker issued in bulk is looked at for the notices people get of it (``reminders.notices``)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from runtime.task_queue import enqueue_on_commit
from workflow.models import Closure, Tasker
from workflow.signals import history_appended, suspense_moved, taskers_closed, taskers_issued

from .notices import notice_events_record
from .services import reminders_plan, suspense_moved_notify

FIELDS_THAT_MOVE_REMINDERS = {"suspense", "state", "assignee", "assignee_id", "organization", "organization_id"}


@receiver(post_save, sender=Tasker, dispatch_uid="reminders_plan_on_tasker_save")
def plan_reminders_of_saved_tasker(sender, instance: Tasker, created: bool, raw: bool = False,
                                   update_fields=None, **kwargs) -> None:
    if raw:
        return
    if update_fields is not None and not FIELDS_THAT_MOVE_REMINDERS.intersection(update_fields):
        return
    # In the saving transaction: the tasker and its reminders commit (or roll back) together.
    reminders_plan(taskers=[instance])


@receiver(taskers_closed, dispatch_uid="reminders_plan_on_taskers_closed")
def plan_reminders_of_closed_taskers(sender, taskers: list[Tasker], **kwargs) -> None:
    # In the closing transaction, for the whole batch at once: what is scheduled is cancelled.
    reminders_plan(taskers=taskers)


@receiver(suspense_moved, dispatch_uid="reminders_notify_suspense_moved")
def notify_suspense_moved(sender, tasker: Tasker, document, previous, by=None, reason: str = "", **kwargs) -> None:
    # In the moving transaction: the notice is written, or rolled back, with the move.
    suspense_moved_notify(tasker=tasker, document=document, previous=previous, by=by, reason=reason)


@receiver(post_save, sender=Closure, dispatch_uid="reminders_replan_on_closure_saved")
@receiver(post_delete, sender=Closure, dispatch_uid="reminders_replan_on_closure_deleted")
def replan_reminders_around_closure(sender, instance: Closure, raw: bool = False, **kwargs) -> None:
    """A declared (or withdrawn) closure moves the working days reminders count: re-date what is
    scheduled around it, once the closure is committed (a task: there may be many taskers)."""
    if raw:
        return
    from .tasks import replan_around

    enqueue_on_commit(replan_around, instance.date.isoformat())


@receiver(history_appended, dispatch_uid="reminders_notice_history")
def record_notice_events_of_history(sender, entries, **kwargs) -> None:
    # In the appending transaction: the event is recorded, or rolled back, with the change.
    notice_events_record(entries=entries)


@receiver(taskers_issued, dispatch_uid="reminders_notice_taskers_issued")
def record_notice_events_of_issued_taskers(sender, taskers, **kwargs) -> None:
    notice_events_record(taskers=taskers)
