"""Reads on SCOs, their manning and their requests: who may see which request (need-to-know and
markings, in one place), the manning current on a day, and whether an SCO's supervising command
is the one the area-of-responsibility table names."""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from organizations.models import Designation
from organizations.selectors import (
    active_account,
    command_covering,
    designation_holder_ids,
    organization_ids_acting_for,
)
from runtime.dates import date_words
from security.access import marking_q
from security.capacity import per_capacity
from workflow.selectors import need_to_know

from .models import ManningAuthorization, ManpowerChangeRequest, SecurityCooperationOrganization

# The offices that read every SCO's manning (the report): the approving agency and those whose
# input or coordination the directive asks for (Encl. 2, 2.f and 6.a).
MANNING_READERS = (Designation.SECURITY_COOPERATION_AGENCY, Designation.JOINT_STAFF,
                   Designation.PERSONNEL_READINESS, Designation.DEFENSE_INTELLIGENCE)


@per_capacity
def requests_visible_to(user) -> QuerySet[ManpowerChangeRequest]:
    """Requests ``user`` may see: cleared for the marking, and their organizations own it (the
    SCO, or the command establishing one), supervise it (the SCO's geographic command), are
    tasked on it (the route's organizations, once tasked), or hold a designation that reviews
    every request (DSCA, registered with ``workflow.registry``). Superusers have need-to-know for
    all, not a clearance they lack."""
    return need_to_know(ManpowerChangeRequest, user, also=lambda organizations: Q(supervising_command__in=organizations))


@per_capacity
def requests_cleared_for(user) -> QuerySet[ManpowerChangeRequest]:
    """Requests whose marking ``user`` may see, need-to-know aside (their own taskers' rows)."""
    if not active_account(user):
        return ManpowerChangeRequest.objects.none()
    return ManpowerChangeRequest.objects.filter(marking_q(user, ManpowerChangeRequest))


@per_capacity
def scos_visible_to(user) -> QuerySet[SecurityCooperationOrganization]:
    """SCOs whose manning ``user`` may read: their own SCO, the SCOs their command supervises, and
    every SCO for the offices of ``MANNING_READERS`` and system administrators."""
    scos = SecurityCooperationOrganization.objects.all()
    if not active_account(user):
        return scos.none()
    if user.is_superuser:
        return scos
    organizations = organization_ids_acting_for(user)
    if not organizations:
        return scos.none()
    if designation_holder_ids(MANNING_READERS).intersection(organizations):
        return scos
    return scos.filter(Q(organization__in=organizations) | Q(organization__supervised_by__in=organizations))


def manning_current(sco, *, on: datetime.date | None = None) -> QuerySet[ManningAuthorization]:
    """The authorizations of ``sco`` in force on ``on`` (today by default)."""
    day = on or timezone.localdate()
    return sco.authorizations.filter(Q(effective_until__isnull=True) | Q(effective_until__gt=day),
                                     effective_from__lte=day)


def manning_open(sco) -> dict[str, ManningAuthorization]:
    """The latest authorization of each position still open (no end), by position."""
    return {row.position: row for row in sco.authorizations.filter(effective_until__isnull=True)}


def supervision_refusals(*, country, sco=None, on: datetime.date | None = None) -> list[str]:
    """Why the supervising command cannot be established for ``country`` on ``on`` (nothing when
    it can): a geographic command must cover the country, and an existing SCO's supervising
    command (its ``supervised_by``) must be that command (Encl. 2, 10.e)."""
    day = on or timezone.localdate()
    covering = command_covering(country=country, on=day)
    if covering is None:
        return [f"No geographic combatant command covers {country.name} on {date_words(day)}: the area of "
                "responsibility table must name one."]
    if sco is not None and sco.organization.supervised_by_id != covering.pk:
        recorded = sco.organization.supervised_by or "no command"
        return [f"{sco} is recorded as supervised by {recorded}, but {country.name} is in {covering}'s area of "
                f"responsibility on {date_words(day)}; an administrator must correct the SCO's supervising command."]
    return []


def manning_report(user, *, on: datetime.date | None = None) -> list[dict]:
    """Authorized manning against requests, one row per SCO ``user`` may read, ordered by command
    and country: billets authorized on ``on``, the requests in flight and the billets they would
    add or remove, and the requests approved and disapproved in the fiscal year of ``on``. Only the
    requests ``user`` may see are counted. Four queries, whatever the number of SCOs."""
    from django.db.models import Sum

    from .models import IN_FLIGHT, BilletAction, RequestedBillet, RequestState

    day = on or timezone.localdate()
    fiscal_start = datetime.date(day.year - (day.month < 10), 10, 1)
    scos = list(scos_visible_to(user).select_related("organization__supervised_by", "host_country")
                .order_by("organization__supervised_by__acronym", "host_country__code"))
    authorized = dict(ManningAuthorization.objects.filter(
        Q(effective_until__isnull=True) | Q(effective_until__gt=day), effective_from__lte=day, sco__in=scos)
        .values("sco").annotate(total=Sum("billets")).values_list("sco", "total"))
    requests = list(requests_visible_to(user).filter(sco__in=scos).values("pk", "sco", "state", "decided_at"))
    flying = {r["pk"] for r in requests if r["state"] in IN_FLIGHT}
    lines = RequestedBillet.objects.filter(request__in=flying).values_list("request__sco", "action", "billets")
    asked: dict[int, int] = {}
    for sco_id, action, billets in lines:
        asked[sco_id] = asked.get(sco_id, 0) + (-billets if action == BilletAction.ABOLISH else
                                                billets if action == BilletAction.ADD else 0)
    rows = []
    for sco in scos:
        mine = [r for r in requests if r["sco"] == sco.pk]
        decided = [r for r in mine if r["decided_at"] and timezone.localdate(r["decided_at"]) >= fiscal_start]
        rows.append({
            "command": str(sco.organization.supervised_by or ""), "country": sco.host_country.name,
            "sco": sco.organization.name, "acronym": sco.organization.acronym, "sco_id": sco.pk,
            "authorized": authorized.get(sco.pk, 0),
            "in_flight": sum(1 for r in mine if r["state"] in IN_FLIGHT),
            "billets_requested": asked.get(sco.pk, 0),
            "approved": sum(1 for r in decided if r["state"] == RequestState.APPROVED),
            "disapproved": sum(1 for r in decided if r["state"] == RequestState.DISAPPROVED),
        })
    return rows
