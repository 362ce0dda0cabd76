"""Reads about who may act for whom. Every other part asks these; none re-implements them."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import (
    Aggregate,
    BigIntegerField,
    CharField,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.utils import timezone

from runtime.compiled import Statement
from runtime.request_memo import request_memo, request_memo_active, request_memo_get, request_memo_store

from .models import AreaOfResponsibility, Delegation, Membership, Organization, Role


def active_account(user) -> bool:
    """A signed-in account that is switched on: the first thing every rule of who may act asks."""
    return bool(user is not None and user.is_authenticated and user.is_active)


def _today(on: datetime.date | None) -> datetime.date:
    return on or timezone.localdate()


def memberships_active(*, on: datetime.date | None = None) -> QuerySet[Membership]:
    return Membership.objects.active(on=on)


def delegations_active(*, on: datetime.date | None = None) -> QuerySet[Delegation]:
    day = _today(on)
    return Delegation.objects.filter(start__lte=day, end__gt=day)


@dataclass(frozen=True)
class Capacity:
    """How a user acts for an organization: in their own right, or for ``on_behalf_of``."""

    user_id: int
    organization_id: int
    role: str
    on_behalf_of_id: int | None = None


def acting_capacity(
    *, user, organization: Organization | int, roles: Iterable[str] | str,
    on: datetime.date | None = None, coordinator: bool = False,
) -> Capacity | None:
    """The capacity in which ``user`` may act for ``organization`` in one of ``roles`` on ``on``
    (today by default), or None. Own memberships come first; otherwise an active delegation
    from someone who holds the role that day. ``coordinator`` requires the designation in
    writing to answer coordination requests (held by the user, or by the delegator)."""
    return acting_capacity_among(user=user, organizations=[organization], roles=roles, on=on, coordinator=coordinator)


def _own_roles(day: datetime.date, user_id: int, org_ids: tuple[int, ...], roles: tuple[str, ...], coordinator: bool):
    """The user's own memberships on ``day`` in ``roles`` of ``org_ids``: (organization, role)."""
    own = memberships_active(on=day).filter(user_id=user_id, organization_id__in=org_ids, role__in=roles)
    if coordinator:
        own = own.filter(is_coordinator=True)
    return own.order_by("-role").values_list("organization_id", "role")


# Compiled once per shape (runtime.compiled): every transition outside a request asks it.
_OWN_ROLES = Statement(_own_roles, name="acting_capacity")


def acting_capacity_among(
    *, user, organizations: Sequence[Organization | int], roles: Iterable[str] | str,
    on: datetime.date | None = None, coordinator: bool = False,
) -> Capacity | None:
    """``acting_capacity`` for the first of ``organizations`` the user may act for in their own
    right, else the first they may act for by delegation. In a request it is answered from
    ``acting_roles`` (read once); elsewhere (a task, a command, a service called directly) the
    common case, an own membership, is one simple query."""
    if not active_account(user):
        return None
    roles = {roles} if isinstance(roles, str) else set(roles)
    org_ids = list(dict.fromkeys(o if isinstance(o, int) else o.pk for o in organizations))
    if not org_ids:
        return None
    if not request_memo_active():
        held = {}
        for org_id, role in _OWN_ROLES.rows(_today(on), user.pk, tuple(org_ids), tuple(sorted(roles)), coordinator):
            held[org_id] = role  # the first role in order wins, as below
        for org_id in org_ids:
            if org_id in held:
                return Capacity(user.pk, org_id, held[org_id])
    acting = [a for a in acting_roles(user, on=on) if a.role in roles and (a.is_coordinator or not coordinator)]
    for delegated in (False, True):
        for org_id in org_ids:
            found = sorted((a.role, a.on_behalf_of_id or 0) for a in acting if a.organization_id == org_id
                           and (a.on_behalf_of_id is not None) == delegated)
            if found:
                role, on_behalf_of = found[0]
                return Capacity(user.pk, org_id, role, on_behalf_of_id=on_behalf_of or None)
    return None


def may_act(*, user, organization, role: Iterable[str] | str, on: datetime.date | None = None,
            coordinator: bool = False) -> bool:
    """May this user act for this organization in this role, now (or on ``on``)?"""
    return acting_capacity(user=user, organization=organization, roles=role, on=on, coordinator=coordinator) is not None


def organizations_acting_for(user, *, role: Iterable[str] | str | None = None,
                             on: datetime.date | None = None) -> QuerySet[Organization]:
    """The organizations ``user`` acts for on ``on``: own memberships, and delegations received that
    ``acting_capacity`` would honour (the delegator holds the role that day, the delegate is a member).
    The rule is ``acting_roles``'s; this is its organizations as a queryset."""
    if not active_account(user):
        return Organization.objects.none()
    return Organization.objects.filter(pk__in=organization_ids_acting_for(user, role=role, on=on))


@dataclass(frozen=True)
class Acting:
    """One organization a user acts for, in one role: their own membership, or a delegation
    received from ``on_behalf_of_id`` that is honoured that day. ``is_coordinator``: designated
    in writing to answer coordination requests (the delegator's designation for a delegation)."""

    organization_id: int
    kind: str
    role: str
    is_coordinator: bool = False
    on_behalf_of_id: int | None = None


def acting_roles(user, *, on: datetime.date | None = None) -> tuple[Acting, ...]:
    """Every organization ``user`` acts for on ``on`` with the roles they hold there, as
    ``organizations_acting_for`` counts them, in one query; read once per request."""
    if not active_account(user):
        return ()
    day = _today(on)

    def read() -> tuple[Acting, ...]:
        active = memberships_active(on=day)
        own = active.filter(user_id=user.pk)
        holder = active.filter(user_id=OuterRef("delegator_id"), organization_id=OuterRef("organization_id"),
                               role=OuterRef("role"))
        delegated = delegations_active(on=day).filter(
            delegate_id=user.pk, organization_id__in=own.values("organization_id"),
        ).filter(Exists(holder)).annotate(holder_is_coordinator=Exists(holder.filter(is_coordinator=True)))
        # No ORDER BY inside the UNION (SQLite refuses it; delegations have a default ordering).
        rows = own.order_by().values_list("organization_id", "organization__kind", "role", "is_coordinator",
                                          Value(None, output_field=BigIntegerField())).union(
            delegated.order_by().values_list("organization_id", "organization__kind", "role",
                                             "holder_is_coordinator", "delegator_id"), all=True)
        return tuple(sorted({Acting(*row) for row in rows},
                            key=lambda a: (a.organization_id, a.role, a.on_behalf_of_id or 0)))

    return request_memo(("acting_roles", user.pk, day), read)


def organization_ids_acting_for(user, *, role: Iterable[str] | str | None = None,
                                kinds: Iterable[str] | None = None, on: datetime.date | None = None) -> list[int]:
    """The ids of ``organizations_acting_for`` (in one role or several, of some kinds), from
    ``acting_roles``: no query once the request has read them."""
    roles = None if role is None else ({role} if isinstance(role, str) else set(role))
    kinds = None if kinds is None else set(kinds)
    return sorted({a.organization_id for a in acting_roles(user, on=on)
                   if (roles is None or a.role in roles) and (kinds is None or a.kind in kinds)})


def organizations_administered_by(user, *, on: datetime.date | None = None) -> QuerySet[Organization]:
    """The organizations whose memberships ``user`` manages: where they act as organization
    administrator on ``on`` (today by default). Superusers are not special-cased here."""
    return organizations_acting_for(user, role=Role.ORG_ADMIN, on=on)


def organization_references(*, organization: Organization) -> dict[str, int]:
    """What still points at ``organization``, by the referring model's plural name, across every
    installed app (memberships, periods, taskers, plans...). Empty means it may be deleted."""
    found = {}
    for relation in organization._meta.related_objects:
        count = relation.related_model._base_manager.filter(**{relation.field.name: organization}).count()
        if count:
            found[str(relation.related_model._meta.verbose_name_plural)] = count
    return found


def command_covering(*, country, on: datetime.date | None = None) -> Organization | None:
    """The geographic combatant command that covered ``country`` (a Country, or an ISO code) on ``on``."""
    day = _today(on)
    periods = AreaOfResponsibility.objects.filter(Q(end__isnull=True) | Q(end__gt=day), start__lte=day)
    if isinstance(country, str):
        periods = periods.filter(country__code=country.upper())
    else:
        periods = periods.filter(country_id=country.pk)
    period = periods.select_related("command").first()
    return period.command if period else None


def commands_covering(*, countries, on: datetime.date | None = None) -> dict[int, Organization]:
    """For many countries at once: {country id: command} on ``on`` (one query)."""
    day = _today(on)
    periods = AreaOfResponsibility.objects.filter(
        Q(end__isnull=True) | Q(end__gt=day), start__lte=day, country__in=countries
    ).select_related("command")
    return {period.country_id: period.command for period in periods}


def designation_holders(*, on: datetime.date | None = None) -> dict[str, tuple[int, ...]]:
    """Every designation with the organizations holding it on ``on`` (today by default): a handful
    of rows, read once per request."""
    from .models import OrganizationDesignation

    day = _today(on)

    def read() -> dict[str, tuple[int, ...]]:
        held: dict[str, list[int]] = {}
        # The holders' names are read along: pages name the designated offices (route steps,
        # refusals) by ``organization_label`` with no query of their own.
        for designation, organization_id, acronym, current_acronym, formerly in (
                OrganizationDesignation.objects.filter(Q(end__isnull=True) | Q(end__gt=day), start__lte=day)
                .annotate(formerly=predecessors_joined("organization_id", on=day))
                .order_by("designation", "start").values_list("designation", "organization_id", "organization__acronym",
                                                              "organization__current_acronym", "formerly")):
            held.setdefault(designation, []).append(organization_id)
            request_memo_store(("organization_label", organization_id, day), label_of(
                Organization(pk=organization_id, acronym=acronym, current_acronym=current_acronym), formerly))
        return {designation: tuple(ids) for designation, ids in held.items()}

    return request_memo(("designation_holders", day), read)


def designated_organization(designation: str, *, on: datetime.date | None = None) -> Organization | None:
    """The organization holding ``designation`` on ``on``, or None when no one holds it."""
    ids = designation_holders(on=on).get(designation, ())
    return Organization.objects.filter(pk=ids[0]).first() if ids else None


def organization_holds(organization: Organization | int | None, designation: str, *,
                       on: datetime.date | None = None) -> bool:
    if organization is None:
        return False
    organization_id = organization if isinstance(organization, int) else organization.pk
    return organization_id in designation_holders(on=on).get(designation, ())


def designations_acting_for(user, *, role: Iterable[str] | str | None = None,
                            on: datetime.date | None = None) -> set[str]:
    """The designations of the organizations ``user`` acts for (in ``role``, if given)."""
    organizations = set(organization_ids_acting_for(user, role=role, on=on))
    if not organizations:
        return set()
    return {designation for designation, holders in designation_holders(on=on).items()
            if organizations.intersection(holders)}


def acts_for_designation(user, designation: str, *, role: Iterable[str] | str | None = None,
                         on: datetime.date | None = None) -> bool:
    """Does ``user`` act (in ``role``, if given) for the organization holding ``designation``?"""
    return designation in designations_acting_for(user, role=role, on=on)


DESIGNATION_NAMES = {
    "policy_office": "policy office (USD(P))",
    "joint_staff": "Joint Staff office (J5)",
    "security_cooperation_agency": "security cooperation agency (DSCA)",
    "program_analysis": "program analysis office (CAPE, formerly PA&E)",
    "personnel_readiness": "personnel and readiness office (USD(P&R))",
    "defense_intelligence": "defense intelligence office (DIA)",
}


def designation_name(designation: str) -> str:
    """A designation in a sentence: "policy office (USD(P))" (refusals name the designation)."""
    return DESIGNATION_NAMES.get(designation, designation.replace("_", " "))


def designation_holder_ids(designations: Iterable[str], *, on: datetime.date | None = None) -> set[int]:
    """The organizations holding any of ``designations`` on ``on`` (from ``designation_holders``)."""
    holders = designation_holders(on=on)
    return {pk for designation in designations for pk in holders.get(designation, ())}


def person_roles_text(user) -> str:
    """The person's roles in words for the header: "Action officer, EUCOM; Reviewer, J5"."""
    rows = (memberships_active().filter(user_id=user.pk).order_by("organization__acronym", "role")
            .values_list("role", "organization__acronym"))
    words = [f"{Role(role).label}, {acronym}" for role, acronym in rows]
    if not words and user.is_superuser:
        words = ["System administrator"]
    return "; ".join(words)


# Force/activity designators (Encl. 2, 9.f) ---------------------------------------------------------

def fad_assignments_on(*, on: datetime.date | None = None) -> QuerySet:
    """The FAD assignments in force on ``on`` (today by default): one per partner at most."""
    from .models import FADAssignment

    day = _today(on)
    return FADAssignment.objects.filter(Q(effective_until__isnull=True) | Q(effective_until__gt=day),
                                        effective_from__lte=day)


def fads_of_countries(countries, *, on: datetime.date | None = None) -> dict[int, object]:
    """The FAD assignment in force on ``on`` of each of ``countries`` (ids or rows) that has one,
    by country id: one query, for a list of partners."""
    ids = [getattr(c, "pk", c) for c in countries]
    if not ids:
        return {}
    return {row.country_id: row for row in fad_assignments_on(on=on).filter(country_id__in=ids)}


def fad_of_country(country, *, on: datetime.date | None = None):
    """The FAD assignment of ``country`` in force on ``on``, or None when the Chairman assigned none."""
    if country is None:
        return None
    return fads_of_countries([country], on=on).get(getattr(country, "pk", country))


def fads_of_partner_organizations(names: Iterable[str], *, on: datetime.date | None = None) -> dict[str, object]:
    """The FAD assignment in force on ``on`` of each of the partner organizations ``names`` that
    has one, by the name in upper case (a partner organization is named the same whatever the
    case, as ``fad_assign`` matches it): one query, for a list of partners."""
    wanted = {name.strip().upper() for name in names if name and name.strip()}
    if not wanted:
        return {}
    from django.db.models.functions import Upper

    rows = fad_assignments_on(on=on).filter(country__isnull=True).annotate(key=Upper("partner_organization"))
    return {row.key: row for row in rows.filter(key__in=wanted)}


def fad_of_partner(*, country=None, partner_organization: str = "", on: datetime.date | None = None):
    """The FAD assignment in force on ``on`` of a partner named as a FAD names one: a country (a
    row or an id), or else a partner organization by name; None when the Chairman assigned none."""
    if country is not None:
        return fad_of_country(country, on=on)
    name = (partner_organization or "").strip()
    return fads_of_partner_organizations([name], on=on).get(name.upper()) if name else None


def fad_words(assignment) -> str:
    """How a partner's FAD reads beside its name: “FAD II (since 1 October 2025)”, or “No FAD assigned”."""
    if assignment is None:
        return "No FAD assigned"
    from runtime.dates import date_words

    return f"{assignment.get_designator_display()} (since {date_words(assignment.effective_from)})"


def successors_on(organization_ids: Iterable[int], *, on: datetime.date | None = None) -> dict[int, list[Organization]]:
    """For each of ``organization_ids`` whose duties had passed to successors by ``on`` (today by
    default), the offices holding them that day, followed through later successions (one query a
    generation; the chains are short). Organizations without successors are left out."""
    from .models import OrganizationSuccession

    day = _today(on)
    wanted = [pk for pk in organization_ids if pk]
    edges: dict[int, list[Organization]] = {}
    pending, seen = set(wanted), set()
    for _generation in range(5):
        pending -= seen
        if not pending:
            break
        seen |= pending
        rows = (OrganizationSuccession.objects.filter(predecessor_id__in=pending, start__lte=day)
                .select_related("successor").order_by("start", "successor__acronym"))
        pending = set()
        for row in rows:
            edges.setdefault(row.predecessor_id, []).append(row.successor)
            pending.add(row.successor_id)

    def follow(pk: int, depth: int = 0) -> list[Organization]:
        found: list[Organization] = []
        for successor in edges.get(pk, ()):
            later = follow(successor.pk, depth + 1) if depth < 5 else []
            found.extend(later or [successor])
        return found

    return {pk: follow(pk) for pk in wanted if pk in edges}


def organization_label(organization: Organization, *, on: datetime.date | None = None) -> str:
    """How pages name an office: today's acronym, with the directive's beside it where it changed
    ("USD(A&S), formerly USD(AT&L)"; "USD(I&S), formerly USD(I)")."""
    return organization_labels([organization], on=on).get(organization.pk, organization.acronym)


class _Joined(Aggregate):
    """Texts joined by a separator, on PostgreSQL (STRING_AGG) and SQLite (GROUP_CONCAT)."""

    function = "STRING_AGG"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="GROUP_CONCAT", **extra_context)


def predecessors_joined(organization_path: str = "pk", *, on: datetime.date | None = None) -> Subquery:
    """For a query's rows, the acronyms of the offices whose duties the organization at
    ``organization_path`` held by ``on`` (today by default), joined by " and " (None when none):
    annotate a page's query with it and ``label_of`` names its rows with no query of their own."""
    from .models import OrganizationSuccession

    rows = (OrganizationSuccession.objects.filter(successor_id=OuterRef(organization_path), start__lte=_today(on))
            .order_by().values("successor_id")
            .annotate(names=_Joined("predecessor__acronym", Value(" and "))).values("names")[:1])
    return Subquery(rows, output_field=CharField())


def label_of(organization: Organization, formerly: str | None = None) -> str:
    """``organization_label`` from the organization and its predecessors (``predecessors_joined``)."""
    if organization.current_acronym and organization.current_acronym != organization.acronym:
        return f"{organization.current_acronym}, formerly {organization.acronym}"
    return f"{organization.acronym}, formerly {formerly}" if formerly else organization.acronym


def organization_labels(organizations: Iterable[Organization | int | None], *,
                        on: datetime.date | None = None, read: bool = True) -> dict[int, str]:
    """``organization_label`` of each of ``organizations`` (rows, or ids) by id, in one query
    whatever their number: a page reads it once for all its rows, never once a row. A row read
    with its predecessors (``formerly``, from ``predecessors_joined``) needs no query; in a
    request, an office labelled once (or a designated office's holder, ``designation_holders``)
    is not read again. ``read=False``: only those known so, no query (the others left out)."""
    labels: dict[int, str] = {}
    ids: set[int] = set()
    for organization in organizations:
        if organization is None:
            continue
        if on is None and isinstance(organization, Organization) and "formerly" in organization.__dict__:
            labels[organization.pk] = label_of(organization, organization.formerly)
        elif getattr(organization, "pk", organization) is not None:
            ids.add(getattr(organization, "pk", organization))
    ids -= labels.keys()
    if not ids:
        return labels
    day = _today(on)
    memo = {pk: request_memo_get(("organization_label", pk, day)) for pk in ids}
    labels.update({pk: label for pk, label in memo.items() if label is not None})
    missing = {pk for pk, label in memo.items() if label is None}
    if missing and read:
        rows = (Organization.objects.filter(pk__in=missing).only("pk", "acronym", "current_acronym")
                .annotate(formerly=predecessors_joined("pk", on=on)))
        for row in rows:
            labels[row.pk] = label_of(row, row.formerly)
            request_memo_store(("organization_label", row.pk, day), labels[row.pk])
    return labels


def organizations_in_words(organizations: Iterable[Organization | int | None], *,
                           on: datetime.date | None = None) -> str:
    """Offices named in a sentence, each as ``organization_label`` names it (one query at most,
    ``organization_labels``): "DA; USD(A&S), formerly USD(AT&L)" (``labels_in_words``)."""
    organizations = [o for o in organizations if o is not None]
    labels = organization_labels(organizations, on=on)
    return labels_in_words([labels.get(getattr(o, "pk", o)) or str(o) for o in organizations])


def labels_in_words(labels: Iterable[str]) -> str:
    """Offices' labels in a sentence, in the order given, once each, separated by commas, or by
    semicolons when a label has a comma of its own ("DA; USD(A&S), formerly USD(AT&L)")."""
    names = list(dict.fromkeys(labels))
    return ("; " if any(", " in name for name in names) else ", ").join(names)


def with_organization_labels(*groups: Iterable, attribute: str = "organization", extra: Iterable = (),
                             on: datetime.date | None = None) -> dict[int, str]:
    """Give each row of ``groups`` (taskers, comments…) ``organization_label``: how the page names
    the office in ``attribute`` today ("USD(A&S), formerly USD(AT&L)"), one query for all; the
    labels (with those of ``extra``, organizations or ids the page names elsewhere) are returned
    by id. Stored texts (history, reasons written at the time) are not touched: they keep the
    name used then."""
    groups = [list(group) for group in groups]
    # Rows already named (``organization_label``) or read with their office's predecessors
    # (``<attribute>_formerly``, from ``predecessors_joined``) need no query.
    read: dict[int, str] = {}
    for row in (row for group in groups for row in group) if on is None else ():
        organization = getattr(row, attribute, None)
        if organization is None:
            continue
        if attribute == "organization" and row.__dict__.get("organization_label"):
            read[organization.pk] = row.__dict__["organization_label"]
        elif f"{attribute}_formerly" in row.__dict__:
            read[organization.pk] = label_of(organization, row.__dict__[f"{attribute}_formerly"])
    labels = read | organization_labels([getattr(row, attribute, None) for group in groups for row in group
                                         if getattr(getattr(row, attribute, None), "pk", None) not in read]
                                        + list(extra), on=on)
    for group in groups:
        for row in group:
            organization = getattr(row, attribute, None)
            row.organization_label = labels.get(getattr(organization, "pk", None), str(organization or ""))
    return labels


def successions_cited() -> list:
    """Every succession of offices (``OrganizationSuccession``), oldest first, with its
    predecessor and successor read along: who took over whose duties, on which day, on what
    primary source (the help page's and the organization page's "offices through time")."""
    from .models import OrganizationSuccession

    return list(OrganizationSuccession.objects.select_related("predecessor", "successor")
                .order_by("start", "predecessor__acronym", "successor__acronym"))
