from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "workflow"
    verbose_name = "Workflow: routes, taskers, comments, history"

    def ready(self) -> None:
        from . import audit, permissions  # noqa: F401 (audit: every history entry is audited)

        permissions.register()
        from django.db.models.signals import post_delete, post_save

        from runtime.request_memo import request_memo_clear

        from .models import Route

        # The default route of a kind is memoized per request (selectors.route_default_row).
        for signal in (post_save, post_delete):
            signal.connect(request_memo_clear, sender=Route, dispatch_uid="request_memo_clear_Route")
