"""A small world for the plan workflow: the organizations of the default routes, members in
each role, a GEF, and plans ready for submission."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import pytest
from django.contrib.auth import get_user_model

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
from planning import reference
from planning.models import GEFEndState, GEFGuidance, Objective, PartnerConsideration
from planning.services import campaign_plan_create

K = OrganizationKind
ORGS = {
    "EUCOM": K.GEOGRAPHIC_CCMD, "CENTCOM": K.GEOGRAPHIC_CCMD, "SOCOM": K.FUNCTIONAL_CCMD,
    "DA": K.MILITARY_DEPARTMENT, "DON": K.MILITARY_DEPARTMENT, "DLA": K.DEFENSE_AGENCY,
    "USD(AT&L)": K.OSD_PSA, "USD(P)": K.OSD_PSA, "JS": K.JOINT_STAFF, "J5": K.JOINT_STAFF,
}


@dataclass
class World:
    orgs: dict[str, Organization]
    gef: GEFGuidance
    end_state: GEFEndState
    users: dict[str, object] = field(default_factory=dict)

    def user(self, acronym: str, role: str, coordinator: bool = True):
        key = f"{acronym}:{role}"
        if key not in self.users:
            username = "".join(ch for ch in acronym.lower() if ch.isalnum()) + "_" + role
            user = get_user_model().objects.create_user(username=username, password="x" * 16, is_staff=True)
            Membership.objects.create(user=user, organization=self.orgs[acronym], role=role,
                                      is_coordinator=coordinator and role != Role.ACTION_OFFICER,
                                      start=datetime.date(2020, 1, 1))
            self.users[key] = user
        return self.users[key]

    plans_made: int = 0

    def ready_plan(self, *, owner="EUCOM", partners=("PL",), supporting=("DA", "DON"), start=None):
        """A draft theater campaign plan ready to submit. Each plan made without a ``start`` has a
        period of its own (2027-2032, 2033-2038, ...): a command has one theater campaign plan per
        period (DoDD 5132.03, Encl. 2, 10.a), so the plans a test routes side by side don't overlap."""
        if start is None:
            start = datetime.date(2027 + 6 * self.plans_made, 1, 1)
        self.plans_made += 1
        plan = campaign_plan_create(
            by=self.user(owner, Role.ACTION_OFFICER), owner=self.orgs[owner], title=f"{owner} theater campaign plan",
            gef=self.gef, period_start=start, period_end=start.replace(year=start.year + 5),
            summary="Build partner capacity (training data).", complementary_usg_activities="State INL programs.",
            resources_needed="Security cooperation funding.", risk_if_not_resourced="Partner capability gaps.",
        )
        plan.supporting_organizations.set([self.orgs[a] for a in supporting])
        for code in partners:
            PartnerConsideration.objects.create(plan=plan, country=Country.objects.get(code=code),
                                                support="yes", can_support="Yes", safeguard="yes",
                                                can_safeguard="Yes", sustain="partly", can_sustain="With help")
        objective = Objective.objects.create(plan=plan, code="OBJ-1", title="Interoperable air defense")
        objective.end_states.add(self.end_state)
        return plan


DESIGNATED = {Designation.JOINT_STAFF: "J5", Designation.POLICY_OFFICE: "USD(P)"}


def designate(orgs: dict[str, Organization], designations: dict[str, str] = DESIGNATED) -> None:
    """The designated offices, as the reference data holds them (J5 the Joint Staff office, USD(P)
    the policy office): who may edit routes, GEF guidance and run the cycle follows from them."""
    for designation, acronym in designations.items():
        designation_assign(organization=orgs[acronym], designation=designation, start=datetime.date(2000, 1, 1))


@pytest.fixture
def world(db) -> World:
    orgs = {}
    for acronym, kind in ORGS.items():
        orgs[acronym] = Organization.objects.create(acronym=acronym, name=f"{acronym} (test)", kind=kind)
    orgs["J5"].parent = orgs["JS"]
    orgs["J5"].save()
    for code in ("PL", "IL", "DE"):
        Country.objects.create(code=code)
    start = datetime.date(2008, 10, 1)
    AreaOfResponsibility.objects.create(country=Country.objects.get(code="PL"), command=orgs["EUCOM"], start=start)
    AreaOfResponsibility.objects.create(country=Country.objects.get(code="DE"), command=orgs["EUCOM"], start=start)
    AreaOfResponsibility.objects.create(country=Country.objects.get(code="IL"), command=orgs["EUCOM"], start=start,
                                        end=datetime.date(2021, 9, 1))
    AreaOfResponsibility.objects.create(country=Country.objects.get(code="IL"), command=orgs["CENTCOM"],
                                        start=datetime.date(2021, 9, 1))
    # The designated offices the default routes name (as the reference data assigns them).
    designation_assign(organization=orgs["J5"], designation=Designation.JOINT_STAFF, start=start)
    designation_assign(organization=orgs["USD(P)"], designation=Designation.POLICY_OFFICE, start=start)
    reference.load()
    gef = GEFGuidance.objects.create(year=2026, title="GEF 2026 (training data)", issued_on=datetime.date(2026, 1, 15))
    end_state = GEFEndState.objects.create(gef=gef, code="ES-1", title="Capable, interoperable partners")
    return World(orgs=orgs, gef=gef, end_state=end_state)
