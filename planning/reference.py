"""Reference data of the planning app: the default routes, as the directive assigns them.
Loaded by ``manage.py load_reference_data``; administrators edit routes in the admin afterwards
(``workflow.services.route_update``), so an existing route is never overwritten.

Review and approval name designated offices (``organizations.Designation``), not acronyms: a
document's route snapshot goes to whoever holds the designation when the document starts."""

from __future__ import annotations

from django.db import transaction

from organizations.models import Designation, Organization
from organizations.selectors import designation_holders, designation_name
from workflow.models import Route, RouteStep, Step
from workflow.services import RouteStepSpec, route_steps_refusals

JOINT_STAFF, POLICY_OFFICE = Designation.JOINT_STAFF, Designation.POLICY_OFFICE

# (step, organization acronym, designation, relation, suspense in working days)
DEFAULT_ROUTES = {
    "campaign_plan": (
        "Campaign plan (DoDD 5132.03 default)",
        [
            # Coordination with the supporting components and USD(AT&L) (Encl. 2, 2.c).
            (Step.COORDINATION, None, "", "supporting_organizations", 10),
            (Step.COORDINATION, "USD(AT&L)", "", "", 10),
            # Review by the Joint Staff in conjunction with the policy office (Encl. 2, 1.d and 10.c).
            (Step.REVIEW, None, JOINT_STAFF, "", 10),
            (Step.REVIEW, None, POLICY_OFFICE, "", 10),
            # Approval by the policy office.
            (Step.APPROVAL, None, POLICY_OFFICE, "", 5),
        ],
    ),
    "campaign_support_plan": (
        "Campaign support plan (DoDD 5132.03 default)",
        [
            # Developed in coordination with the policy office and the supported combatant commands.
            (Step.COORDINATION, None, POLICY_OFFICE, "", 10),
            (Step.COORDINATION, None, "", "supported_commands", 10),
            # Reviewed by CJCS for deconfliction and integration.
            (Step.REVIEW, None, JOINT_STAFF, "", 10),
            # Signed by the owning component.
            (Step.APPROVAL, None, "", "owner", 5),
        ],
    ),
}


@transaction.atomic
def load(*, stdout=None) -> dict[str, int]:
    counts = {"created": 0, "unchanged": 0}
    acronyms = {a for _, steps in DEFAULT_ROUTES.values() for _, a, _, _, _ in steps if a}
    organizations = {o.acronym: o for o in Organization.objects.filter(acronym__in=acronyms, active=True)}
    held = designation_holders()
    for kind, (name, steps) in DEFAULT_ROUTES.items():
        if Route.objects.filter(document_kind=kind).exists():
            counts["unchanged"] += 1
            continue
        missing = sorted({a for _, a, _, _, _ in steps if a and a not in organizations}
                         | {f"the {designation_name(d)}" for _, _, d, _, _ in steps if d and not held.get(d)})
        if missing:
            raise RuntimeError(f"Cannot create the default {kind} route: load the organizations first "
                               f"(missing {', '.join(missing)}).")
        specs = [RouteStepSpec(step=step, organization=organizations.get(acronym) if acronym else None,
                               designation=designation, relation=relation, suspense_working_days=days)
                 for step, acronym, designation, relation, days in steps]
        reasons = route_steps_refusals(document_kind=kind, steps=specs)
        if reasons:
            raise RuntimeError(f"The default {kind} route is refused: {' '.join(reasons)}")
        route = Route.objects.create(document_kind=kind, name=name, is_default=True)
        RouteStep.objects.bulk_create([
            RouteStep(route=route, step=spec.step, organization=spec.organization, designation=spec.designation,
                      relation=spec.relation, suspense_working_days=spec.suspense_working_days, position=position)
            for position, spec in enumerate(specs)
        ])
        counts["created"] += 1
    if stdout is not None:
        stdout.write(f"routes: {counts['created']} created, {counts['unchanged']} unchanged")
    return counts
