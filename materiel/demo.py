"""Demo materiel diversions for training: the Chairman's force/activity designators of a few
partners over the fiscal year (one changed, so the history shows), and this year's diversion
requests in every state, made through the same services staff use, by the key organizations'
log-ins (``eucom_action_officer``, ``dsca_approver``, ``j5_approver``, ``usdp_approver``). Every
FAD and request here is training data, not a real assignment. Idempotent: a second run finds
the demo's rows and changes nothing."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from organizations.demo import username_for
from organizations.models import Country, Designation, FADAssignment, Role
from organizations.selectors import designated_organization
from organizations.services import fad_assign
from workflow.models import Route
from workflow.services import transition_perform

from .models import KIND, MaterielDiversionRequest, Urgency
from .services import request_write

TRAINING = "(TRAINING DATA)"
# (partner country code or organization name, designator, days after the last fiscal year's start, rationale)
FADS = (
    ("PL", "II", 0, "Frontline NATO Ally hosting rotational forces; air and missile defence fielding."),
    ("EE", "III", 0, "NATO Ally on the eastern flank; interoperability of land forces."),
    ("PH", "III", 0, "Treaty ally; maritime domain awareness programmes."),
    ("PH", "II", 120, "Raised after the Chairman's review of maritime security in the South China Sea."),
    ("JO", "III", 30, "Border security partner; counter-UAS needs."),
    ("NATO Support and Procurement Agency", "III", 60, "Multinational sustainment of Allied fleets."),
)


def _user(acronym: str, role: str):
    return get_user_model().objects.get(username=username_for(acronym, role))


def _fads(*, fiscal_start: datetime.date, stdout) -> None:
    if FADAssignment.objects.filter(rationale__endswith=TRAINING).exists():
        stdout.write("force/activity designators: unchanged")
        return
    chairman = _user("J5", Role.APPROVER)
    made = 0
    for partner, designator, days, why in FADS:
        country = Country.objects.filter(code=partner).first() if len(partner) == 2 else None
        if len(partner) == 2 and country is None:
            continue
        fad_assign(by=chairman, country=country, partner_organization="" if country else partner,
                   designator=designator, effective_from=fiscal_start + datetime.timedelta(days=days),
                   rationale=f"{why} {TRAINING}")
        made += 1
    stdout.write(f"force/activity designators: {made} assigned by the Chairman's office (training data)")


def _request(*, owner, by, partner, title, **fields):
    """A request to a partner country (its code) or a partner organization (its name)."""
    named = {"partner": Country.objects.get(code=partner)} if len(partner) == 2 else {"partner_organization": partner}
    return request_write(by=by, owner=owner, **named, fields={"title": f"{title} {TRAINING}", **fields})


def _submitted(request):
    return transition_perform(document=request, name="submit", by=_user(request.owner.acronym, Role.ACTION_OFFICER))


@transaction.atomic
def load(*, stdout) -> None:
    """The FADs, then this fiscal year's requests: approved on DSCA's advice (one to a partner
    organization, the NATO Support and Procurement Agency), approved after the
    Chairman's priorities, disapproved, awaiting the Chairman, awaiting USD(P), in consultation,
    returned and a draft."""
    needed = (Designation.SECURITY_COOPERATION_AGENCY, Designation.JOINT_STAFF, Designation.POLICY_OFFICE)
    if (any(designated_organization(d) is None for d in needed) or not Country.objects.filter(code="PL").exists()
            or not Route.objects.filter(document_kind=KIND).exists()):
        stdout.write("materiel diversions: skipped (needs the reference data: countries, designated offices and "
                     "the diversion route)")
        return
    today = timezone.localdate()
    fiscal_start = datetime.date(today.year - (today.month < 10), 10, 1)
    # The FADs from the start of the last fiscal year: a year of assignments, one changed since.
    _fads(fiscal_start=datetime.date(fiscal_start.year - 1, 10, 1), stdout=stdout)
    if MaterielDiversionRequest.objects.filter(title__endswith=TRAINING).exists():
        stdout.write("materiel diversion requests: unchanged")
        return
    from organizations.models import Organization

    eucom, indopacom, army = (Organization.objects.get(acronym=a, active=True) for a in ("EUCOM", "INDOPACOM", "DA"))
    eucom_ao, indopacom_ao, army_ao = (_user(a, Role.ACTION_OFFICER) for a in ("EUCOM", "INDOPACOM", "DA"))
    dsca, chairman, usdp = _user("DSCA", Role.APPROVER), _user("J5", Role.APPROVER), _user("USD(P)", Role.APPROVER)
    soon = fiscal_start + datetime.timedelta(days=200)

    # Approved on DSCA's advice: counter-UAS systems for Jordan from Army stocks.
    approved = _submitted(_request(
        owner=army, by=army_ao, partner="JO", title="Counter-UAS launchers for Jordan", item="Coyote launcher set",
        quantity=4, unit="set", source="Army prepositioned stocks (APS-5)", urgency=Urgency.PRIORITY, needed_by=soon,
        justification="Drone incursions on the northern border; no FMS delivery before next year."))
    approved = transition_perform(document=approved, name="advise", by=dsca,
                                  comment="No competing partner need for these sets; recommend approval (training data).")
    transition_perform(document=approved, name="approve", by=usdp, comment="Approved (training data).")

    # Approved to a partner organization (its FAD, the Chairman's, recorded at the decision).
    allied = _submitted(_request(
        owner=eucom, by=eucom_ao, partner="NATO Support and Procurement Agency",
        title="Spare engines for the NATO Heavy Airlift Wing fleet", item="F117-PW-100 engine", quantity=2,
        unit="each", source="Air Force C-17 spares pool", urgency=Urgency.PRIORITY,
        needed_by=fiscal_start + datetime.timedelta(days=120),
        justification="Two of the multinational fleet's three aircraft are grounded awaiting engines."))
    allied = transition_perform(document=allied, name="advise", by=dsca,
                                comment="The spares pool is above its floor; recommend approval (training data).")
    transition_perform(document=allied, name="approve", by=usdp, comment="Approved (training data).")

    # Competing needs: the Chairman's priorities, then USD(P) approves.
    competing = _submitted(_request(
        owner=eucom, by=eucom_ao, partner="PL", title="Air defence interceptors for Poland",
        item="Patriot PAC-3 MSE interceptor", quantity=12, unit="each", source="FMS case PL-D-YAB (slot exchange)",
        urgency=Urgency.URGENT, needed_by=fiscal_start + datetime.timedelta(days=150),
        justification="Interceptor stocks below the Ally's minimum after air defence operations."))
    competing = transition_perform(document=competing, name="refer_competing_needs", by=dsca,
                                   comment="The same production slots are sought for two INDOPACOM partners; DSCA "
                                           "cannot resolve the competing needs (training data).")
    competing = transition_perform(document=competing, name="recommend_priorities", by=chairman,
                                   comment="Priority to Poland (FAD II): immediate threat; the Indo-Pacific partners "
                                           "next quarter (training data).")
    transition_perform(document=competing, name="approve", by=usdp,
                       comment="Approved as the Chairman recommends (training data).")

    # Disapproved: the source stock is needed by U.S. forces.
    disapproved = _submitted(_request(
        owner=indopacom, by=indopacom_ao, partner="PH", title="Patrol boat engines for the Philippines",
        item="Marine diesel engine, 1,200 hp", quantity=6, unit="each", source="Navy depot stocks, Yokosuka",
        urgency=Urgency.ROUTINE, justification="Return patrol craft to service ahead of the typhoon season."))
    disapproved = transition_perform(document=disapproved, name="advise", by=dsca,
                                     comment="The depot stock is below the Navy's readiness floor (training data).")
    transition_perform(document=disapproved, name="disapprove", by=usdp,
                       comment="Source the engines through the open FMS case instead (training data).")

    # Awaiting the Chairman's priorities.
    priorities = _submitted(_request(
        owner=indopacom, by=indopacom_ao, partner="PH", title="Coastal radars for the Philippines",
        item="Coastal surveillance radar", quantity=3, unit="each", source="Section 333 programme, FY stock",
        urgency=Urgency.PRIORITY, justification="Gaps in maritime domain awareness along the western coast."))
    transition_perform(document=priorities, name="refer_competing_needs", by=dsca,
                       comment="Estonia's request competes for the same radars (training data).")

    # Awaiting the USD(P) decision.
    deciding = _submitted(_request(
        owner=eucom, by=eucom_ao, partner="EE", title="Night vision devices for Estonia",
        item="AN/PVS-31 binocular night vision device", quantity=150, unit="each", source="Army theatre stocks, Europe",
        urgency=Urgency.ROUTINE, justification="Equip the new territorial defence battalions."))
    transition_perform(document=deciding, name="advise", by=dsca,
                       comment="Stocks allow it without harm to U.S. readiness (training data).")

    # In consultation with DSCA.
    _submitted(_request(
        owner=army, by=army_ao, partner="PL", title="Bridging equipment for Poland", item="Improved ribbon bridge bay",
        quantity=10, unit="each", source="Army prepositioned stocks (APS-2)", urgency=Urgency.ROUTINE,
        justification="River-crossing capability of the new division."))

    # Returned by DSCA for rework.
    returned = _submitted(_request(
        owner=eucom, by=eucom_ao, partner="EE", title="Artillery ammunition for Estonia", item="155 mm projectile",
        quantity=2000, unit="each", source="EUCOM war reserve", urgency=Urgency.URGENT,
        needed_by=fiscal_start + datetime.timedelta(days=90), justification="Stocks for the winter exercise cycle."))
    transition_perform(document=returned, name="return_for_rework", by=dsca,
                       comment="Name the lot numbers and the replenishment plan for the war reserve (training data).")

    # A draft.
    _request(owner=army, by=army_ao, partner="JO", title="Armoured vehicles for Jordan", item="M1151 HMMWV, armored",
             quantity=20, unit="each", source="Army excess defence articles", urgency=Urgency.ROUTINE, justification="")
    stdout.write("materiel diversion requests: 9 created (3 approved, one to a partner organization, disapproved, "
                 "awaiting the Chairman, awaiting USD(P), in consultation, returned, draft)")
