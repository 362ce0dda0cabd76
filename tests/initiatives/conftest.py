"""A small world for initiatives: two commands, DSCA (administering the program), USD(P) and the
Joint Staff holding their designations, a EUCOM campaign plan with an objective, a program, and
members in each role (cleared, so need-to-know is the only filter)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import pytest
from django.contrib.auth import get_user_model

from assessments.models import Program
from initiatives import reference
from initiatives.services import initiative_write
from organizations.models import (
    AreaOfResponsibility,
    Country,
    Designation,
    Membership,
    Organization,
    OrganizationKind,
)
from organizations.services import designation_assign
from planning.models import Objective
from planning.services import campaign_plan_create
from security.markings import ClassificationLevel
from security.models import SecurityProfile

K = OrganizationKind
ORGS = {"EUCOM": K.GEOGRAPHIC_CCMD, "CENTCOM": K.GEOGRAPHIC_CCMD, "DSCA": K.DEFENSE_AGENCY,
        "USD(P)": K.OSD_PSA, "J5": K.JOINT_STAFF, "DLA": K.DEFENSE_AGENCY}
DESIGNATED = {Designation.SECURITY_COOPERATION_AGENCY: "DSCA", Designation.POLICY_OFFICE: "USD(P)",
              Designation.JOINT_STAFF: "J5"}
INDICATORS = [
    {"name": "Maritime patrol crews certified", "kind": "outcome", "unit": "crews", "baseline_value": "2",
     "baseline_on": datetime.date(2026, 9, 30), "target_value": "8", "frequency_months": 3},
    {"name": "Patrol vessels delivered", "kind": "output", "unit": "vessels", "baseline_value": "0",
     "baseline_on": datetime.date(2026, 9, 30), "target_value": "4", "frequency_months": 6},
]
DESIGN = {"title": "Black Sea maritime domain awareness", "start_fiscal_year": 2027, "end_fiscal_year": 2029,
          "estimated_cost": "12500000.00", "description": "Coastal radar, patrol vessels and crew training.",
          "initial_assessment": "The partner's navy patrols 30 percent of its coast; two crews are certified.",
          "theory_of_change": "Certified crews with sensors and vessels extend patrolled coast."}


@dataclass
class World:
    orgs: dict[str, Organization]
    objective: Objective
    program: Program
    partner: Country
    users: dict[str, object] = field(default_factory=dict)

    def user(self, acronym: str, role: str, clearance=ClassificationLevel.TOP_SECRET):
        key = f"{acronym}:{role}"
        if key not in self.users:
            username = "".join(ch for ch in acronym.lower() if ch.isalnum()) + "_" + role
            user = get_user_model().objects.create_user(username=username, password="x" * 16)
            Membership.objects.create(user=user, organization=self.orgs[acronym], role=role,
                                      is_coordinator=role != "action_officer", start=datetime.date(2020, 1, 1))
            SecurityProfile.objects.create(user=user, clearance=clearance, citizenship="US")
            self.users[key] = user
        return self.users[key]

    def initiative(self, *, by=None, indicators=None, **fields):
        return initiative_write(by=by or self.user("EUCOM", "action_officer"), objective=self.objective,
                                partner=self.partner, program=self.program, fields={**DESIGN, **fields},
                                indicators=INDICATORS if indicators is None else indicators)


@pytest.fixture
def world(db) -> World:
    orgs = {acronym: Organization.objects.create(acronym=acronym, name=f"{acronym} (test)", kind=kind)
            for acronym, kind in ORGS.items()}
    start = datetime.date(2008, 10, 1)
    partner = Country.objects.create(code="TR")
    AreaOfResponsibility.objects.create(country=partner, command=orgs["EUCOM"], start=start)
    for designation, acronym in DESIGNATED.items():
        designation_assign(organization=orgs[acronym], designation=designation, start=start)
    reference.route_ensure()
    program = Program.objects.create(code="BPC", name="Building partner capacity", administered_by=orgs["DSCA"])
    world = World(orgs=orgs, objective=None, program=program, partner=partner)
    plan = campaign_plan_create(by=world.user("EUCOM", "action_officer"), owner=orgs["EUCOM"],
                                title="EUCOM campaign plan")
    world.objective = Objective.objects.create(plan=plan, code="IMO 2", title="Partners secure the Black Sea")
    return world
