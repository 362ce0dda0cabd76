"""Reads on plans: who may see which plan (need-to-know), in one place."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from organizations.selectors import organizations_acting_for
from workflow.models import RouteStep, Step, Tasker


def plans_visible_to(user, model) -> QuerySet:
    """Plans of ``model`` that ``user`` may see: their organizations own it, are tasked on it, or
    are its reviewing authority (the review and approval organizations of its kind's routes).
    Superusers (system administrators) see all."""
    if user is None or not user.is_authenticated or not user.is_active:
        return model.objects.none()
    if user.is_superuser:
        return model.objects.all()
    organizations = organizations_acting_for(user)
    tasked = Tasker.objects.filter(content_type=ContentType.objects.get_for_model(model),
                                   organization__in=organizations).values("object_id")
    reviewing = RouteStep.objects.filter(route__document_kind=model.workflow_kind, step__in=(Step.REVIEW, Step.APPROVAL),
                                         organization__in=organizations)
    if reviewing.exists():
        return model.objects.all()
    return model.objects.filter(Q(owner__in=organizations) | Q(pk__in=tasked))
