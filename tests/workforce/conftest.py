"""The manpower world (commands, the route's offices, SCOs in three commands' areas with their
baseline manning, members in each role) and, on it, the workforce: billet requirements and
personnel records made through the services (role-like identifiers, never names)."""

from __future__ import annotations

import datetime

import pytest

from manpower.selectors import manning_open
from organizations.models import Role
from tests.manpower.conftest import World
from tests.manpower.conftest import world as manpower_world  # noqa: F401
from workforce import reference
from workforce.models import CertificationLevel, QualificationKind
from workforce.services import personnel_write, requirement_set

SCM_O = "Security Cooperation Management Overseas (SCM-O)"


def billet(world: World, sco: str, position: str):
    return manning_open(world.scos[sco])[position]


def certification(level=CertificationLevel.ADVANCED, *, completed_on=datetime.date(2025, 1, 1), expires_on=None,
                  name="SC workforce certification"):
    return {"kind": QualificationKind.CERTIFICATION, "name": name, "level": level, "completed_on": completed_on,
            "expires_on": expires_on}


def person(world: World, number: int, *, sco="ODC-TURKEY", position="Chief, Office of Defense Cooperation",
           qualifications=(), languages=(), by=None, **fields):
    return personnel_write(
        by=by or world.user(sco, Role.ACTION_OFFICER), owner=world.scos[sco].organization,
        billet=billet(world, sco, position) if position else None,
        fields={"identifier": f"SCO billet holder {number:04d}, test record", "grade": "O-6", "service": "army",
                "assigned_on": datetime.date(2025, 6, 1), **fields},
        qualifications=list(qualifications), languages=list(languages), regions=[])


@pytest.fixture
def world(manpower_world):  # noqa: F811
    reference.route_ensure()
    dsca = manpower_world.user("DSCA", Role.APPROVER)
    for sco in ("ODC-TURKEY", "JUSMAG-PHILIPPINES", "OSC-I"):
        rows = manning_open(manpower_world.scos[sco])
        requirement_set(by=dsca, authorization=rows["Chief, Office of Defense Cooperation"],
                        certification_level=CertificationLevel.ADVANCED, training=SCM_O, language="Turkish",
                        language_level="2")
        requirement_set(by=dsca, authorization=rows["FMS case officer"],
                        certification_level=CertificationLevel.INTERMEDIATE)
    return manpower_world
