"""The authorization matrix: every admin model × view / add / change / delete × every role ×
the organization's relation to the record, written out below as the reviewer reads it, and every
cell exercised twice: through the declared rule (``organizations.authority.may``, which the admin
and the API ask) and through the admin itself over HTTP (the page answers, or refuses).

Columns: the six roles. Each cell is four marks for the member's organization relative to the
record, in this order:

    O  owning     the organization whose record it is (the plan's owner, the GEF's issuing office,
                  the route's procedure owner, the membership's organization, the person's own)
    T  tasked     an organization tasked on it (coordinating on the plan, consulted...)
    R  reviewing  the designated office that reviews every record of the kind (J5 for plans)
    U  unrelated  an organization with nothing to do with it

``y`` allowed, ``.`` refused. A system administrator belongs to no organization: one mark. So
does ``former``, an active account whose membership has ended: someone who no longer works here.
``add`` is asked of the model (no record yet), so its marks say which organizations' members
may add one at all.
"""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from knox.models import AuthToken

from assessments.models import (
    Assessment,
    AssessmentCycle,
    AssessmentState,
    Program,
    ProgramAssessment,
    Template,
    TemplateSection,
)
from assessments.services import cycle_create, template_create
from initiatives.models import Initiative, InitiativeEvaluation
from initiatives.services import evaluation_write, initiative_write
from manpower.models import ManningAuthorization, ManpowerChangeRequest, SecurityCooperationOrganization
from manpower.services import manning_baseline_set, request_write
from materiel.models import MaterielDiversionRequest
from materiel.services import request_write as materiel_request_write
from organizations.authority import may
from organizations.models import (
    AreaOfResponsibility,
    Country,
    Delegation,
    FADAssignment,
    Membership,
    Organization,
    OrganizationDesignation,
    PowerRequest,
    PowerRequestKind,
    Role,
)
from organizations.services import fad_assign
from planning.models import (
    CampaignPlan,
    CampaignSupportPlan,
    GEFEndState,
    GEFGuidance,
    Objective,
    PartnerConsideration,
)
from planning.services import campaign_plan_create, support_plan_create
from reminders.models import Notification, Reminder, ReminderPolicy, UserPreference
from security.models import AuditEvent, CUICategory, DisseminationControl, OIDCLinkRequest, SecurityProfile
from workflow.models import Closure, HistoryEntry, Route, Tasker
from workflow.services import transition_perform
from workforce.models import BilletRequirement, PersonnelRecord, WorkforceReadinessReport

ROLES = ("action_officer", "reviewer", "approver", "org_admin", "auditor", "sysadmin", "former")
RELATIONS = ("owning", "tasked", "reviewing", "unrelated")

MATRIX = """
record                         action  action_officer reviewer approver org_admin auditor sysadmin former
organization                   view    yyyy   yyyy   yyyy   yyyy   yyyy   y      .
organization                   add     ....   ....   ....   ....   ....   y      .
organization                   change  ....   ....   ....   ....   ....   y      .
organization                   delete  ....   ....   ....   ....   ....   y      .
country                        view    yyyy   yyyy   yyyy   yyyy   yyyy   y      .
country                        add     ....   ....   ....   ....   ....   .      .
country                        change  ....   ....   ....   ....   ....   .      .
country                        delete  ....   ....   ....   ....   ....   .      .
aor_period                     view    yyyy   yyyy   yyyy   yyyy   yyyy   y      .
aor_period                     add     ....   ....   ....   ....   ....   y      .
aor_period                     change  ....   ....   ....   ....   ....   y      .
aor_period                     delete  ....   ....   ....   ....   ....   y      .
designation                    view    yyyy   yyyy   yyyy   yyyy   yyyy   y      .
designation                    add     ....   ....   ....   ....   ....   .      .
designation                    change  ....   ....   ....   ....   ....   .      .
designation                    delete  ....   ....   ....   ....   ....   .      .
membership                     view    ....   ....   ....   y...   yyyy   y      .
membership                     add     ....   ....   ....   yyyy   ....   y      .
membership                     change  ....   ....   ....   y...   ....   y      .
membership                     delete  ....   ....   ....   y...   ....   y      .
delegation                     view    ....   ....   ....   y...   yyyy   y      .
delegation                     add     ....   ....   ....   yyyy   ....   y      .
delegation                     change  ....   ....   ....   y...   ....   y      .
delegation                     delete  ....   ....   ....   y...   ....   y      .
cui_category                   view    yyyy   yyyy   yyyy   yyyy   yyyy   y      .
cui_category                   add     ....   ....   ....   ....   ....   y      .
cui_category                   change  ....   ....   ....   ....   ....   y      .
cui_category                   delete  ....   ....   ....   ....   ....   y      .
dissemination_control          view    yyyy   yyyy   yyyy   yyyy   yyyy   y      .
dissemination_control          change  ....   ....   ....   ....   ....   y      .
security_profile               view    ....   ....   ....   ....   ....   y      .
security_profile               add     ....   ....   ....   ....   ....   y      .
security_profile               change  ....   ....   ....   ....   ....   y      .
security_profile               delete  ....   ....   ....   ....   ....   .      .
audit_event                    view    ....   ....   ....   ....   yyyy   y      .
audit_event                    add     ....   ....   ....   ....   ....   .      .
audit_event                    change  ....   ....   ....   ....   ....   .      .
audit_event                    delete  ....   ....   ....   ....   ....   .      .
user                           view    ....   ....   ....   ....   yyyy   y      .
user                           add     ....   ....   ....   ....   ....   y      .
user                           change  ....   ....   ....   ....   ....   y      .
user                           delete  ....   ....   ....   ....   ....   .      .
gef                            view    yyyy   yyyy   yyyy   yyyy   yyyy   y      .
gef                            add     y...   ....   y...   ....   ....   .      .
gef                            change  y...   ....   y...   ....   ....   .      .
gef                            delete  y...   ....   y...   ....   ....   .      .
gef_end_state                  view    yyyy   yyyy   yyyy   yyyy   yyyy   y      .
gef_end_state                  change  y...   ....   y...   ....   ....   .      .
campaign_plan_draft            view    y.y.   y.y.   y.y.   y.y.   y.y.   y      .
campaign_plan_draft            add     y..y   ....   ....   ....   ....   .      .
campaign_plan_draft            change  y...   ....   y...   ....   ....   .      .
campaign_plan_draft            delete  ....   ....   ....   ....   ....   .      .
campaign_plan_coordination     view    yyy.   yyy.   yyy.   yyy.   yyy.   y      .
campaign_plan_coordination     change  ....   ....   ....   ....   ....   .      .
campaign_plan_coordination     delete  ....   ....   ....   ....   ....   .      .
support_plan_draft             view    y.y.   y.y.   y.y.   y.y.   y.y.   y      .
support_plan_draft             add     yy.y   ....   ....   ....   ....   .      .
support_plan_draft             change  y...   ....   y...   ....   ....   .      .
support_plan_draft             delete  ....   ....   ....   ....   ....   .      .
route                          view    yyyy   yyyy   yyyy   yyyy   yyyy   y      .
route                          add     y.y.   ....   y.y.   ....   ....   .      .
route                          change  y...   ....   y...   ....   ....   .      .
route                          delete  ....   ....   ....   ....   ....   .      .
tasker                         view    yyy.   yyy.   yyy.   yyy.   yyy.   y      .
tasker                         add     ....   ....   ....   ....   ....   .      .
tasker                         change  ....   ....   ....   ....   ....   .      .
tasker                         delete  ....   ....   ....   ....   ....   .      .
history_entry                  view    ....   ....   ....   ....   yyyy   y      .
history_entry                  change  ....   ....   ....   ....   ....   .      .
history_entry                  delete  ....   ....   ....   ....   ....   .      .
closure                        view    yyyy   yyyy   yyyy   yyyy   yyyy   y      .
closure                        add     ....   ....   ....   ....   ....   y      .
closure                        change  ....   ....   ....   ....   ....   y      .
closure                        delete  ....   ....   ....   ....   ....   y      .
reminder_policy                view    yyyy   yyyy   yyyy   yyyy   yyyy   y      .
reminder_policy                add     ....   ....   ....   ....   ....   y      .
reminder_policy                change  ....   ....   ....   ....   ....   y      .
reminder_policy                delete  ....   ....   ....   ....   ....   y      .
reminder                       view    yyy.   yyy.   yyy.   yyy.   yyy.   y      .
reminder                       change  ....   ....   ....   ....   ....   .      .
notification                   view    y...   ....   ....   ....   ....   .      .
notification                   change  ....   ....   ....   ....   ....   .      .
notification                   delete  ....   ....   ....   ....   ....   .      .
user_preference                view    y...   ....   ....   ....   ....   .      .
user_preference                change  y...   ....   ....   ....   ....   .      .
user_preference                delete  ....   ....   ....   ....   ....   .      .
api_token                      view    y...   ....   ....   ....   ....   y      .
api_token                      add     ....   ....   ....   ....   ....   .      .
api_token                      change  ....   ....   ....   ....   ....   .      .
api_token                      delete  y...   ....   ....   ....   ....   y      .
cycle_setup                    view    yy..   yy..   yy..   yy..   yy..   y      .
cycle_setup                    add     ....   ....   ....   y...   ....   y      .
cycle_setup                    change  ....   ....   ....   y...   ....   y      .
cycle_setup                    delete  ....   ....   ....   ....   ....   .      .
cycle_launched                 change  ....   ....   ....   ....   ....   .      .
template_draft                 view    yyyy   yyyy   yyyy   yyyy   yyyy   y      .
template_draft                 add     y...   ....   y...   ....   ....   .      .
template_draft                 change  y...   ....   y...   ....   ....   .      .
template_draft                 delete  ....   ....   ....   ....   ....   .      .
template_consultation          change  ....   ....   ....   ....   ....   .      .
template_approved              change  ....   ....   ....   ....   ....   .      .
template_section_draft         view    yyyy   yyyy   yyyy   yyyy   yyyy   y      .
template_section_draft         change  y...   ....   y...   ....   ....   .      .
template_section_draft         delete  y...   ....   y...   ....   ....   .      .
template_section_approved      change  ....   ....   ....   ....   ....   .      .
template_section_approved      delete  ....   ....   ....   ....   ....   .      .
assessment_in_progress         view    yyy.   yyy.   yyy.   yyy.   yyy.   y      .
assessment_in_progress         add     ....   ....   ....   ....   ....   .      .
assessment_in_progress         change  y...   ....   y...   ....   ....   .      .
assessment_in_progress         delete  ....   ....   ....   ....   ....   .      .
assessment_submitted           change  ....   ....   ....   ....   ....   .      .
program_assessment             view    y.y.   y.y.   y.y.   y.y.   y.y.   y      .
program_assessment             change  y...   ....   y...   ....   ....   .      .
program                        view    yyyy   yyyy   yyyy   yyyy   yyyy   y      .
program                        add     y...   ....   y...   ....   ....   .      .
program                        change  y...   ....   y...   ....   ....   .      .
program                        delete  y...   ....   y...   ....   ....   .      .
power_request                  view    ....   ....   ....   y...   ....   y      .
power_request                  add     ....   ....   ....   yyyy   ....   y      .
power_request                  change  ....   ....   ....   ....   ....   .      .
power_request                  delete  ....   ....   ....   ....   ....   .      .
oidc_link_request              view    ....   ....   ....   ....   ....   y      .
oidc_link_request              add     ....   ....   ....   ....   ....   .      .
oidc_link_request              change  ....   ....   ....   ....   ....   y      .
oidc_link_request              delete  ....   ....   ....   ....   ....   y      .
sco                            view    yyyy   yyyy   yyyy   yyyy   yyyy   y      .
sco                            add     ....   ....   ....   ....   ....   .      .
sco                            change  ....   ....   ....   ....   ....   y      .
sco                            delete  ....   ....   ....   ....   ....   .      .
manning_authorization          view    yyy.   yyy.   yyy.   yyy.   yyy.   y      .
manning_authorization          add     ....   ....   ....   ....   ....   .      .
manning_authorization          change  ....   ....   ....   ....   ....   .      .
manning_authorization          delete  ....   ....   ....   ....   ....   .      .
manpower_request_draft         view    yyy.   yyy.   yyy.   yyy.   yyy.   y      .
manpower_request_draft         add     yy..   ....   ....   ....   ....   .      .
manpower_request_draft         change  yy..   ....   yy..   ....   ....   .      .
manpower_request_draft         delete  ....   ....   ....   ....   ....   .      .
manpower_request_endorsement   view    yyy.   yyy.   yyy.   yyy.   yyy.   y      .
manpower_request_endorsement   change  ....   ....   ....   ....   ....   .      .
manpower_request_endorsement   delete  ....   ....   ....   ....   ....   .      .
fad_assignment                 view    yyyy   yyyy   yyyy   yyyy   yyyy   y      .
fad_assignment                 add     ....   ....   ..y.   ....   ....   .      .
fad_assignment                 change  ....   ....   ....   ....   ....   .      .
fad_assignment                 delete  ....   ....   ....   ....   ....   .      .
materiel_request_draft         view    y.y.   y.y.   y.y.   y.y.   y.y.   y      .
materiel_request_draft         add     y..y   ....   ....   ....   ....   .      .
materiel_request_draft         change  y...   ....   y...   ....   ....   .      .
materiel_request_draft         delete  ....   ....   ....   ....   ....   .      .
materiel_request_consultation  view    yyy.   yyy.   yyy.   yyy.   yyy.   y      .
materiel_request_consultation  change  ....   ....   ....   ....   ....   .      .
materiel_request_consultation  delete  ....   ....   ....   ....   ....   .      .
initiative_draft               view    yyy.   yyy.   yyy.   yyy.   yyy.   y      .
initiative_draft               add     y..y   ....   ....   ....   ....   .      .
initiative_draft               change  y...   ....   y...   ....   ....   .      .
initiative_draft               delete  ....   ....   ....   ....   ....   .      .
initiative_approval            view    yyy.   yyy.   yyy.   yyy.   yyy.   y      .
initiative_approval            change  ....   ....   ....   ....   ....   .      .
initiative_approval            delete  ....   ....   ....   ....   ....   .      .
evaluation_draft               view    yyy.   yyy.   yyy.   yyy.   yyy.   y      .
evaluation_draft               add     y...   ....   ....   ....   ....   .      .
evaluation_draft               change  y...   ....   y...   ....   ....   .      .
evaluation_draft               delete  ....   ....   ....   ....   ....   .      .
evaluation_coordination        view    yyy.   yyy.   yyy.   yyy.   yyy.   y      .
evaluation_coordination        change  ....   ....   ....   ....   ....   .      .
evaluation_coordination        delete  ....   ....   ....   ....   ....   .      .
personnel_record               view    yyy.   yyy.   yyy.   yyy.   yyy.   y      .
personnel_record               add     yyyy   ....   yyyy   ....   ....   .      .
personnel_record               change  y...   ....   y...   ....   ....   .      .
personnel_record               delete  ....   ....   ....   ....   ....   .      .
billet_requirement             view    yyy.   yyy.   yyy.   yyy.   yyy.   y      .
billet_requirement             add     .yy.   ....   .yy.   ....   ....   .      .
billet_requirement             change  .yy.   ....   .yy.   ....   ....   .      .
billet_requirement             delete  ....   ....   ....   ....   ....   .      .
readiness_report_draft         view    y.y.   y.y.   y.y.   y.y.   y.y.   y      .
readiness_report_draft         add     y...   ....   y...   ....   ....   .      .
readiness_report_draft         change  y...   ....   y...   ....   ....   .      .
readiness_report_draft         delete  ....   ....   ....   ....   ....   .      .
readiness_report_review        view    yyy.   yyy.   yyy.   yyy.   yyy.   y      .
readiness_report_review        change  ....   ....   ....   ....   ....   .      .
readiness_report_review        delete  ....   ....   ....   ....   ....   .      .
"""

# Which organization plays each relation to each record (the owning one first).
RELATION_ORGANIZATIONS = {
    "default": ("EUCOM", "DA", "J5", "SOCOM"),
    "gef": ("USD(P)", "DA", "J5", "SOCOM"),
    "gef_end_state": ("USD(P)", "DA", "J5", "SOCOM"),
    "route": ("USD(P)", "DA", "J5", "SOCOM"),
    "program": ("USD(P)", "DA", "J5", "SOCOM"),
    "support_plan_draft": ("DA", "EUCOM", "J5", "SOCOM"),
    "cycle_setup": ("J5", "USD(P)", "EUCOM", "SOCOM"),
    "cycle_launched": ("J5", "USD(P)", "EUCOM", "SOCOM"),
    "template_draft": ("J5", "USD(P)", "EUCOM", "SOCOM"),
    "template_consultation": ("J5", "USD(P)", "EUCOM", "SOCOM"),
    "template_approved": ("J5", "USD(P)", "EUCOM", "SOCOM"),
    "template_section_draft": ("J5", "USD(P)", "EUCOM", "SOCOM"),
    "template_section_approved": ("J5", "USD(P)", "EUCOM", "SOCOM"),
    "assessment_in_progress": ("EUCOM", "USD(P)", "J5", "SOCOM"),
    "assessment_submitted": ("EUCOM", "USD(P)", "J5", "SOCOM"),
    "program_assessment": ("USD(P)", "DA", "J5", "SOCOM"),
    # An SCO's request: the SCO owns it, its geographic command supervises (and is tasked to
    # endorse), DSCA approves every one (Encl. 2, 2.f and 10.e).
    "sco": ("ODC-TURKEY", "EUCOM", "DSCA", "SOCOM"),
    "manning_authorization": ("ODC-TURKEY", "EUCOM", "DSCA", "SOCOM"),
    "manpower_request_draft": ("ODC-TURKEY", "EUCOM", "DSCA", "SOCOM"),
    "manpower_request_endorsement": ("ODC-TURKEY", "EUCOM", "DSCA", "SOCOM"),
    # The Chairman's office (J5) assigns FADs; everyone reads them beside each partner (Encl. 2, 9.f).
    "fad_assignment": ("EUCOM", "DA", "J5", "SOCOM"),
    # A diversion request: the requesting command owns it, DSCA is tasked to consult (1.g),
    # USD(P) decides every one (1.g).
    "materiel_request_draft": ("EUCOM", "DSCA", "USD(P)", "SOCOM"),
    "materiel_request_consultation": ("EUCOM", "DSCA", "USD(P)", "SOCOM"),
    # An initiative under EUCOM's plan in coordination: DA is tasked on that plan (and so sees
    # the initiative); DSCA administers its program; the approval tasks DSCA.
    "initiative_draft": ("EUCOM", "DA", "DSCA", "SOCOM"),
    "initiative_approval": ("EUCOM", "DSCA", "J5", "SOCOM"),
    # DSCA's evaluation of EUCOM's approved initiative: EUCOM coordinates, USD(P) approves every one.
    "evaluation_draft": ("DSCA", "EUCOM", "USD(P)", "SOCOM"),
    "evaluation_coordination": ("DSCA", "EUCOM", "USD(P)", "SOCOM"),
    # A personnel record: the SCO keeps it, its command supervises, USD(P&R) (and DSCA) read every
    # one; a billet's requirement is read as the SCO's readiness is (Encl. 2, 6.b, 6.c), and set by
    # DSCA (2.b) or the SCO's supervising command, not by the SCO itself.
    "personnel_record": ("ODC-TURKEY", "EUCOM", "USD(P&R)", "SOCOM"),
    "billet_requirement": ("ODC-TURKEY", "EUCOM", "DSCA", "SOCOM"),
    # DSCA writes the readiness report; USD(P&R) reviews every one (and is tasked once submitted).
    "readiness_report_draft": ("DSCA", "J5", "USD(P&R)", "SOCOM"),
    "readiness_report_review": ("DSCA", "USD(P&R)", "USD(P&R)", "SOCOM"),
}


def parse_matrix(text: str) -> dict[tuple[str, str, str, str], bool]:
    """{(record, action, role, relation or "any"): allowed} from the table above."""
    cells = {}
    lines = [line.split() for line in text.strip().splitlines()]
    header, rows = lines[0], lines[1:]
    assert tuple(header[2:]) == ROLES, header
    for row in rows:
        record, action, marks = row[0], row[1], row[2:]
        assert len(marks) == len(ROLES), row
        for role, mark in zip(ROLES, marks, strict=True):
            if role in ("sysadmin", "former"):
                assert len(mark) == 1, row
                cells[(record, action, role, "any")] = mark == "y"
            else:
                assert len(mark) == 4 and set(mark) <= {"y", "."}, row
                for relation, one in zip(RELATIONS, mark, strict=True):
                    cells[(record, action, role, relation)] = one == "y"
    return cells


EXPECTED = parse_matrix(MATRIX)
USER = get_user_model()


class Cast:
    """The people: one member per role in each organization of the matrix, and a system administrator."""

    def __init__(self):
        self.people: dict[tuple[str, str], object] = {}
        self.sysadmin = USER.objects.create_superuser("matrix_sysadmin", password="x" * 20)
        self.former = USER.objects.create_user("former_eucom_action_officer", password="x" * 20)
        Membership.objects.create(user=self.former, organization=Organization.objects.get(acronym="EUCOM", active=True),
                                  role=Role.ACTION_OFFICER, start=datetime.date(2020, 1, 1),
                                  end=datetime.date(2024, 1, 1))

    def member(self, acronym: str, role: str):
        key = (acronym, role)
        if key not in self.people:
            name = "".join(ch for ch in acronym.lower() if ch.isalnum()) + "_" + role
            user = USER.objects.create_user(name, password="x" * 20)
            Membership.objects.create(user=user, organization=Organization.objects.get(acronym=acronym, active=True),
                                      role=role, is_coordinator=role in (Role.REVIEWER, Role.APPROVER),
                                      start=datetime.date(2020, 1, 1))
            self.people[key] = user
        return self.people[key]

    def person(self, record: str, role: str, relation: str):
        if role == "sysadmin":
            return self.sysadmin
        if role == "former":
            return self.former
        acronyms = RELATION_ORGANIZATIONS.get(record, RELATION_ORGANIZATIONS["default"])
        return self.member(acronyms[RELATIONS.index(relation)], role)


def _plan(cast: Cast, *, owner="EUCOM", gef=None, start=datetime.date(2027, 1, 1)) -> CampaignPlan:
    plan = campaign_plan_create(
        by=cast.member(owner, Role.ACTION_OFFICER), owner=Organization.objects.get(acronym=owner, active=True),
        title=f"{owner} theater campaign plan (training data)", gef=gef,
        period_start=start, period_end=start.replace(year=start.year + 4),
        summary="Build partner capacity (training data).", complementary_usg_activities="State programs.",
        resources_needed="Funding.", risk_if_not_resourced="Gaps.",
    )
    return plan


@pytest.fixture
def records(db):
    call_command("load_reference_data", verbosity=0)
    cast = Cast()
    # Everyone of the matrix exists before any record, as members of their organizations.
    for record in {*RELATION_ORGANIZATIONS.values()}:
        for acronym in record:
            for role in ROLES[:-2]:
                cast.member(acronym, role)
    eucom = Organization.objects.get(acronym="EUCOM", active=True)
    gef = GEFGuidance.objects.create(year=2027, title="GEF (training data)", issued_on=datetime.date(2026, 10, 1))
    end_state = GEFEndState.objects.create(gef=gef, code="ES-1", title="Partners secure their borders")

    draft = _plan(cast, gef=gef)
    # Its own period: a command has one theater campaign plan per period (Encl. 2, 10.a).
    coordinating = _plan(cast, gef=gef, start=datetime.date(2031, 1, 1))
    coordinating.supporting_organizations.set([Organization.objects.get(acronym="DA", active=True)])
    PartnerConsideration.objects.create(plan=coordinating, country=Country.objects.get(code="PL"),
                                        support="yes", can_support="Yes", safeguard="yes",
                                        can_safeguard="Yes", sustain="yes", can_sustain="Yes")
    Objective.objects.create(plan=coordinating, code="OBJ-1", title="Interoperability").end_states.add(
        end_state)
    coordinating = transition_perform(document=coordinating, name="submit", by=cast.member("EUCOM", "action_officer"))
    assert Tasker.objects.filter(object_id=coordinating.pk, organization__acronym="DA").exists()
    support = support_plan_create(by=cast.member("DA", "action_officer"),
                                  owner=Organization.objects.get(acronym="DA", active=True),
                                  title="Army campaign support plan (training data)")

    def cycle(year):
        return cycle_create(by=cast.sysadmin, fiscal_year=year, owner=Organization.objects.get(acronym="J5"),
                            policy_office=Organization.objects.get(acronym="USD(P)"),
                            template_suspense=datetime.date(2027, 1, 4), collection_suspense=datetime.date(2027, 3, 1),
                            joint_review_suspense=datetime.date(2027, 5, 3),
                            evaluation_suspense=datetime.date(2027, 6, 30))

    setup = cycle(2027)
    running = cycle(2028)
    running = transition_perform(document=running, name="start_template", by=cast.sysadmin)
    template = template_create(cycle=running, by=cast.member("J5", "action_officer"), title="FY2028 template")
    section = TemplateSection.objects.create(template=template, title="Execution of the GEF", position=1)
    in_consultation = template_create(cycle=running, by=cast.member("J5", "action_officer"), title="Second draft")
    Template.objects.filter(pk=in_consultation.pk).update(state="consultation")
    approved = template_create(cycle=running, by=cast.member("J5", "action_officer"), title="Approved one")
    Template.objects.filter(pk=approved.pk).update(state="approved")
    approved_section = TemplateSection.objects.create(template=Template.objects.get(pk=approved.pk),
                                                      title="Approved section", position=1)
    AssessmentCycle.objects.filter(pk=running.pk).update(state="launched")
    # Assessments as the launch makes them (the launch itself is tested in tests/assessments).
    in_progress = Assessment.objects.create(cycle=running, owner=eucom, plan=coordinating, title="EUCOM",
                                            suspense=datetime.date(2027, 3, 1), state=AssessmentState.IN_PROGRESS)
    submitted = Assessment.objects.create(cycle=running, owner=eucom, plan=draft, title="EUCOM draft",
                                          suspense=datetime.date(2027, 3, 1), state=AssessmentState.SUBMITTED)
    program = Program.objects.create(code="TRN", name="Training program (training data)")
    program_assessment = ProgramAssessment.objects.create(
        cycle=running, owner=Organization.objects.get(acronym="USD(P)"), program=program, title="TRN",
        suspense=datetime.date(2027, 3, 1), state=AssessmentState.IN_PROGRESS)

    eucom_officer = cast.member("EUCOM", "action_officer")
    membership = Membership.objects.get(user=eucom_officer, organization=eucom)
    delegation = Delegation.objects.create(organization=eucom, role=Role.APPROVER,
                                           delegator=cast.member("EUCOM", "approver"), delegate=eucom_officer,
                                           start=datetime.date(2026, 1, 1), end=datetime.date(2030, 1, 1))
    notification = Notification.objects.create(user=eucom_officer, text="A tasker for you (training data)")
    preference = UserPreference.objects.create(user=eucom_officer)
    token, _key = AuthToken.objects.create(user=eucom_officer)
    profile, _ = SecurityProfile.objects.get_or_create(user=eucom_officer)
    tasker = Tasker.objects.filter(object_id=coordinating.pk).first()
    from django.utils import timezone

    from reminders.models import ReminderStep

    # The default policy comes with a data migration, which an earlier transactional test may have
    # flushed away: make sure one policy with a step exists.
    step = ReminderStep.objects.first()
    if step is None:
        policy = ReminderPolicy.objects.create(name="Default (training data)", is_active=False)
        step = ReminderStep.objects.create(policy=policy, offset_working_days=-5)
    Reminder.objects.get_or_create(tasker=tasker, step=step,
                                   recipient=cast.member("DA", "reviewer"), defaults={"due_at": timezone.now()})
    newcomer = USER.objects.create_user("eucom_newcomer", password="x" * 20)
    Membership.objects.create(user=newcomer, organization=eucom, role=Role.REVIEWER, start=datetime.date(2020, 1, 1))
    from organizations.services import power_request_create

    power_request = power_request_create(requested_by=cast.member("EUCOM", "org_admin"),
                                         kind=PowerRequestKind.GRANT_ROLE, organization=eucom, user=newcomer,
                                         role=Role.APPROVER, reason="Acting approver while deployed (training)")
    objects = {
        "oidc_link_request": OIDCLinkRequest.objects.create(issuer="https://idp.example.mil", subject="trainee-1",
                                                            name="Trainee (training data)"),
        "power_request": power_request,
        # No one refers to it yet, so it may really be deleted.
        "organization": Organization.objects.create(acronym="TRNCELL", name="Training cell (training data)",
                                                    kind="other"),
        "country": Country.objects.get(code="PL"),
        "aor_period": AreaOfResponsibility.objects.filter(country__code="PL").first(),
        "designation": OrganizationDesignation.objects.first(),
        "membership": membership,
        "delegation": delegation,
        "cui_category": CUICategory.objects.first() or CUICategory.objects.create(code="PRVCY", name="Privacy"),
        "dissemination_control": DisseminationControl.objects.first()
        or DisseminationControl.objects.create(code="FEDCON", name="Federal employees and contractors only"),
        "security_profile": profile,
        "audit_event": AuditEvent.objects.first(),
        "user": eucom_officer,
        "gef": gef,
        "gef_end_state": end_state,
        "campaign_plan_draft": draft,
        "campaign_plan_coordination": coordinating,
        "support_plan_draft": support,
        "route": Route.objects.get(document_kind="campaign_plan", is_default=True),
        "tasker": tasker,
        "history_entry": HistoryEntry.objects.first(),
        "closure": Closure.objects.create(date=datetime.date(2027, 12, 24), reason="Executive order (training data)"),
        "reminder_policy": ReminderPolicy.objects.first(),
        "reminder": Reminder.objects.first(),
        "notification": notification,
        "user_preference": preference,
        "api_token": token,
        "cycle_setup": setup,
        "cycle_launched": AssessmentCycle.objects.get(pk=running.pk),
        "template_draft": template,
        "template_consultation": Template.objects.get(pk=in_consultation.pk),
        "template_approved": Template.objects.get(pk=approved.pk),
        "template_section_draft": section,
        "template_section_approved": approved_section,
        "assessment_in_progress": in_progress,
        "assessment_submitted": submitted,
        "program_assessment": program_assessment,
        "program": program,
    }
    odc = SecurityCooperationOrganization.objects.get(organization__acronym="ODC-TURKEY")
    manning_baseline_set(sco=odc, rows=[{"position": "Chief", "grade": "O-6", "service": "army"}],
                         effective_from=datetime.date(2025, 10, 1))

    def manpower_request(title):
        return request_write(by=cast.member("ODC-TURKEY", "action_officer"), sco=odc, billets=[
            {"action": "add", "position": "Armaments officer", "grade": "O-4", "service": "air_force"}],
            fields={"title": f"{title} (training data)", "change_type": "authorizations",
                    "justification": "Co-production.", "effective_on": datetime.date(2027, 1, 1)})

    endorsing = transition_perform(document=manpower_request("Submitted"), name="submit",
                                   by=cast.member("ODC-TURKEY", "action_officer"))
    objects.update({"sco": odc, "manning_authorization": odc.authorizations.get(),
                    "manpower_request_draft": manpower_request("Draft"), "manpower_request_endorsement": endorsing})

    def materiel_request(title):
        return materiel_request_write(by=cast.member("EUCOM", "action_officer"), owner=eucom,
                                      partner=Country.objects.get(code="PL"),
                                      fields={"title": f"{title} (training data)", "item": "Interceptor",
                                              "quantity": 4, "source": "Army stocks", "justification": "Threat."})

    consulting = transition_perform(document=materiel_request("Submitted"), name="submit",
                                    by=cast.member("EUCOM", "action_officer"))
    fad = fad_assign(by=cast.member("J5", "approver"), country=Country.objects.get(code="PL"), designator="II",
                     effective_from=datetime.date(2026, 1, 1), rationale="Training data.")
    objects.update({"fad_assignment": fad, "materiel_request_draft": materiel_request("Draft"),
                    "materiel_request_consultation": consulting})
    bpc = Program.objects.get(code="BPC")  # administered by DSCA (reference data)

    def initiative(title, target):
        made = initiative_write(
            by=cast.member("EUCOM", "action_officer"), objective=coordinating.objectives.get(),
            partner=Country.objects.get(code="PL"), program=bpc,
            indicators=[{"name": "Crews certified", "kind": "outcome", "unit": "crews", "baseline_value": "1",
                         "baseline_on": datetime.date(2026, 9, 30), "target_value": "4"}],
            fields={"title": f"{title} (training data)", "start_fiscal_year": 2027, "end_fiscal_year": 2028,
                    "estimated_cost": "1000", "description": "D.", "initial_assessment": "A.",
                    "theory_of_change": "T."})
        for name, by in (("submit", ("EUCOM", "action_officer")), ("concur", ("EUCOM", "approver")),
                         ("approve", ("DSCA", "approver")))[:target]:
            made = transition_perform(document=made, name=name, by=cast.member(*by))
        return made

    approved_initiative = initiative("Approved", 3)

    def evaluation(title):
        return evaluation_write(by=cast.member("DSCA", "action_officer"), initiative=approved_initiative, fields={
            "title": f"{title} (training data)", "period_start": datetime.date(2026, 10, 1),
            "period_end": datetime.date(2026, 11, 1), "evaluator": "DSCA", "findings": "F.",
            "recommendations": "R.", "rating": "met"})

    objects.update({"initiative_draft": initiative("Draft", 0), "initiative_approval": initiative("In approval", 2),
                    "evaluation_draft": evaluation("Draft"),
                    "evaluation_coordination": transition_perform(document=evaluation("Coordinating"),
                                                                  name="submit",
                                                                  by=cast.member("DSCA", "action_officer"))})
    from workforce.services import personnel_write, report_write, requirement_set

    chief = odc.authorizations.get()
    objects["billet_requirement"] = requirement_set(by=cast.member("DSCA", "approver"), authorization=chief,
                                                    certification_level=3)
    objects["personnel_record"] = personnel_write(
        by=cast.member("ODC-TURKEY", "action_officer"), owner=odc.organization, billet=chief,
        fields={"identifier": "SCO billet holder 0001, training record", "grade": "O-6", "service": "army"},
        qualifications=[{"kind": "certification", "name": "SC workforce certification", "level": 3,
                         "completed_on": datetime.date(2025, 1, 1), "expires_on": datetime.date(2028, 1, 1)}])

    def readiness_report(title):
        return report_write(by=cast.member("DSCA", "action_officer"), fields={
            "title": f"{title} (training data)", "period_start": datetime.date(2025, 10, 1),
            "period_end": datetime.date(2025, 12, 31), "assessment": "Billets filled (training data)."})

    objects["readiness_report_draft"] = readiness_report("Draft readiness")
    objects["readiness_report_review"] = transition_perform(document=readiness_report("Submitted readiness"),
                                                            name="submit", by=cast.member("DSCA", "approver"))
    missing = [name for name, obj in objects.items() if obj is None]
    assert not missing, f"the fixture made no {missing}"
    return cast, objects


def _cells():
    for (record, action, role, relation), allowed in EXPECTED.items():
        yield record, action, role, relation, allowed


def test_the_table_covers_every_registered_admin_model_and_every_action():
    from django.contrib import admin

    names = {record for record, *_ in _cells()}
    covered = {RECORD_MODELS[name]._meta.label_lower for name in names}
    registered = {model._meta.label_lower for model in admin.site._registry}
    third_party = {"auth.group", "axes.accessattempt", "axes.accesslog", "axes.accessfailurelog"}
    assert registered - covered - third_party == set()
    for name in names:
        # Every record the table names has a row for "change"; every model one for each action.
        assert "change" in {action for record, action, *_ in _cells() if record == name}, name
    for model in {RECORD_MODELS[name] for name in names}:
        actions = {action for record, action, *_ in _cells() if RECORD_MODELS[record] is model}
        assert actions >= {"view", "change"}, model


RECORD_MODELS = {
    "organization": Organization, "country": Country, "aor_period": AreaOfResponsibility,
    "designation": OrganizationDesignation, "membership": Membership, "delegation": Delegation,
    "cui_category": CUICategory, "dissemination_control": DisseminationControl,
    "security_profile": SecurityProfile, "audit_event": AuditEvent, "user": USER, "gef": GEFGuidance,
    "gef_end_state": GEFEndState, "campaign_plan_draft": CampaignPlan, "campaign_plan_coordination": CampaignPlan,
    "support_plan_draft": CampaignSupportPlan, "route": Route, "tasker": Tasker, "history_entry": HistoryEntry,
    "closure": Closure, "reminder_policy": ReminderPolicy, "reminder": Reminder, "notification": Notification,
    "user_preference": UserPreference, "api_token": AuthToken, "cycle_setup": AssessmentCycle,
    "cycle_launched": AssessmentCycle, "template_draft": Template, "template_consultation": Template,
    "template_approved": Template, "template_section_draft": TemplateSection,
    "template_section_approved": TemplateSection, "assessment_in_progress": Assessment,
    "assessment_submitted": Assessment, "program_assessment": ProgramAssessment, "program": Program,
    "power_request": PowerRequest, "oidc_link_request": OIDCLinkRequest,
    "sco": SecurityCooperationOrganization, "manning_authorization": ManningAuthorization,
    "manpower_request_draft": ManpowerChangeRequest, "manpower_request_endorsement": ManpowerChangeRequest,
    "fad_assignment": FADAssignment, "materiel_request_draft": MaterielDiversionRequest,
    "materiel_request_consultation": MaterielDiversionRequest,
    "initiative_draft": Initiative, "initiative_approval": Initiative,
    "evaluation_draft": InitiativeEvaluation, "evaluation_coordination": InitiativeEvaluation,
    "personnel_record": PersonnelRecord, "billet_requirement": BilletRequirement,
    "readiness_report_draft": WorkforceReadinessReport, "readiness_report_review": WorkforceReadinessReport,
}


@pytest.fixture
def rules_declared_afresh():
    """The rules as each app's ``permissions`` module declares them now (``tests.rules_afresh``):
    the test checks the declarations themselves, not what start-up left behind."""
    from tests.rules_afresh import rules_declared_afresh

    with rules_declared_afresh():
        yield


def test_every_cell_of_the_matrix_holds_in_the_rules(records, rules_declared_afresh):
    """On any database (the mutation run uses SQLite): every cell through ``may``, with the rules
    declared afresh."""
    cast, objects = records
    wrong = []
    for record, action, role, relation, allowed in _cells():
        user = cast.person(record, role, relation)
        model = RECORD_MODELS[record]
        actual = may(user, action, model) if action == "add" else may(user, action, model, objects[record])
        if actual != allowed:
            wrong.append(f"{record} {action} by {role} of the {relation} organization: "
                         f"{'allowed' if actual else 'refused'}, the table says {'allowed' if allowed else 'refused'}")
    assert not wrong, "\n".join(wrong)


def _admin_url(obj_or_model, view: str) -> str:
    opts = obj_or_model._meta
    name = f"admin:{opts.app_label}_{opts.model_name}_{view}"
    return reverse(name) if view in ("add", "changelist") else reverse(name, args=[obj_or_model.pk])


@pytest.mark.postgres
def test_the_admin_pages_answer_as_the_matrix_says(records):
    """The admin itself, over HTTP: a record's page opens only for those the table lets view it
    (others get a 403 or "not found"), its form saves only for those it lets change it, and its
    delete page opens only for those it lets delete it; the add page only for those who may add."""
    from django.contrib import admin

    cast, objects = records
    wrong = []
    clients: dict[int, Client] = {}
    pages: dict[tuple, object] = {}
    for record, action, role, relation, allowed in _cells():
        model = RECORD_MODELS[record]
        if model not in admin.site._registry:
            continue
        user = cast.person(record, role, relation)
        client = clients.get(user.pk)
        if client is None:
            client = clients[user.pk] = Client()
            client.force_login(user)
        obj = objects[record]

        def get(url, user=user, client=client, **params):
            key = (user.pk, url, tuple(sorted(params.items())))
            if key not in pages:  # the change page answers both "view" and "change": ask once
                pages[key] = client.get(url, params)
            return pages[key]

        if action == "add":
            response = get(_admin_url(model, "add"))
            actual = response.status_code == 200
        elif model is Tasker:
            # A tasker is shown on its document's page (the "my taskers" list is a work list of
            # one's own organizations', and links there); no page writes one.
            if action == "view":
                response = get(_admin_url(obj.document, "change"))
                actual = response.status_code == 200 and f'id="tasker-{obj.pk}"' in response.content.decode()
            else:
                response = get(_admin_url(model, "changelist"))
                actual = bool(getattr(response, "context_data", {}).get(f"has_{action}_permission"))
        elif action == "view":
            response = get(_admin_url(obj, "change"))
            actual = response.status_code == 200
        elif action == "change":
            response = get(_admin_url(obj, "change"))
            actual = response.status_code == 200 and bool(response.context_data.get("has_change_permission"))
        else:
            response = get(_admin_url(obj, "delete"))
            actual = response.status_code == 200
        assert response.status_code < 500, (record, action, role, relation, response.status_code)
        if actual != allowed:
            wrong.append(f"{record} {action} by {role} of the {relation} organization: admin "
                         f"{'allowed' if actual else 'refused'} ({response.status_code}), the table says "
                         f"{'allowed' if allowed else 'refused'}")
    assert not wrong, "\n".join(wrong)


# The API: every endpoint's records, under the same table. "view" is GET of the record, "change"
# a PATCH of one of its texts, "add" a POST of a new one (for the member's own organization, the
# only one anyone may create for), "delete" a DELETE, which no endpoint offers anyone.
API_RECORDS = {
    "organization": lambda o: f"/api/v1/organizations/{o.acronym}/",
    "country": lambda o: f"/api/v1/countries/{o.code.code}/",
    "gef": lambda o: f"/api/v1/gef/{o.pk}/",
    "campaign_plan_draft": lambda o: f"/api/v1/campaign-plans/{o.pk}/",
    "campaign_plan_coordination": lambda o: f"/api/v1/campaign-plans/{o.pk}/",
    "support_plan_draft": lambda o: f"/api/v1/campaign-support-plans/{o.pk}/",
    "tasker": lambda o: f"/api/v1/taskers/{o.pk}/",
    "cycle_setup": lambda o: f"/api/v1/assessment-cycles/{o.pk}/",
    "cycle_launched": lambda o: f"/api/v1/assessment-cycles/{o.pk}/",
    "assessment_in_progress": lambda o: f"/api/v1/assessments/{o.pk}/",
    "assessment_submitted": lambda o: f"/api/v1/assessments/{o.pk}/",
    "program_assessment": lambda o: f"/api/v1/program-assessments/{o.pk}/",
    "manpower_request_draft": lambda o: f"/api/v1/manpower-change-requests/{o.pk}/",
    "manpower_request_endorsement": lambda o: f"/api/v1/manpower-change-requests/{o.pk}/",
    "fad_assignment": lambda o: f"/api/v1/force-activity-designators/{o.pk}/",
    "materiel_request_draft": lambda o: f"/api/v1/materiel-diversion-requests/{o.pk}/",
    "materiel_request_consultation": lambda o: f"/api/v1/materiel-diversion-requests/{o.pk}/",
    "initiative_draft": lambda o: f"/api/v1/initiatives/{o.pk}/",
    "initiative_approval": lambda o: f"/api/v1/initiatives/{o.pk}/",
    "evaluation_draft": lambda o: f"/api/v1/initiative-evaluations/{o.pk}/",
    "evaluation_coordination": lambda o: f"/api/v1/initiative-evaluations/{o.pk}/",
}
API_CHANGES = {
    "campaign_plan_draft": {"summary": "Changed through the API (training data)."},
    "campaign_plan_coordination": {"summary": "Changed through the API (training data)."},
    "support_plan_draft": {"summary": "Changed through the API (training data)."},
    "assessment_in_progress": {"strategic_environment_changes": "Changed through the API (training data)."},
    "assessment_submitted": {"strategic_environment_changes": "Changed through the API (training data)."},
    "program_assessment": {"strategic_environment_changes": "Changed through the API (training data)."},
    "manpower_request_draft": {"justification": "Changed through the API (training data)."},
    "manpower_request_endorsement": {"justification": "Changed through the API (training data)."},
    "materiel_request_draft": {"justification": "Changed through the API (training data)."},
    "materiel_request_consultation": {"justification": "Changed through the API (training data)."},
    "initiative_draft": {"description": "Changed through the API (training data)."},
    "initiative_approval": {"description": "Changed through the API (training data)."},
    "evaluation_draft": {"findings": "Changed through the API (training data)."},
    "evaluation_coordination": {"findings": "Changed through the API (training data)."},
    "personnel_record": lambda o: f"/api/v1/personnel-records/{o.pk}/",
    "billet_requirement": lambda o: f"/api/v1/billet-requirements/{o.pk}/",
    "readiness_report_draft": lambda o: f"/api/v1/workforce-readiness-reports/{o.pk}/",
    "readiness_report_review": lambda o: f"/api/v1/workforce-readiness-reports/{o.pk}/",
}
API_CHANGES = {
    "campaign_plan_draft": {"summary": "Changed through the API (training data)."},
    "campaign_plan_coordination": {"summary": "Changed through the API (training data)."},
    "support_plan_draft": {"summary": "Changed through the API (training data)."},
    "assessment_in_progress": {"strategic_environment_changes": "Changed through the API (training data)."},
    "assessment_submitted": {"strategic_environment_changes": "Changed through the API (training data)."},
    "program_assessment": {"strategic_environment_changes": "Changed through the API (training data)."},
    "manpower_request_draft": {"justification": "Changed through the API (training data)."},
    "manpower_request_endorsement": {"justification": "Changed through the API (training data)."},
    "readiness_report_draft": {"assessment": "Changed through the API (training data)."},
    "readiness_report_review": {"assessment": "Changed through the API (training data)."},
    "personnel_record": {"notes": "Changed through the API (training data)."},
    "billet_requirement": {"training": "Changed through the API (training data)."},
}


def _api_add(client, record: str, user, fiscal_year: int):
    """POST a new record of ``record``'s kind for the member's own organization."""
    membership = Membership.objects.filter(user=user).select_related("organization").first()
    owner = membership.organization.acronym if membership else "EUCOM"
    if record == "campaign_plan_draft":
        # The plan's kind follows its owner (Glossary): a functional command writes a functional plan.
        kind = "functional" if membership and membership.organization.kind == "functional_ccmd" else "theater"
        return client.post("/api/v1/campaign-plans/", {
            "owner": owner, "title": f"{owner} plan (training data)", "kind": kind,
            "period_start": "2027-01-01", "period_end": "2032-01-01"}, format="json")
    if record == "support_plan_draft":
        return client.post("/api/v1/campaign-support-plans/", {
            "owner": owner, "title": f"{owner} support plan (training data)",
            "period_start": "2027-01-01", "period_end": "2032-01-01"}, format="json")
    if record == "cycle_setup":
        return client.post("/api/v1/assessment-cycles/", {
            "fiscal_year": fiscal_year, "owner": "J5", "policy_office": "USD(P)",
            "template_suspense": "2030-01-07", "collection_suspense": "2030-03-04",
            "joint_review_suspense": "2030-05-06", "evaluation_suspense": "2030-07-01"}, format="json")
    return client.post(API_RECORDS[record](None).rsplit("/", 2)[0] + "/", {}, format="json")


@pytest.mark.postgres
def test_the_api_answers_as_the_matrix_says(records):
    """Every API endpoint's records, read, changed, added and deleted by every role of every
    relation: a success exactly where the table allows it, and never a server error."""
    from rest_framework.test import APIClient

    cast, objects = records
    wrong, fiscal_year = [], 2040
    offered: dict[tuple[str, str], set[bool]] = {}
    for record, action, role, relation, allowed in _cells():
        if record not in API_RECORDS or (action == "add" and record not in
                                         ("campaign_plan_draft", "support_plan_draft", "cycle_setup")):
            continue
        user = cast.person(record, role, relation)
        client = APIClient()
        client.force_authenticate(user)
        obj = objects[record]
        url = API_RECORDS[record](obj)
        if action == "view":
            response = client.get(url)
            actual = response.status_code == 200
        elif action == "change":
            if record not in API_CHANGES:
                response = client.patch(url, {"title": "x"}, format="json")
                actual = response.status_code < 300
            else:
                response = client.patch(url, API_CHANGES[record], format="json")
                actual = response.status_code == 200
                if actual:
                    # Put it back, so the next person finds the record as the table describes it.
                    type(obj).objects.filter(pk=obj.pk).update(**{name: getattr(obj, name)
                                                                  for name in API_CHANGES[record]})
        elif action == "add":
            fiscal_year += 1
            response = _api_add(client, record, user, fiscal_year)
            actual = response.status_code == 201
        else:
            response = client.delete(url)
            actual = response.status_code < 300
        assert response.status_code < 500, (record, action, role, relation, response.status_code)
        # An action the endpoint offers no one (405 for everyone: GEF, organizations and a cycle's
        # phase plan are written in the admin) is not a refusal of this person.
        if role != "former":  # DRF refuses someone who does not work here before it looks at the method
            offered.setdefault((record, action), set()).add(response.status_code == 405)
        if response.status_code == 405:
            continue
        if actual != allowed:
            wrong.append(f"API {record} {action} by {role} of the {relation} organization: "
                         f"{'allowed' if actual else 'refused'} ({response.status_code}), the table says "
                         f"{'allowed' if allowed else 'refused'}")
    assert not wrong, "\n".join(wrong)
    assert [key for key, answers in offered.items() if len(answers) > 1] == [], "405 to some and not others"
    assert any(answers == {False} for (_record, action), answers in offered.items() if action == "change")


def _matrix_misses(cast, objects, only: str | None = None) -> list[str]:
    """The cells (of permission ``only``, if given) where the rules disagree with the table."""
    from organizations.authority import permission_name

    misses = []
    for record, action, role, relation, allowed in _cells():
        if only is not None and permission_name(RECORD_MODELS[record], action) != only:
            continue
        user = cast.person(record, role, relation)
        model = RECORD_MODELS[record]
        actual = may(user, action, model) if action == "add" else may(user, action, model, objects[record])
        if actual != allowed:
            misses.append(f"{record} {action} {role} {relation}")
    return misses


def test_deleting_or_blocking_any_declared_rule_breaks_a_cell_of_the_matrix(records):
    """Mutation testing of the declared rules, in process: each rule the table covers is replaced in
    turn by "anyone" (a deleted check) and by "no one" (a broken grant); the matrix must notice
    each replacement that changes anything, so no rule is there without a cell that pins it."""
    import rules
    from rules.permissions import permissions as registry

    from organizations.authority import permission_name

    cast, objects = records
    assert _matrix_misses(cast, objects) == []
    names = sorted({permission_name(RECORD_MODELS[record], action) for record, action, *_ in _cells()})
    unnoticed = []
    for name in names:
        original = registry[name]
        for replacement, words in ((rules.always_allow, "anyone"), (rules.always_deny, "no one")):
            if original is replacement or (replacement is rules.always_deny and original is rules.always_deny):
                continue
            rules.set_perm(name, replacement)
            try:
                if not _matrix_misses(cast, objects, only=name):
                    unnoticed.append(f"{name} given to {words}")
            finally:
                rules.set_perm(name, original)
    # "no one" for a rule that already allows no one in the table changes nothing: not a miss.
    unnoticed = [u for u in unnoticed
                 if not (u.endswith("no one") and not any(
                     allowed for record, action, _role, _relation, allowed in _cells()
                     if permission_name(RECORD_MODELS[record], action) == u.split(" given")[0]))]
    assert unnoticed == [], "\n".join(unnoticed)
