"""The workforce's periodic task: reminders before certifications expire (daily, by beat)."""

from celery import shared_task

from . import services


@shared_task(name="workforce.tasks.expiry_reminders")
def expiry_reminders() -> int:
    return services.expiry_reminders_send()
