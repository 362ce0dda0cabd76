"""Reference data of the manpower app: the SCOs of ``data/scos.json`` (through
``services.sco_register``: each supervised by the command covering its host country on the day)
and the default route of a manpower change request, each step citing the directive's paragraph.
Loaded by ``manage.py load_reference_data`` after the organizations; idempotent. An existing route
is never overwritten (administrators edit routes afterwards)."""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction

from organizations.models import Country, Designation
from workflow.models import Step
from workflow.services import route_default_ensure

from .models import KIND
from .services import sco_register

SCOS_PATH = Path(__file__).resolve().parent / "data" / "scos.json"

# (step, designation, relation, suspense in working days, the directive's paragraph)
DEFAULT_ROUTE = (
    "SCO manpower change (DoDD 5132.03 default)",
    [
        (Step.COORDINATION, "", "supervising_command", 10,
         "Encl. 2, 10.e: the geographic combatant command supervises its SCOs and endorses their requests"),
        (Step.CONSULTATION, Designation.PERSONNEL_READINESS, "", 10,
         "Encl. 2, 6.a: USD(P&R) develops and coordinates input on SCO joint manpower programs"),
        (Step.CONSULTATION, Designation.JOINT_STAFF, "", 10,
         "Encl. 2, 2.f: DSCA approves in coordination with the Chairman of the Joint Chiefs of Staff"),
        (Step.APPROVAL, Designation.SECURITY_COOPERATION_AGENCY, "", 5,
         "Encl. 2, 2.f: the Director, DSCA approves SCO joint manpower programs"),
        (Step.APPROVAL, Designation.DEFENSE_INTELLIGENCE, "", 5,
         "Encl. 2, 2.f: jointly with the Director, DIA for the SDO/DATT's grade or Military Department affiliation"),
    ],
)


def read_scos(path: Path | str = SCOS_PATH) -> list[dict]:
    return json.loads(Path(path).read_text(encoding="utf-8"))["scos"]


def route_ensure(counts: dict[str, int] | None = None) -> None:
    """The default route of a manpower change request, unless the kind has a route already."""
    name, steps = DEFAULT_ROUTE
    route_default_ensure(kind=KIND, name=name, steps=steps, counts=counts)


@transaction.atomic
def load(*, stdout=None, path: Path | str = SCOS_PATH) -> dict[str, int]:
    counts = {"created": 0, "updated": 0, "unchanged": 0, "route created": 0, "route unchanged": 0}
    countries = {c.code.code: c for c in Country.objects.all()}
    for row in read_scos(path):
        _sco, outcome = sco_register(name=row["name"], acronym=row["acronym"], host_country=countries[row["country"]],
                                     chief_of_mission=row["chief_of_mission"], sdo_datt_office=row["sdo_datt_office"],
                                     source_url=row.get("source", ""), source_note=row.get("source_note", ""))
        counts[outcome] += 1
    route_ensure(counts)
    if stdout is not None:
        stdout.write("security cooperation organizations: {created} created, {updated} updated, {unchanged} unchanged; "
                     "manpower route: {route created} created, {route unchanged} unchanged".format(**counts))
    return counts
