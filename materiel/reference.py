"""Reference data of the materiel app: the default route of a materiel diversion request, each
step citing the directive's paragraph. Loaded by ``manage.py load_reference_data`` after the
organizations; idempotent. An existing route is never overwritten (administrators edit routes
afterwards). No FAD is reference data: the Chairman's assignments are not published, so only the
demo assigns training ones (``materiel.demo``)."""

from __future__ import annotations

from django.db import transaction

from organizations.models import Designation
from organizations.selectors import designation_holders, designation_name
from workflow.models import Route, RouteStep, Step
from workflow.services import RouteStepSpec, route_steps_refusals

from .models import KIND

# (step, designation, relation, suspense in working days, the directive's paragraph)
DEFAULT_ROUTE = (
    "Materiel diversion (DoDD 5132.03 default)",
    [
        (Step.CONSULTATION, Designation.SECURITY_COOPERATION_AGENCY, "", 5,
         "Encl. 2, 1.g: USD(P) determines diversion priorities in consultation with the Director, DSCA"),
        (Step.REVIEW, Designation.JOINT_STAFF, "", 5,
         "Encl. 2, 9.g: the Chairman recommends priorities when DSCA cannot resolve competing partner needs"),
        (Step.APPROVAL, Designation.POLICY_OFFICE, "", 5,
         "Encl. 2, 1.g: USD(P) decides the diversion, in consultation with the Director, DSCA"),
    ],
)


def route_ensure(counts: dict[str, int] | None = None) -> None:
    """The default route of a materiel diversion request, unless the kind has a route already."""
    counts = counts if counts is not None else {"route created": 0, "route unchanged": 0}
    if Route.objects.filter(document_kind=KIND).exists():
        counts["route unchanged"] += 1
        return
    name, steps = DEFAULT_ROUTE
    held = designation_holders()
    missing = sorted(f"the {designation_name(d)}" for _, d, _, _, _ in steps if d and not held.get(d))
    if missing:
        raise RuntimeError(f"Cannot create the default {KIND} route: load the organizations first "
                           f"(missing {', '.join(missing)}).")
    specs = [RouteStepSpec(step=step, designation=designation, relation=relation, suspense_working_days=days)
             for step, designation, relation, days, _why in steps]
    reasons = route_steps_refusals(document_kind=KIND, steps=specs)
    if reasons:
        raise RuntimeError(f"The default {KIND} route is refused: {' '.join(reasons)}")
    route = Route.objects.create(document_kind=KIND, name=name, is_default=True)
    RouteStep.objects.bulk_create([
        RouteStep(route=route, step=spec.step, designation=spec.designation, relation=spec.relation,
                  suspense_working_days=spec.suspense_working_days, position=position)
        for position, spec in enumerate(specs)])
    counts["route created"] += 1


@transaction.atomic
def load(*, stdout=None) -> dict[str, int]:
    counts = {"route created": 0, "route unchanged": 0}
    route_ensure(counts)
    if stdout is not None:
        stdout.write("materiel diversion route: {route created} created, {route unchanged} unchanged".format(**counts))
    return counts
