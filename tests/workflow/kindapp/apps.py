from django.apps import AppConfig


class KindAppConfig(AppConfig):
    name = "tests.workflow.kindapp"
    label = "kindapp"
    verbose_name = "Engine test kind"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from workflow.registry import register_document
        from workflow.rules import workflow_install

        from .models import Proposal
        from .workflows import PROPOSAL_WORKFLOW

        workflow_install(PROPOSAL_WORKFLOW)
        # Everyone may see a proposal: the engine's tests are about its services, not need-to-know.
        register_document(Proposal, visible=lambda user: Proposal.objects.all())
