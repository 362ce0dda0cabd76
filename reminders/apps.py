from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "reminders"
    verbose_name = "Reminders: suspense reminders, escalations and notifications"

    def ready(self) -> None:
        from . import permissions

        permissions.register()
        from . import signals  # noqa: F401 (connects the receivers)
