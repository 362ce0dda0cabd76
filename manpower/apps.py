from django.apps import AppConfig


class ManpowerConfig(AppConfig):
    name = "manpower"
    verbose_name = "SCO manpower"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import permissions

        permissions.register()
        from organizations.models import Designation
        from workflow.registry import register_document
        from workflow.rules import workflow_install

        from .models import ManpowerChangeRequest
        from .selectors import requests_cleared_for, requests_visible_to
        from .workflows import MANPOWER_WORKFLOW

        workflow_install(MANPOWER_WORKFLOW)
        # DSCA approves every SCO joint manpower program (Encl. 2, 2.f): it reads every request.
        register_document(ManpowerChangeRequest, visible=requests_visible_to, cleared=requests_cleared_for,
                          reviewing_designations=(Designation.SECURITY_COOPERATION_AGENCY,),
                          # DSCA manages the SCOs' joint manpower program (2.f): it owns the route.
                          procedure_owner=Designation.SECURITY_COOPERATION_AGENCY)
