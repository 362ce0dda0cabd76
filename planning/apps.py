from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "planning"
    verbose_name = "Campaign planning"

    def ready(self):
        from workflow.registry import register_document

        from .models import CampaignPlan, CampaignSupportPlan
        from .selectors import plans_visible_to

        register_document(CampaignPlan, visible=lambda user: plans_visible_to(user, CampaignPlan))
        register_document(CampaignSupportPlan, visible=lambda user: plans_visible_to(user, CampaignSupportPlan))
