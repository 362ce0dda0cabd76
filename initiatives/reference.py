"""Reference data of the initiatives app: the default routes of an initiative's design and of an
evaluation, each step citing the directive or DoDI 5132.14. Loaded by ``manage.py
load_reference_data``; idempotent. An existing route is never overwritten (administrators edit
routes afterwards)."""

from __future__ import annotations

from django.db import transaction

from organizations.models import Designation
from workflow.models import Step
from workflow.services import route_default_ensure

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
    for kind, (name, steps) in DEFAULT_ROUTES.items():
        route_default_ensure(kind=kind, name=name, steps=steps, counts=counts)
    return counts


@transaction.atomic
def load(*, stdout=None) -> dict[str, int]:
    counts = route_ensure()
    if stdout is not None:
        stdout.write("initiative routes: {route created} created, {route unchanged} unchanged".format(**counts))
    return counts
