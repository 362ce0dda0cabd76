"""Reads on materiel diversion requests: who may see which request (need-to-know and markings,
in one place), and each request's partner with its FAD."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from organizations.selectors import active_account, designation_holder_ids, organization_ids_acting_for
from security.access import marking_q
from workflow.models import Tasker
from workflow.registry import exists_row_by_row, reviewing_designations

from .models import MaterielDiversionRequest


def requests_visible_to(user) -> QuerySet[MaterielDiversionRequest]:
    """Requests ``user`` may see: cleared for the marking, and their organizations own it (the
    requesting office), are tasked on it (DSCA, the Chairman's office, USD(P), once tasked), or
    hold a designation that reviews every request (USD(P)'s policy office, which decides each one,
    registered with ``workflow.registry``). Superusers have need-to-know for all, not a clearance
    they lack."""
    model = MaterielDiversionRequest
    if not active_account(user):
        return model.objects.none()
    cleared = model.objects.filter(marking_q(user, model))
    if user.is_superuser:
        return cleared
    organizations = organization_ids_acting_for(user)
    if not organizations:
        return model.objects.none()
    if designation_holder_ids(reviewing_designations(model)).intersection(organizations):
        return cleared
    tasked = exists_row_by_row(Tasker.objects.filter(content_type=ContentType.objects.get_for_model(model),
                                                     organization__in=organizations),
                               field="object_id", outer="pk")
    return cleared.filter(Q(owner__in=organizations) | tasked)


def requests_cleared_for(user) -> QuerySet[MaterielDiversionRequest]:
    """Requests whose marking ``user`` may see, need-to-know aside (their own taskers' rows)."""
    if not active_account(user):
        return MaterielDiversionRequest.objects.none()
    return MaterielDiversionRequest.objects.filter(marking_q(user, MaterielDiversionRequest))
