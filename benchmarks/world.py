"""The people and reference data every synthetic document refers to: the directive's
organizations and countries (the product's own reference data), the default routes, three staff
per organization (action officer, reviewer, approver) and a GEF with its end states."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from organizations.models import AreaOfResponsibility, Membership, Organization, OrganizationKind, Role
from planning import reference as planning_reference
from planning.models import GEFEndState, GEFGuidance, Plan
from workflow.models import Route
from workflow.selectors import _snapshot_steps

K = OrganizationKind
STAFF_ROLES = (Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER)
SUPPORT_PLAN_OWNER_KINDS = (K.MILITARY_DEPARTMENT, K.DEFENSE_AGENCY, K.FIELD_ACTIVITY, K.MILITARY_SERVICE)


def slug(acronym: str) -> str:
    return "".join(ch for ch in acronym.lower() if ch.isalnum())


@dataclass
class World:
    org_ids: dict[str, int]
    commands: list[int]
    functional_commands: list[int]
    components: list[int]
    countries: list[int]
    end_states: list[int]
    gef_id: int
    # Per kind of plan (the model): its content type, default route and route snapshot.
    content_type: dict[type, int]
    route: dict[type, int]
    snapshot: dict[type, dict]
    staff: dict[str, int] = field(default_factory=dict)  # "<acronym>:<role>" -> user id

    def user_id(self, acronym: str, role: str) -> int:
        return self.staff[f"{acronym}:{role}"]


def world_build(*, log=print) -> World:
    """Load the reference data through the product's own commands and services, then add the
    staff and a GEF in bulk (one password hash for everyone: sessions are made directly)."""
    call_command("load_reference_data", verbosity=0, stdout=_Null())
    planning_reference.load()
    organizations = list(Organization.objects.filter(active=True).exclude(kind__in=(K.OTHER, K.SCO)))
    password = make_password(None)  # unusable: nobody logs in with a password here
    User = get_user_model()
    users = User.objects.bulk_create([
        User(username=f"{slug(org.acronym)}_{role}", password=password, is_staff=True,
             first_name=org.acronym, last_name=Role(role).label)
        for org in organizations for role in STAFF_ROLES
    ])
    staff: dict[str, int] = {}
    memberships = []
    for user, (org, role) in zip(users, [(o, r) for o in organizations for r in STAFF_ROLES], strict=True):
        staff[f"{org.acronym}:{role}"] = user.pk
        memberships.append(Membership(user=user, organization=org, role=role, start=datetime.date(2020, 1, 1),
                                      is_coordinator=role != Role.ACTION_OFFICER))
    Membership.objects.bulk_create(memberships)
    gef = GEFGuidance.objects.create(year=2026, title="Guidance for Employment of the Force (SYNTHETIC)",
                                     issued_on=datetime.date(2026, 1, 15))
    end_states = GEFEndState.objects.bulk_create([
        GEFEndState(gef=gef, code=f"ES-{n}", title=title) for n, title in enumerate(
            ["Partners capable of providing for their own security",
             "Interoperable coalition partners for multinational operations",
             "Assured U.S. access and freedom of action"], start=1)
    ])
    routes = {r.document_kind: r for r in Route.objects.filter(is_default=True)}

    def snapshot(model) -> dict:
        route = routes[model.workflow_kind]
        return {"route_id": route.pk, "route_name": route.name, "taken_at": "2026-01-02T09:00:00+00:00",
                "steps": [{**s, "organization": next((o.acronym for o in organizations
                                                       if o.pk == s["organization_id"]), "")}
                          for s in _snapshot_steps(model(owner=organizations[0]))]}

    by_kind = lambda *kinds: [o.pk for o in organizations if o.kind in kinds]  # noqa: E731
    world = World(
        org_ids={o.acronym: o.pk for o in organizations},
        commands=by_kind(K.GEOGRAPHIC_CCMD, K.FUNCTIONAL_CCMD),
        functional_commands=by_kind(K.FUNCTIONAL_CCMD),
        components=by_kind(*SUPPORT_PLAN_OWNER_KINDS),
        countries=sorted(set(AreaOfResponsibility.objects.filter(end__isnull=True).values_list("country_id", flat=True))),
        end_states=[e.pk for e in end_states],
        gef_id=gef.pk,
        content_type={kind: ContentType.objects.get_for_model(kind).pk for kind in Plan.kinds()},
        route={kind: routes[kind.workflow_kind].pk for kind in Plan.kinds()},
        snapshot={kind: snapshot(kind) for kind in Plan.kinds()},
        staff=staff,
    )
    log(f"world: {len(organizations)} organizations, {len(users)} staff, {len(world.countries)} partner countries")
    return world


class _Null:
    def write(self, *_args, **_kwargs) -> None:
        pass

    def flush(self) -> None:
        pass
