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

DIRECTIVE = "DoDD 5132.03"

# (step, organization acronym, designation, relation, suspense in working days, the paragraph of
# the directive the step implements: ``RouteStep.authority``, shown on the help page and the
# diagram). USD(AT&L) is the directive's name: its taskers go to the offices holding its duties on
# the tasker's date (USD(A&S) and USD(R&E) since 1 Feb 2018, ``organizations.selectors.successors_on``).
DEFAULT_ROUTES = {
    "campaign_plan": (
        "Campaign plan (DoDD 5132.03 default)",
        [
            (Step.COORDINATION, None, "", "supporting_organizations", 10,
             f"{DIRECTIVE}, Encl. 2, 7.a and 8.a: the Defense Agencies, DoD Field Activities and Military "
             "Departments coordinate on campaign plans and allocate resources"),
            (Step.COORDINATION, "USD(AT&L)", "", "", 10,
             f"{DIRECTIVE}, Encl. 2, 3.a and 3.c: USD(AT&L) (today USD(A&S) and USD(R&E)) coordinates on "
             "campaign plans and integrates logistics"),
            (Step.REVIEW, None, JOINT_STAFF, "", 10,
             f"{DIRECTIVE}, Encl. 2, 9.b: the Chairman (Joint Staff J5) reviews combatant command campaign "
             "plans in conjunction with USD(P)"),
            (Step.REVIEW, None, POLICY_OFFICE, "", 10,
             f"{DIRECTIVE}, Encl. 2, 1.c (with 9.b): USD(P) provides oversight and review of regional and "
             "functional campaign plans, recorded as a review"),
            (Step.APPROVAL, None, "", "owner", 5,
             f"{DIRECTIVE}, Encl. 2, 10.a: the combatant commander develops the campaign plan; the directive "
             "names no other approver"),
        ],
    ),
    "campaign_support_plan": (
        "Campaign support plan (DoDD 5132.03 default)",
        [
            (Step.COORDINATION, None, POLICY_OFFICE, "", 10,
             f"{DIRECTIVE}, Encl. 2, 8.b and 1.d: support plans are developed in coordination with USD(P), "
             "who oversees and advises the DoD Components"),
            (Step.COORDINATION, None, "", "supported_commands", 10,
             f"{DIRECTIVE}, Glossary (campaign support plans) and Encl. 2, 10.b: the supported combatant "
             "commands coordinate on the plans supporting theirs"),
            (Step.REVIEW, None, JOINT_STAFF, "", 10,
             f"{DIRECTIVE}, Encl. 2, 9.c: the Chairman reviews campaign support plans for deconfliction, "
             "coordination and integration"),
            (Step.APPROVAL, None, "", "owner", 5,
             f"{DIRECTIVE}, Encl. 2, 7.b and 8.b: the head of the DoD Component develops (signs) its "
             "campaign support plan"),
        ],
    ),
}

# A route option for plans that practice sends higher than the directive's default (the
# directive names no approver above the combatant commander): the policy office approves on the
# Secretary's behalf. Created non-default; an office that may edit the kind's routes sets it on a
# plan (``planning.services.plan_route_option_set``) with the citation of the practice.
HIGHER_APPROVAL_ROUTES = {
    "campaign_plan": (
        "Campaign plan approved by the Secretary of Defense (practice)",
        [
            *DEFAULT_ROUTES["campaign_plan"][1][:4],
            (Step.APPROVAL, None, POLICY_OFFICE, "", 5,
             "Practice (not DoDD 5132.03): plans the Secretary of Defense approves (e.g. as the GEF directs) "
             "go to the Secretary through USD(P); the office setting this option cites its authority"),
        ],
    ),
}


@transaction.atomic
def load(*, stdout=None) -> dict[str, int]:
    counts = {"created": 0, "unchanged": 0}
    routes = [(kind, name, steps, True) for kind, (name, steps) in DEFAULT_ROUTES.items()]
    routes += [(kind, name, steps, False) for kind, (name, steps) in HIGHER_APPROVAL_ROUTES.items()]
    acronyms = {a for _, _, steps, _ in routes for _, a, _, _, _, _ in steps if a}
    # The directive's names: an office since succeeded (USD(AT&L)) is named as the directive names
    # it, and its taskers go to its successors (``workflow.selectors.route_steps_successors``).
    organizations = {o.acronym: o for o in Organization.objects.filter(acronym__in=acronyms)
                     .order_by("active", "-active_until", "pk")}
    held = designation_holders()
    for kind, name, steps, is_default in routes:
        existing = Route.objects.filter(document_kind=kind)
        if existing.filter(is_default=True).exists() if is_default else existing.filter(name=name).exists():
            counts["unchanged"] += 1
            continue
        missing = sorted({a for _, a, _, _, _, _ in steps if a and a not in organizations}
                         | {f"the {designation_name(d)}" for _, _, d, _, _, _ in steps if d and not held.get(d)})
        if missing:
            raise RuntimeError(f"Cannot create the default {kind} route: load the organizations first "
                               f"(missing {', '.join(missing)}).")
        specs = [RouteStepSpec(step=step, organization=organizations.get(acronym) if acronym else None,
                               designation=designation, relation=relation, suspense_working_days=days,
                               authority=authority)
                 for step, acronym, designation, relation, days, authority in steps]
        reasons = route_steps_refusals(document_kind=kind, steps=specs)
        if reasons:
            raise RuntimeError(f"The default {kind} route is refused: {' '.join(reasons)}")
        route = Route.objects.create(document_kind=kind, name=name, is_default=is_default)
        RouteStep.objects.bulk_create([
            RouteStep(route=route, step=spec.step, organization=spec.organization, designation=spec.designation,
                      relation=spec.relation, suspense_working_days=spec.suspense_working_days, position=position,
                      authority=spec.authority)
            for position, spec in enumerate(specs)
        ])
        counts["created"] += 1
    if stdout is not None:
        stdout.write(f"routes: {counts['created']} created, {counts['unchanged']} unchanged")
    return counts
