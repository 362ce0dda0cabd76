"""A small world for materiel diversion requests: the requesting offices (two commands and a
Military Department), the offices the route names (each holding its designation), a few partner
countries, and members in each role (cleared, so need-to-know is the only filter)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import pytest
from django.contrib.auth import get_user_model

from materiel import reference
from materiel.models import Urgency
from materiel.services import request_write
from organizations.models import Country, Designation, Membership, Organization, OrganizationKind, Role
from organizations.services import designation_assign
from security.markings import ClassificationLevel
from security.models import SecurityProfile

K = OrganizationKind
ORGS = {"EUCOM": K.GEOGRAPHIC_CCMD, "INDOPACOM": K.GEOGRAPHIC_CCMD, "DA": K.MILITARY_DEPARTMENT,
        "USD(P)": K.OSD_PSA, "J5": K.JOINT_STAFF, "DSCA": K.DEFENSE_AGENCY, "DLA": K.DEFENSE_AGENCY}
DESIGNATED = {Designation.POLICY_OFFICE: "USD(P)", Designation.JOINT_STAFF: "J5",
              Designation.SECURITY_COOPERATION_AGENCY: "DSCA"}


@dataclass
class World:
    orgs: dict[str, Organization]
    countries: dict[str, Country]
    users: dict[str, object] = field(default_factory=dict)

    def user(self, acronym: str, role: str, clearance=ClassificationLevel.TOP_SECRET):
        key = f"{acronym}:{role}:{clearance}"
        if key not in self.users:
            username = "".join(ch for ch in acronym.lower() if ch.isalnum()) + "_" + role
            username += "" if clearance == ClassificationLevel.TOP_SECRET else f"_{clearance.lower()}"
            user = get_user_model().objects.create_user(username=username, password="x" * 16)
            Membership.objects.create(user=user, organization=self.orgs[acronym], role=role,
                                      is_coordinator=role != Role.ACTION_OFFICER, start=datetime.date(2020, 1, 1))
            SecurityProfile.objects.create(user=user, clearance=clearance, citizenship="US")
            self.users[key] = user
        return self.users[key]

    def request(self, *, owner="EUCOM", by=None, partner="PL", title="Interceptors for Poland", **fields):
        values = {"title": title, "item": "Interceptor missile", "quantity": 12, "unit": "each",
                  "source": "Army stocks", "urgency": Urgency.PRIORITY, "justification": "Stocks below minimum.",
                  **fields}
        return request_write(by=by or self.user(owner, Role.ACTION_OFFICER), owner=self.orgs[owner],
                             partner=self.countries[partner], fields=values)


@pytest.fixture
def world(db) -> World:
    orgs = {acronym: Organization.objects.create(acronym=acronym, name=f"{acronym} (test)", kind=kind)
            for acronym, kind in ORGS.items()}
    countries = {code: Country.objects.create(code=code) for code in ("PL", "EE", "PH", "JO")}
    for designation, acronym in DESIGNATED.items():
        designation_assign(organization=orgs[acronym], designation=designation, start=datetime.date(2008, 10, 1))
    reference.route_ensure()
    return World(orgs=orgs, countries=countries)
