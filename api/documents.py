"""The kinds of routed document the API exposes, each with its need-to-know selector. Taskers,
comments and history are shown only for documents the user may see, through these selectors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from assessments.models import Assessment, AssessmentCycle, ProgramAssessment, Template
from initiatives.models import Initiative, InitiativeEvaluation
from manpower.models import ManpowerChangeRequest
from materiel.models import MaterielDiversionRequest
from planning.models import CampaignPlan, CampaignSupportPlan
from workflow.registry import visible_documents
from workforce.models import WorkforceReadinessReport


@dataclass(frozen=True)
class DocumentKind:
    resource: str
    model: type
    visible: Callable[[object], QuerySet]


def _registered(model) -> Callable[[object], QuerySet]:
    """The visibility selector the owning app registered with the engine (need-to-know and
    markings in one place each); the API adds no rule of its own."""
    return lambda user: visible_documents(model, user)


DOCUMENT_KINDS: list[DocumentKind] = [
    DocumentKind("campaign-plans", CampaignPlan, _registered(CampaignPlan)),
    DocumentKind("campaign-support-plans", CampaignSupportPlan, _registered(CampaignSupportPlan)),
    DocumentKind("assessment-cycles", AssessmentCycle, _registered(AssessmentCycle)),
    DocumentKind("assessment-templates", Template, _registered(Template)),
    DocumentKind("assessments", Assessment, _registered(Assessment)),
    DocumentKind("program-assessments", ProgramAssessment, _registered(ProgramAssessment)),
    DocumentKind("manpower-change-requests", ManpowerChangeRequest, _registered(ManpowerChangeRequest)),
    DocumentKind("materiel-diversion-requests", MaterielDiversionRequest, _registered(MaterielDiversionRequest)),
    DocumentKind("initiatives", Initiative, _registered(Initiative)),
    DocumentKind("initiative-evaluations", InitiativeEvaluation, _registered(InitiativeEvaluation)),
    DocumentKind("workforce-readiness-reports", WorkforceReadinessReport, _registered(WorkforceReadinessReport)),
]


def kind_by_resource(resource: str) -> DocumentKind | None:
    return next((kind for kind in DOCUMENT_KINDS if kind.resource == resource), None)


def visible_to(user, resource: str) -> QuerySet:
    return kind_by_resource(resource).visible(user)


def resource_of(content_type_id: int) -> str:
    model = ContentType.objects.get_for_id(content_type_id).model_class()
    return next((kind.resource for kind in DOCUMENT_KINDS if kind.model is model), "")
