from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "Assessments"

    def ready(self):
        from . import permissions

        permissions.register()
        from organizations.models import Designation
        from workflow.registry import register_document
        from workflow.rules import workflow_install

        from .models import Assessment, AssessmentCycle, ProgramAssessment, Template
        from .selectors import assessments_cleared_for, documents_visible_to
        from .workflows import WORKFLOWS

        for workflow in WORKFLOWS:
            workflow_install(workflow)

        # Every routed kind of the cycle, the template too (its consultation tasker to USD(P) is
        # listed, answered and reminded like any other).
        for model in (AssessmentCycle, Template, Assessment, ProgramAssessment):
            register_document(model, visible=lambda user, model=model: documents_visible_to(user, model),
                              cleared=assessments_cleared_for if model is Assessment else None,
                              # The Joint Staff runs the cycle's procedure, USD(P) consulted (9.a).
                              procedure_owner=Designation.JOINT_STAFF)
