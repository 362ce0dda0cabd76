from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "organizations"
    verbose_name = "Organizations and people"

    def ready(self) -> None:
        from . import permissions

        permissions.register()
        from django.db.models.signals import post_delete, post_save

        from runtime.request_memo import request_memo_clear

        from .models import Delegation, Membership, Organization, OrganizationSuccession

        # Who acts for whom is memoized per request (organizations.selectors.acting_roles), and
        # how offices are named (organization_labels).
        for model in (Membership, Delegation, Organization, OrganizationSuccession):
            for signal in (post_save, post_delete):
                signal.connect(request_memo_clear, sender=model, dispatch_uid=f"request_memo_clear_{model.__name__}")
