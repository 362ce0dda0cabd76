from django.apps import AppConfig


class WorkforceConfig(AppConfig):
    name = "workforce"
    verbose_name = "Security cooperation workforce"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import permissions

        permissions.register()
        from organizations.models import Designation
        from workflow.registry import register_document
        from workflow.rules import workflow_install

        from .models import WorkforceReadinessReport
        from .selectors import reports_cleared_for, reports_visible_to
        from .workflows import WORKFORCE_WORKFLOW

        workflow_install(WORKFORCE_WORKFLOW)
        # USD(P&R) identifies, tracks and assesses the workforce's readiness (Encl. 2, 6.b, 6.c):
        # it reads every report DSCA submits.
        register_document(WorkforceReadinessReport, visible=reports_visible_to, cleared=reports_cleared_for,
                          reviewing_designations=(Designation.PERSONNEL_READINESS,),
                          # USD(P&R) tracks and assesses the workforce's readiness (4.e): it owns the route.
                          procedure_owner=Designation.PERSONNEL_READINESS)
