"""The kinds of routed document the API exposes, each with its need-to-know selector. Taskers,
comments and history are shown only for documents the user may see, through these selectors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from assessments.models import Assessment, AssessmentCycle, ProgramAssessment
from planning.models import CampaignPlan, CampaignSupportPlan
from workflow.registry import visible_documents


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
    DocumentKind("assessments", Assessment, _registered(Assessment)),
    DocumentKind("program-assessments", ProgramAssessment, _registered(ProgramAssessment)),
]


def kind_by_resource(resource: str) -> DocumentKind | None:
    return next((kind for kind in DOCUMENT_KINDS if kind.resource == resource), None)


def visible_to(user, resource: str) -> QuerySet:
    return kind_by_resource(resource).visible(user)


def resource_of(content_type_id: int) -> str:
    model = ContentType.objects.get_for_id(content_type_id).model_class()
    return next((kind.resource for kind in DOCUMENT_KINDS if kind.model is model), "")


def visible_documents_q(user, kinds: list[DocumentKind] | None = None) -> Q:
    """Rows pointing at a document (content_type, object_id) that ``user`` may see."""
    parts = [
        Q(content_type=ContentType.objects.get_for_model(kind.model), object_id__in=kind.visible(user).values("pk"))
        for kind in (DOCUMENT_KINDS if kinds is None else kinds)
    ]
    return reduce(or_, parts) if parts else Q(pk__in=[])
