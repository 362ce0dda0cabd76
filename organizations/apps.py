from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "organizations"
    verbose_name = "Organizations and people"

    def ready(self) -> None:
        from . import permissions

        permissions.register()
        from django.db.models.signals import post_delete, post_save

        from runtime.request_memo import request_memo_clear

        from .models import Delegation, Membership

        # Who acts for whom is memoized per request (organizations.selectors.acting_roles).
        for model in (Membership, Delegation):
            for signal in (post_save, post_delete):
                signal.connect(request_memo_clear, sender=model, dispatch_uid=f"request_memo_clear_{model.__name__}")
