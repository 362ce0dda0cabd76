"""Reference data of the initiatives app: the default routes of an initiative's design and of an
evaluation, each step citing the directive or DoDI 5132.14. Loaded by ``manage.py
load_reference_data``; idempotent. An existing route is never overwritten (administrators edit
routes afterwards)."""

from __future__ import annotations

from django.db import transaction

from organizations.models import Designation
from organizations.selectors import designation_holders, designation_name
from workflow.models import Route, RouteStep, Step
from workflow.services import RouteStepSpec, route_steps_refusals

from .models import EVALUATION_KIND, KIND

# (step, designation, relation, suspense in working days, why)
DEFAULT_ROUTES = {
    KIND: ("Security cooperation initiative design (DoDD 5132.03 default)", [
        (Step.APPROVAL, Designation.SECURITY_COOPERATION_AGENCY, "", 10,
         "Encl. 2, 2: DSCA administers the security cooperation programs and approves the designs they fund "
         "(tasked: the program's administering office)"),
    ]),
    EVALUATION_KIND: ("Initiative evaluation (DoDD 5132.03 default)", [
        (Step.CONSULTATION, "", "initiative_owner", 10,
         "Encl. 2, 10: the command that owns the initiative coordinates on the findings"),
        (Step.APPROVAL, Designation.POLICY_OFFICE, "", 10,
         "Encl. 2, 1.k: USD(P) conducts security cooperation program assessments"),
    ]),
}


def route_ensure(counts: dict[str, int] | None = None) -> dict[str, int]:
    counts = counts if counts is not None else {"route created": 0, "route unchanged": 0}
    held = designation_holders()
    for kind, (name, steps) in DEFAULT_ROUTES.items():
        if Route.objects.filter(document_kind=kind).exists():
            counts["route unchanged"] += 1
            continue
        missing = sorted(f"the {designation_name(d)}" for _, d, _, _, _ in steps if d and not held.get(d))
        if missing:
            raise RuntimeError(f"Cannot create the default {kind} route: load the organizations first "
                               f"(missing {', '.join(missing)}).")
        specs = [RouteStepSpec(step=step, designation=designation, relation=relation, suspense_working_days=days)
                 for step, designation, relation, days, _why in steps]
        reasons = route_steps_refusals(document_kind=kind, steps=specs)
        if reasons:
            raise RuntimeError(f"The default {kind} route is refused: {' '.join(reasons)}")
        route = Route.objects.create(document_kind=kind, name=name, is_default=True)
        RouteStep.objects.bulk_create([
            RouteStep(route=route, step=spec.step, designation=spec.designation, relation=spec.relation,
                      suspense_working_days=spec.suspense_working_days, position=position)
            for position, spec in enumerate(specs)])
        counts["route created"] += 1
    return counts


@transaction.atomic
def load(*, stdout=None) -> dict[str, int]:
    counts = route_ensure()
    if stdout is not None:
        stdout.write("initiative routes: {route created} created, {route unchanged} unchanged".format(**counts))
    return counts
