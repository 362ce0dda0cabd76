"""Reads on materiel diversion requests: who may see which request (need-to-know and markings,
in one place), and each request's partner with its FAD."""

from __future__ import annotations

from django.db.models import QuerySet

from organizations.selectors import active_account
from security.access import marking_q
from security.capacity import per_capacity
from workflow.selectors import need_to_know

from .models import MaterielDiversionRequest


@per_capacity
def requests_visible_to(user) -> QuerySet[MaterielDiversionRequest]:
    """Requests ``user`` may see: cleared for the marking, and their organizations own it (the
    requesting office), are tasked on it (DSCA, the Chairman's office, USD(P), once tasked), or
    hold a designation that reviews every request (USD(P)'s policy office, which decides each one,
    registered with ``workflow.registry``). Superusers have need-to-know for all, not a clearance
    they lack."""
    return need_to_know(MaterielDiversionRequest, user)


@per_capacity
def requests_cleared_for(user) -> QuerySet[MaterielDiversionRequest]:
    """Requests whose marking ``user`` may see, need-to-know aside (their own taskers' rows)."""
    if not active_account(user):
        return MaterielDiversionRequest.objects.none()
    return MaterielDiversionRequest.objects.filter(marking_q(user, MaterielDiversionRequest))
