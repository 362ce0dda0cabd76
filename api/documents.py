"""The kinds of routed document the API exposes, each with its need-to-know selector. Taskers,
comments and history are shown only for documents the user may see, through these selectors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from planning.models import CampaignPlan, CampaignSupportPlan
from planning.selectors import plans_visible_to


@dataclass(frozen=True)
class DocumentKind:
    resource: str
    model: type
    visible: Callable[[object], QuerySet]


DOCUMENT_KINDS: list[DocumentKind] = [
    DocumentKind("campaign-plans", CampaignPlan, lambda user: plans_visible_to(user, CampaignPlan)),
    DocumentKind("campaign-support-plans", CampaignSupportPlan, lambda user: plans_visible_to(user, CampaignSupportPlan)),
]


def kind_by_resource(resource: str) -> DocumentKind | None:
    return next((kind for kind in DOCUMENT_KINDS if kind.resource == resource), None)


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
