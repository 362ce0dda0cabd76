"""A small world for the assessment cycle: the Joint Staff, USD(P), PA&E, commands and
components with members in each role, approved plans with objectives traced to GEF end
states, and an administrator who runs the cycle."""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass, field

import pytest
import time_machine
from django.contrib.auth import get_user_model

from assessments.models import (
    DEFAULT_SCALE,
    AssessmentCycle,
    Program,
    Question,
    QuestionKind,
    TemplateSection,
)
from assessments.services import cycle_create, template_create
from organizations.models import Designation, Membership, Organization, OrganizationKind, Role
from planning.models import (
    CampaignPlan,
    CampaignSupportPlan,
    GEFEndState,
    GEFGuidance,
    Objective,
    PlanState,
)
from tests.planning.conftest import designate
from workflow.models import Response, Step
from workflow.selectors import open_taskers
from workflow.services import tasker_respond, transition_perform

K = OrganizationKind
ORGS = {
    "EUCOM": K.GEOGRAPHIC_CCMD, "CENTCOM": K.GEOGRAPHIC_CCMD, "SOCOM": K.FUNCTIONAL_CCMD,
    "DA": K.MILITARY_DEPARTMENT, "DLA": K.DEFENSE_AGENCY,
    "USD(P)": K.OSD_PSA, "PA&E": K.OSD_PSA, "JS": K.JOINT_STAFF, "J5": K.JOINT_STAFF,
}
TZ = zoneinfo.ZoneInfo("America/New_York")
START = datetime.datetime(2026, 10, 5, 10, 0, tzinfo=TZ)  # early in FY2027
AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER


@dataclass
class World:
    orgs: dict[str, Organization]
    gef: GEFGuidance
    end_states: list[GEFEndState]
    users: dict[str, object] = field(default_factory=dict)

    def user(self, acronym: str, role: str = AO):
        key = f"{acronym}:{role}"
        if key not in self.users:
            username = "".join(ch for ch in acronym.lower() if ch.isalnum()) + "_" + role
            user = get_user_model().objects.create_user(username=username, password="x" * 16, is_staff=True)
            Membership.objects.create(user=user, organization=self.orgs[acronym], role=role,
                                      is_coordinator=role != AO, start=datetime.date(2020, 1, 1))
            self.users[key] = user
        return self.users[key]

    @property
    def admin(self):
        if "admin" not in self.users:
            # A cycle administrator: an organization administrator of the designated Joint Staff office.
            user = get_user_model().objects.create_user(username="cycle_admin", password="x" * 16, is_staff=True)
            Membership.objects.create(user=user, organization=self.orgs["J5"], role=Role.ORG_ADMIN,
                                      start=datetime.date(2020, 1, 1))
            self.users["admin"] = get_user_model().objects.get(pk=user.pk)
        return self.users["admin"]

    def approved_plan(self, owner="EUCOM", *, support=False, objectives=(("OBJ-1", 0), ("OBJ-2", 1))):
        model = CampaignSupportPlan if support else CampaignPlan
        plan = model.objects.create(title=f"{owner} {'support' if support else 'campaign'} plan", owner=self.orgs[owner],
                                    gef=self.gef, created_by=self.user(owner), state=PlanState.APPROVED)
        for code, end_state in objectives:
            objective = Objective.objects.create(code=code, title=f"{code} of {owner}", plan=plan)
            objective.end_states.add(self.end_states[end_state])
        return plan

    def cycle(self, fiscal_year=2027):
        return cycle_create(
            by=self.admin, fiscal_year=fiscal_year, owner=self.orgs["J5"], policy_office=self.orgs["USD(P)"],
            program_coordinator=self.orgs["PA&E"], template_suspense=datetime.date(2026, 12, 1),
            collection_suspense=datetime.date(2027, 3, 15), joint_review_suspense=datetime.date(2027, 5, 3),
            evaluation_suspense=datetime.date(2027, 6, 30),
        )

    def approved_template(self, cycle: AssessmentCycle):
        """Template phase, drafted by J5, consulted with USD(P) (concur), approved by J5."""
        transition_perform(document=cycle, name="start_template", by=self.admin)
        template = template_create(cycle=cycle, by=self.user("J5"))
        section = TemplateSection.objects.create(template=template, title="Execution of the GEF", position=1)
        Question.objects.create(section=section, position=1, text="How did the plan advance the GEF end states?")
        Question.objects.create(section=section, position=2, kind=QuestionKind.RATING, scale=DEFAULT_SCALE,
                                text="Overall progress toward the plan's objectives")
        Question.objects.create(section=section, position=3, kind=QuestionKind.OBJECTIVE_RATING, scale=DEFAULT_SCALE,
                                text="Progress toward this objective")
        template = transition_perform(document=template, name="consult", by=self.user("J5"))
        tasker = open_taskers(template, step=Step.CONSULTATION).get()
        tasker_respond(tasker=tasker, by=self.user("USD(P)", REV), response=Response.CONCUR)
        return transition_perform(document=type(template).objects.get(pk=template.pk), name="approve",
                                  by=self.user("J5", APP))


@pytest.fixture
def at_start():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def world(db, at_start) -> World:
    orgs = {acronym: Organization.objects.create(acronym=acronym, name=f"{acronym} (test)", kind=kind)
            for acronym, kind in ORGS.items()}
    orgs["J5"].parent = orgs["JS"]
    orgs["J5"].save()
    designate(orgs, {Designation.JOINT_STAFF: "J5", Designation.POLICY_OFFICE: "USD(P)",
                     Designation.PROGRAM_ANALYSIS: "PA&E"})
    gef = GEFGuidance.objects.create(year=2026, title="GEF 2026 (training data)", issued_on=datetime.date(2026, 1, 15))
    end_states = [GEFEndState.objects.create(gef=gef, code="ES-1", title="Capable, interoperable partners"),
                  GEFEndState.objects.create(gef=gef, code="ES-2", title="Access and influence")]
    Program.objects.create(code="FMS", name="Foreign Military Sales")
    Program.objects.create(code="IMET", name="International Military Education and Training")
    return World(orgs=orgs, gef=gef, end_states=end_states)
