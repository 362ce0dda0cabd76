"""Reference data of the planning app: the default routes, as the directive assigns them.
Loaded by ``manage.py load_reference_data``; administrators edit routes in the admin afterwards,
so an existing route is never overwritten."""

from __future__ import annotations

from django.db import transaction

from organizations.models import Organization
from workflow.models import Route, RouteStep, Step

DEFAULT_ROUTES = {
    "campaign_plan": (
        "Campaign plan (DoDD 5132.03 default)",
        [
            # Coordination with the supporting components and USD(AT&L) (Encl. 2, 2.c).
            (Step.COORDINATION, None, "supporting_organizations", 10),
            (Step.COORDINATION, "USD(AT&L)", "", 10),
            # Review by the Joint Staff in conjunction with USD(P) (Encl. 2, 1.d and 10.c).
            (Step.REVIEW, "J5", "", 10),
            (Step.REVIEW, "USD(P)", "", 10),
            # Approval by USD(P).
            (Step.APPROVAL, "USD(P)", "", 5),
        ],
    ),
    "campaign_support_plan": (
        "Campaign support plan (DoDD 5132.03 default)",
        [
            # Developed in coordination with USD(P) and the supported combatant commands.
            (Step.COORDINATION, "USD(P)", "", 10),
            (Step.COORDINATION, None, "supported_commands", 10),
            # Reviewed by CJCS for deconfliction and integration.
            (Step.REVIEW, "J5", "", 10),
            # Signed by the owning component.
            (Step.APPROVAL, None, "owner", 5),
        ],
    ),
}


@transaction.atomic
def load(*, stdout=None) -> dict[str, int]:
    counts = {"created": 0, "unchanged": 0}
    acronyms = {a for _, steps in DEFAULT_ROUTES.values() for _, a, _, _ in steps if a}
    organizations = {o.acronym: o for o in Organization.objects.filter(acronym__in=acronyms, active=True)}
    for kind, (name, steps) in DEFAULT_ROUTES.items():
        if Route.objects.filter(document_kind=kind).exists():
            counts["unchanged"] += 1
            continue
        missing = sorted(a for _, a, _, _ in steps if a and a not in organizations)
        if missing:
            raise RuntimeError(f"Cannot create the default {kind} route: load the organizations first "
                               f"(missing {', '.join(missing)}).")
        route = Route.objects.create(document_kind=kind, name=name, is_default=True)
        RouteStep.objects.bulk_create([
            RouteStep(route=route, step=step, organization=organizations.get(acronym) if acronym else None,
                      relation=relation, suspense_working_days=days, position=position)
            for position, (step, acronym, relation, days) in enumerate(steps)
        ])
        counts["created"] += 1
    if stdout is not None:
        stdout.write(f"routes: {counts['created']} created, {counts['unchanged']} unchanged")
    return counts
