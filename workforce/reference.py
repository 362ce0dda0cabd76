"""Reference data of the workforce app: the default route of a workforce readiness report (DSCA
submits, USD(P&R) reviews), citing the directive. Loaded by ``manage.py load_reference_data``
after the organizations; idempotent. An existing route is never overwritten."""

from __future__ import annotations

from django.db import transaction

from organizations.models import Designation
from workflow.models import Step
from workflow.services import route_default_ensure

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
    name, steps = DEFAULT_ROUTE
    route_default_ensure(kind=KIND, name=name, steps=steps, counts=counts)


@transaction.atomic
def load(*, stdout=None) -> dict[str, int]:
    counts = {"route created": 0, "route unchanged": 0}
    route_ensure(counts)
    if stdout is not None:
        stdout.write("workforce readiness report route: {route created} created, {route unchanged} unchanged"
                     .format(**counts))
    return counts
