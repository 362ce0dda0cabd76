"""Celery tasks: thin, each calls one service. Retrying any of them is harmless: the outbox
rows decide what is still to do."""

from celery import shared_task

from . import notices, services


@shared_task(name="reminders.tasks.sweep")
def sweep() -> int:
    return len(services.reminders_sweep())


@shared_task(name="reminders.tasks.deliver", ignore_result=True)
def deliver(reminder_id: int) -> str:
    return services.reminder_deliver(reminder_id=reminder_id)


@shared_task(name="reminders.tasks.deliver_many", ignore_result=True)
def deliver_many(reminder_ids: list[int]) -> dict[int, str]:
    return services.reminders_deliver(reminder_ids=reminder_ids)


@shared_task(name="reminders.tasks.digest")
def digest() -> int:
    return len(services.reminders_digest_claim())


@shared_task(name="reminders.tasks.deliver_digest", ignore_result=True)
def deliver_digest(user_id: int, reminder_ids: list[int], part: int = 1, parts: int = 1) -> str:
    return services.digest_deliver(user_id=user_id, reminder_ids=reminder_ids, part=part, parts=parts)


@shared_task(name="reminders.tasks.replan_around")
def replan_around(day: str) -> int:
    import datetime

    return services.reminders_replan_around(day=datetime.date.fromisoformat(day))


@shared_task(name="reminders.tasks.raise_notices", ignore_result=True)
def raise_notices() -> int:
    return notices.notices_raise()
