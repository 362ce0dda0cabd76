from django.apps import AppConfig


class InitiativesConfig(AppConfig):
    name = "initiatives"
    verbose_name = "Security cooperation initiatives (AM&E)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import permissions

        permissions.register()
        from organizations.models import Designation, Role
        from workflow.models import Step
        from workflow.registry import register_document
        from workflow.rules import workflow_install

        from .models import Initiative, InitiativeEvaluation
        from .selectors import (
            evaluations_cleared_for,
            evaluations_visible_to,
            initiatives_cleared_for,
            initiatives_visible_to,
        )
        from .workflows import EVALUATION_WORKFLOW, INITIATIVE_WORKFLOW

        workflow_install(INITIATIVE_WORKFLOW)
        workflow_install(EVALUATION_WORKFLOW)
        # DSCA administers the programs and approves their initiatives' designs (Encl. 2, 2);
        # USD(P) approves the evaluations (Encl. 2, 1.k).
        register_document(Initiative, visible=initiatives_visible_to, cleared=initiatives_cleared_for,
                          reviewing_designations=(Designation.SECURITY_COOPERATION_AGENCY,),
                          # DSCA runs assessment, monitoring and evaluation of initiatives (1.k).
                          procedure_owner=Designation.SECURITY_COOPERATION_AGENCY,
                          # A monitoring entry due (the completion tasker) is the owner's action
                          # officers' to write: in their My work, theirs the reminders; its approvers
                          # are told once it is overdue (the reminder policy's escalation).
                          tasker_roles={Step.COMPLETION: (Role.ACTION_OFFICER,)})
        register_document(InitiativeEvaluation, visible=evaluations_visible_to, cleared=evaluations_cleared_for,
                          reviewing_designations=(Designation.POLICY_OFFICE,),
                          procedure_owner=Designation.SECURITY_COOPERATION_AGENCY)
