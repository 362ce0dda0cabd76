"""Demo SCO manpower change requests for training: a year of requests in every state, made
through the same services staff use, by log-ins named for their roles (``odcturkey_action_officer``).
The SCOs' baseline manning is training data, not a real authorization. Idempotent: a second run
finds the demo requests and changes nothing."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from organizations.demo import (
    DemoDataError,
    _ensure_membership,
    _ensure_user,
    _Passwords,
    demo_password,
    username_for,
)
from organizations.models import Designation, Organization, Role
from organizations.selectors import designated_organization
from security.demo import DEMO_CITIZENSHIP, DEMO_CLEARANCE
from security.models import SecurityProfile
from workflow.models import Response, Step
from workflow.selectors import open_taskers
from workflow.services import tasker_respond, transition_perform

from .models import BilletAction, ChangeType, ManpowerChangeRequest, SecurityCooperationOrganization, Service
from .services import manning_baseline_set, request_write

TRAINING = "(TRAINING DATA)"
# The log-ins this demo adds, beside the key organizations' (organizations.demo): the SCO that
# requests, and the offices the route asks for input and joint approval.
DEMO_LOGINS = (("ODC-TURKEY", (Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER)),
               ("JUSMAG-PHILIPPINES", (Role.ACTION_OFFICER,)),
               ("USD(P&R)", (Role.REVIEWER, Role.APPROVER)),
               ("DIA", (Role.REVIEWER, Role.APPROVER)))

A, N, AF, MC, CIV, LE = (Service.ARMY, Service.NAVY, Service.AIR_FORCE, Service.MARINE_CORPS, Service.CIVILIAN,
                         Service.LOCAL)
# A small office's manning, for training (positions as SCOs name them; numbers invented).
BASELINE = [
    {"position": "Chief, Office of Defense Cooperation", "grade": "O-6", "service": A,
     "skill": "Foreign area officer (48)"},
    {"position": "Deputy Chief", "grade": "O-5", "service": AF, "skill": "Foreign area officer (16F)"},
    {"position": "Foreign military sales case officer", "grade": "O-4", "service": N, "skill": "Security assistance",
     "billets": 2},
    {"position": "Training program manager", "grade": "E-7", "service": MC, "skill": "IMET / training"},
    {"position": "Budget analyst", "grade": "GS-12", "service": CIV, "skill": "Financial management"},
    {"position": "Security cooperation specialist", "grade": "LE", "service": LE, "skill": "Host-nation liaison",
     "billets": 3},
]


def _user(acronym: str, role: str):
    return get_user_model().objects.get(username=username_for(acronym, role))


def _logins(stdout) -> None:
    passwords = _Passwords(demo_password())
    created = 0
    for acronym, roles in DEMO_LOGINS:
        organization = Organization.objects.filter(acronym=acronym, active=True).first()
        if organization is None:
            raise DemoDataError(f"the manpower demo needs the organization {acronym}: run load_reference_data first")
        for role in roles:
            user, outcome = _ensure_user(username_for(acronym, role), passwords=passwords, first_name=acronym,
                                         last_name=Role(role).label)
            created += outcome == "created"
            _ensure_membership(user, organization, role)
            SecurityProfile.objects.update_or_create(user=user, defaults={"clearance": DEMO_CLEARANCE,
                                                                          "citizenship": DEMO_CITIZENSHIP})
    stdout.write(f"manpower demo log-ins: {created} created")


def _request(*, by, sco=None, host_country=None, title, change_type, billets, effective_on, **fields):
    return request_write(by=by, sco=sco, host_country=host_country, billets=billets,
                         fields={"title": f"{title} {TRAINING}", "change_type": change_type,
                                 "effective_on": effective_on, **fields})


def _through_endorsement(request, command_acronym):
    request = transition_perform(document=request, name="submit", by=_user(command_acronym, Role.ACTION_OFFICER)
                                 if request.owner.acronym == command_acronym else
                                 _user(request.owner.acronym, Role.ACTION_OFFICER))
    return transition_perform(document=request, name="endorse", by=_user(command_acronym, Role.APPROVER),
                              comment="Endorsed: the SCO's workload supports it (training data).")


def _input_given(request, by_acronym):
    for tasker in open_taskers(request, step=Step.CONSULTATION):
        acronym = tasker.organization.acronym
        tasker_respond(tasker=tasker, by=_user(acronym, Role.REVIEWER), response=Response.CONCUR,
                       rationale=f"{acronym} input: grades and skills are consistent with policy (training data).")
    return transition_perform(document=request, name="send_for_approval", by=_user(by_acronym, Role.ACTION_OFFICER))


@transaction.atomic
def load(*, stdout) -> None:
    """Baseline manning at two SCOs, then this fiscal year's requests: one approved, one awaiting
    DIA's joint approval, one in coordination, one returned, one draft."""
    if not SecurityCooperationOrganization.objects.exists() or designated_organization(
            Designation.SECURITY_COOPERATION_AGENCY) is None:
        stdout.write("SCO manpower: skipped (needs the reference data: SCOs and designated offices)")
        return
    _logins(stdout)
    if ManpowerChangeRequest.objects.filter(title__endswith=TRAINING).exists():
        stdout.write("SCO manpower change requests: unchanged")
        return
    turkey = SecurityCooperationOrganization.objects.get(organization__acronym="ODC-TURKEY")
    philippines = SecurityCooperationOrganization.objects.get(organization__acronym="JUSMAG-PHILIPPINES")
    today = timezone.localdate()
    fiscal_start = datetime.date(today.year - (today.month < 10), 10, 1)
    baseline_on = datetime.date(fiscal_start.year - 1, 10, 1)
    manning_baseline_set(sco=turkey, rows=BASELINE, effective_from=baseline_on)
    manning_baseline_set(sco=philippines, rows=[dict(row, position=row["position"].replace(
        "Office of Defense Cooperation", "JUSMAG")) for row in BASELINE], effective_from=baseline_on)
    turkey_ao, jusmag_ao = _user("ODC-TURKEY", Role.ACTION_OFFICER), _user("JUSMAG-PHILIPPINES", Role.ACTION_OFFICER)

    # Approved: a second FMS case officer at ODC Turkey, effective at the start of the next quarter.
    approved = _request(by=turkey_ao, sco=turkey, title="ODC Turkey: add an FMS case officer",
                        change_type=ChangeType.AUTHORIZATIONS, effective_on=fiscal_start + datetime.timedelta(days=92),
                        justification="Foreign military sales cases grew by a third; one officer per 40 open cases.",
                        billets=[{"action": BilletAction.CHANGE, "position": "Foreign military sales case officer",
                                  "grade": "O-4", "service": N, "skill": "Security assistance", "billets": 3}])
    approved = _input_given(_through_endorsement(approved, "EUCOM"), "ODC-TURKEY")
    transition_perform(document=approved, name="approve", by=_user("DSCA", Role.APPROVER),
                       comment="Approved within the FY manpower ceiling (training data).")

    # Awaiting DIA: the SDO/DATT's Military Department affiliation at JUSMAG Philippines.
    joint = _request(by=_user("INDOPACOM", Role.ACTION_OFFICER), sco=philippines,
                     title="JUSMAG Philippines: SDO/DATT affiliation from Army to Marine Corps",
                     change_type=ChangeType.SDO_DATT_GRADE, effective_on=fiscal_start + datetime.timedelta(days=273),
                     justification="Rotation of the SDO/DATT billet among the Services, as agreed with the embassy.",
                     billets=[{"action": BilletAction.CHANGE, "position": "Chief, JUSMAG", "grade": "O-6",
                               "service": MC, "skill": "Foreign area officer (8240)"}])
    joint = _input_given(_through_endorsement(joint, "INDOPACOM"), "INDOPACOM")
    transition_perform(document=joint, name="send_to_dia", by=_user("DSCA", Role.APPROVER),
                       comment="DSCA approves; DIA to approve jointly (training data).")

    # In coordination: a new structure at ODC Turkey (USD(P&R)'s input and the Joint Staff pending).
    coordination = _request(by=turkey_ao, sco=turkey, title="ODC Turkey: armaments cooperation division",
                            change_type=ChangeType.STRUCTURE, effective_on=fiscal_start + datetime.timedelta(days=365),
                            justification="Co-production programmes need a division of their own.",
                            billets=[{"action": BilletAction.ADD, "position": "Armaments cooperation officer",
                                      "grade": "O-4", "service": AF, "skill": "Acquisition (63A)"}])
    _through_endorsement(coordination, "EUCOM")

    # Returned by the command: an abolished LE position without the workload analysis.
    returned = _request(by=jusmag_ao, sco=philippines, title="JUSMAG Philippines: abolish a budget analyst",
                        change_type=ChangeType.AUTHORIZATIONS, effective_on=fiscal_start + datetime.timedelta(days=180),
                        justification="Budget work moves to the regional support centre.",
                        billets=[{"action": BilletAction.ABOLISH, "position": "Budget analyst"}])
    returned = transition_perform(document=returned, name="submit", by=jusmag_ao)
    transition_perform(document=returned, name="return_for_rework", by=_user("INDOPACOM", Role.APPROVER),
                       comment="Attach the workload analysis for the regional support centre (training data).")

    # Draft: the chief's grade at ODC Turkey.
    _request(by=turkey_ao, sco=turkey, title="ODC Turkey: chief's grade from O-6 to O-7",
             change_type=ChangeType.CHIEF_GRADE, effective_on=fiscal_start + datetime.timedelta(days=400),
             justification="", billets=[{"action": BilletAction.CHANGE, "position": "Chief, Office of Defense "
                                         "Cooperation", "grade": "O-7", "service": A, "skill": "Foreign area officer (48)"}])
    stdout.write("SCO manpower change requests: 5 created (approved, awaiting DIA, in coordination, returned, draft)")
