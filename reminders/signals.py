"""Keeps a tasker's reminders in line with it whenever it is saved one at a time (the workflow
services save with ``save()``/``save(update_fields=...)``). Taskers created with
``bulk_create`` send no signal; the sweep's planning pass finds those."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from workflow.models import Tasker

from .services import reminders_plan

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
