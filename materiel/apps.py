from django.apps import AppConfig


class MaterielConfig(AppConfig):
    name = "materiel"
    verbose_name = "Materiel diversion"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import permissions

        permissions.register()
        from organizations.models import Designation
        from workflow.registry import register_document
        from workflow.rules import workflow_install

        from .models import MaterielDiversionRequest
        from .selectors import requests_cleared_for, requests_visible_to
        from .workflows import MATERIEL_WORKFLOW

        workflow_install(MATERIEL_WORKFLOW)
        # USD(P) decides every diversion (Encl. 2, 1.g): its policy office reads every request.
        register_document(MaterielDiversionRequest, visible=requests_visible_to, cleared=requests_cleared_for,
                          reviewing_designations=(Designation.POLICY_OFFICE,),
                          # USD(P) decides diversions in consultation with DSCA (1.g): it owns the route.
                          procedure_owner=Designation.POLICY_OFFICE)
