"""Reference data of the materiel app: the default route of a materiel diversion request, each
step citing the directive's paragraph. Loaded by ``manage.py load_reference_data`` after the
organizations; idempotent. An existing route is never overwritten (administrators edit routes
afterwards). No FAD is reference data: the Chairman's assignments are not published, so only the
demo assigns training ones (``materiel.demo``)."""

from __future__ import annotations

from django.db import transaction

from organizations.models import Designation
from workflow.models import Step
from workflow.services import route_default_ensure

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
    name, steps = DEFAULT_ROUTE
    route_default_ensure(kind=KIND, name=name, steps=steps, counts=counts)


@transaction.atomic
def load(*, stdout=None) -> dict[str, int]:
    counts = {"route created": 0, "route unchanged": 0}
    route_ensure(counts)
    if stdout is not None:
        stdout.write("materiel diversion route: {route created} created, {route unchanged} unchanged".format(**counts))
    return counts
