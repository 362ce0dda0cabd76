from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "planning"
    verbose_name = "Campaign planning"

    def ready(self):
        from . import permissions

        permissions.register()
        from workflow.registry import register_document

        from .models import CampaignPlan, CampaignSupportPlan
        from .selectors import plans_cleared_for, plans_visible_to

        for model in (CampaignPlan, CampaignSupportPlan):
            register_document(model, visible=lambda user, model=model: plans_visible_to(user, model),
                              cleared=lambda user, model=model: plans_cleared_for(user, model))
