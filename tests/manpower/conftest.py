"""A small world for SCO manpower change requests: the commands, the offices the route names
(each holding its designation), SCOs in two commands' areas, their baseline manning, and members
in each role (cleared, so need-to-know is the only filter)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import pytest
from django.contrib.auth import get_user_model

from manpower import reference
from manpower.models import BilletAction, ChangeType, Service
from manpower.services import manning_baseline_set, request_write, sco_register
from organizations.models import (
    AreaOfResponsibility,
    Country,
    Designation,
    Membership,
    Organization,
    OrganizationKind,
    Role,
)
from organizations.services import designation_assign
from security.markings import ClassificationLevel
from security.models import SecurityProfile

K = OrganizationKind
ORGS = {"EUCOM": K.GEOGRAPHIC_CCMD, "INDOPACOM": K.GEOGRAPHIC_CCMD, "CENTCOM": K.GEOGRAPHIC_CCMD,
        "USD(P&R)": K.OSD_PSA, "J5": K.JOINT_STAFF, "DSCA": K.DEFENSE_AGENCY, "DIA": K.DEFENSE_AGENCY,
        "DLA": K.DEFENSE_AGENCY}
DESIGNATED = {Designation.PERSONNEL_READINESS: "USD(P&R)", Designation.JOINT_STAFF: "J5",
              Designation.SECURITY_COOPERATION_AGENCY: "DSCA", Designation.DEFENSE_INTELLIGENCE: "DIA"}
BASELINE_ON = datetime.date(2025, 10, 1)
BASELINE = [
    {"position": "Chief, Office of Defense Cooperation", "grade": "O-6", "service": Service.ARMY, "skill": "FAO"},
    {"position": "FMS case officer", "grade": "O-4", "service": Service.NAVY, "skill": "Security assistance",
     "billets": 2},
    {"position": "Budget analyst", "grade": "GS-12", "service": Service.CIVILIAN},
]


@dataclass
class World:
    orgs: dict[str, Organization]
    scos: dict[str, object]
    users: dict[str, object] = field(default_factory=dict)

    def user(self, acronym: str, role: str, clearance=ClassificationLevel.TOP_SECRET):
        key = f"{acronym}:{role}"
        if key not in self.users:
            username = "".join(ch for ch in acronym.lower() if ch.isalnum()) + "_" + role
            user = get_user_model().objects.create_user(username=username, password="x" * 16)
            organization = self.orgs.get(acronym) or self.scos[acronym].organization
            Membership.objects.create(user=user, organization=organization, role=role,
                                      is_coordinator=role != Role.ACTION_OFFICER, start=datetime.date(2020, 1, 1))
            SecurityProfile.objects.create(user=user, clearance=clearance, citizenship="US")
            self.users[key] = user
        return self.users[key]

    def request(self, *, sco="ODC-TURKEY", by=None, change_type=ChangeType.AUTHORIZATIONS, billets=None,
                effective_on=datetime.date(2027, 1, 1), title="Add an FMS case officer", **fields):
        billets = billets if billets is not None else [
            {"action": BilletAction.CHANGE, "position": "FMS case officer", "grade": "O-4",
             "service": Service.NAVY, "skill": "Security assistance", "billets": 3}]
        return request_write(by=by or self.user(sco, Role.ACTION_OFFICER), sco=self.scos[sco], billets=billets,
                             fields={"title": title, "change_type": change_type, "effective_on": effective_on,
                                     "justification": "More cases.", **fields})


@pytest.fixture
def world(db) -> World:
    orgs = {acronym: Organization.objects.create(acronym=acronym, name=f"{acronym} (test)", kind=kind)
            for acronym, kind in ORGS.items()}
    start = datetime.date(2008, 10, 1)
    for code, command in (("TR", "EUCOM"), ("PL", "EUCOM"), ("PH", "INDOPACOM"), ("IQ", "CENTCOM")):
        country = Country.objects.create(code=code)
        AreaOfResponsibility.objects.create(country=country, command=orgs[command], start=start)
    for designation, acronym in DESIGNATED.items():
        designation_assign(organization=orgs[acronym], designation=designation, start=start)
    reference.route_ensure()
    scos = {}
    for acronym, name, code in (("ODC-TURKEY", "Office of Defense Cooperation Turkey", "TR"),
                                ("JUSMAG-PHILIPPINES", "Joint U.S. Military Assistance Group – Philippines", "PH"),
                                ("OSC-I", "Office of Security Cooperation Iraq", "IQ")):
        scos[acronym], _ = sco_register(name=name, acronym=acronym, host_country=Country.objects.get(code=code),
                                        chief_of_mission=f"U.S. Ambassador ({code})",
                                        sdo_datt_office=f"SDO/DATT, U.S. Embassy ({code})")
        manning_baseline_set(sco=scos[acronym], rows=BASELINE, effective_from=BASELINE_ON)
    return World(orgs=orgs, scos=scos)
