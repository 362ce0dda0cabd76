from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "workflow"
    verbose_name = "Workflow: routes, taskers, comments, history"

    def ready(self) -> None:
        from . import audit, permissions  # noqa: F401 (audit: every history entry is audited)

        permissions.register()
