"""Reference data of the workforce app: the default route of a workforce readiness report (DSCA
submits, USD(P&R) reviews), citing the directive. Loaded by ``manage.py load_reference_data``
after the organizations; idempotent. An existing route is never overwritten."""

from __future__ import annotations

from django.db import transaction

from organizations.models import Designation
from organizations.selectors import designation_holders, designation_name
from workflow.models import Route, RouteStep, Step
from workflow.services import RouteStepSpec, route_steps_refusals

from .models import KIND

# (step, designation, relation, suspense in working days, the directive's paragraph)
DEFAULT_ROUTE = (
    "Workforce readiness report (DoDD 5132.03 default)",
    [
        (Step.REVIEW, Designation.PERSONNEL_READINESS, "", 15,
         "Encl. 2, 6.b, 6.c: USD(P&R) identifies, tracks and assesses the readiness of the security cooperation "
         "workforce"),
    ],
)


def route_ensure(counts: dict[str, int] | None = None) -> None:
    """The default route of a readiness report, unless the kind has a route already."""
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
        stdout.write("workforce readiness report route: {route created} created, {route unchanged} unchanged"
                     .format(**counts))
    return counts
