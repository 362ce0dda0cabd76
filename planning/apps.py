from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "planning"
    verbose_name = "Campaign planning"

    def ready(self):
        from . import permissions

        permissions.register()
        from organizations.models import Designation
        from workflow.registry import register_document
        from workflow.rules import workflow_install

        from .models import Plan
        from .selectors import plans_cleared_for, plans_visible_to
        from .workflows import PLAN_WORKFLOW

        workflow_install(PLAN_WORKFLOW)

        # The Joint Staff (J5) reviews every campaign plan and support plan (Encl. 2, 9.b and 9.c), in
        # conjunction with the policy office (1.c and 1.d); each plan is signed by its owner (10.a, 7.b, 8.b).
        reviewing = (Designation.JOINT_STAFF, Designation.POLICY_OFFICE)
        for model in Plan.kinds():
            register_document(model, visible=lambda user, model=model: plans_visible_to(user, model),
                              cleared=lambda user, model=model: plans_cleared_for(user, model),
                              reviewing_designations=reviewing, owner_approves=model.owner_approves,
                              # USD(P) issues the policy for both kinds of plan (1.c, 1.d).
                              procedure_owner=Designation.POLICY_OFFICE)
