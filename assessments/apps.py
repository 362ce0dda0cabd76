from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "Assessments"

    def ready(self):
        from . import permissions

        permissions.register()
        from workflow.registry import register_document
        from workflow.rules import workflow_install

        from .models import Assessment, AssessmentCycle, ProgramAssessment
        from .selectors import assessments_cleared_for, documents_visible_to
        from .workflows import WORKFLOWS

        for workflow in WORKFLOWS:
            workflow_install(workflow)

        for model in (AssessmentCycle, Assessment, ProgramAssessment):
            register_document(model, visible=lambda user, model=model: documents_visible_to(user, model),
                              cleared=assessments_cleared_for if model is Assessment else None)
