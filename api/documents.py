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
from assessments.rules import may_run_cycle
from organizations.selectors import organizations_acting_for
from planning.models import CampaignPlan, CampaignSupportPlan
from planning.selectors import plans_visible_to


@dataclass(frozen=True)
class DocumentKind:
    resource: str
    model: type
    visible: Callable[[object], QuerySet]


def _taking_part(model, *organization_paths: str) -> Callable[[object], QuerySet]:
    """Assessments have no need-to-know selector of their own yet: visible to the cycle's
    administrators and the admin's viewers (model permission), and otherwise to the organizations
    the workflow names on the document (owner, reviewing, evaluating), the ones who may act on it.
    TODO: move to assessments.selectors once that app provides one."""

    def visible(user) -> QuerySet:
        if user is None or not user.is_authenticated or not user.is_active:
            return model.objects.none()
        if may_run_cycle(user) or user.has_perm(f"{model._meta.app_label}.view_{model._meta.model_name}"):
            return model.objects.all()
        organizations = organizations_acting_for(user)
        taking_part = reduce(or_, [Q(**{f"{path}__in": organizations}) for path in organization_paths])
        return model.objects.filter(pk__in=model.objects.filter(taking_part).values("pk"))

    return visible


DOCUMENT_KINDS: list[DocumentKind] = [
    DocumentKind("campaign-plans", CampaignPlan, lambda user: plans_visible_to(user, CampaignPlan)),
    DocumentKind("campaign-support-plans", CampaignSupportPlan, lambda user: plans_visible_to(user, CampaignSupportPlan)),
    DocumentKind("assessment-cycles", AssessmentCycle, _taking_part(
        AssessmentCycle, "owner", "policy_office", "program_coordinator", "assessment_set__owner",
        "programassessment_set__owner")),
    DocumentKind("assessments", Assessment, _taking_part(Assessment, "owner", "cycle__owner", "cycle__policy_office")),
    DocumentKind("program-assessments", ProgramAssessment, _taking_part(
        ProgramAssessment, "owner", "cycle__owner", "cycle__program_coordinator", "cycle__policy_office")),
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
