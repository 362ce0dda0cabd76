"""A coherent demo year for training, made through the same services staff use (DoDD 5132.03):
one theater campaign plan per geographic combatant command and a functional campaign plan per
functional command (Glossary; Encl. 2, 10.a), each approved by its commander last fiscal year for
FY2026-FY2030; campaign support plans from each Military Department, several Defense Agencies and a
functional command supporting a geographic command's plan (7.b, 8.b, 10.b); this year's new
versions in every workflow state. Every plan has its own partners, objectives and measures.
Idempotent: a second run finds the demo GEF and changes nothing."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from organizations.models import Country, Organization
from workflow.models import Response, Step
from workflow.selectors import open_taskers
from workflow.services import comment_adjudicate, tasker_remove, tasker_respond, transition_perform

from .models import CampaignPlan, CampaignSupportPlan, GEFEndState, GEFGuidance, PlanState
from .services import campaign_plan_create, plan_lists_replace, plan_new_version, support_plan_create

DEMO_GEF_TITLE = "Guidance for Employment of the Force (TRAINING DATA)"
END_STATES = [
    ("ES-1", "Partners capable of providing for their own security"),
    ("ES-2", "Interoperable coalition partners for multinational operations"),
    ("ES-3", "Assured U.S. access and freedom of action"),
]

# Partners: (country, can support, can safeguard, can sustain), each partner's own answer (Encl. 2, 4.b).
# Objectives: (title, end state 1-3, measure of effectiveness, measure of performance, indicator).

# The plans in force: approved by their commanders last fiscal year for FY2026-FY2030.
THEATER = {
    "AFRICOM": ("Theater campaign plan — East and West Africa security partnerships", (
        (("KE", "Yes: Kenya Defence Forces absorb new ISR aircraft into their air wing.",
           "Yes: end-use monitoring agreement signed; storage inspected.",
           "Partly: spares funded through FY2028 only; sustainment case included.")),
        (("GH", "Yes: Ghana Navy crews trained on patrol boats delivered in FY2024.",
           "Yes: port security upgraded with partner funds.",
           "Partly: the Navy's maintenance budget covers two of three boats.")),
    ), (
        (("Kenyan forces lead counter-terrorism operations along the Somali border", 1,
           "Share of border operations planned and led by Kenyan units", "ISR sorties flown by Kenyan crews",
           "Partner operation orders; AMISOM successor reports")),
        (("Ghana Navy patrols its exclusive economic zone against illegal fishing and piracy", 2,
           "Interdictions made by Ghanaian patrols each quarter", "Boarding teams certified",
           "Maritime domain awareness center logs")),
    )),
    "CENTCOM": ("Theater campaign plan — Levant and Gulf border security", (
        (("JO", "Yes: the Jordan Armed Forces operate the border surveillance system.",
           "Yes: Jordan meets U.S. technology security requirements.",
           "Yes: sustainment in the Jordanian budget since FY2023.")),
        (("IQ", "Partly: Iraqi Counter-Terrorism Service absorbs training, not new systems.",
           "Partly: accountability of delivered equipment under review.",
           "No for new platforms; sustainment limited to training.")),
    ), (
        (("Jordan secures its northern and eastern borders without U.S. forces in the lead", 1,
           "Cross-border incidents resolved by Jordanian units alone", "Border posts on the surveillance network",
           "Border incident reports")),
        (("Iraqi counter-terrorism units plan and conduct operations independently", 1,
           "Operations conducted without coalition enablers", "Staff officers through planning courses",
           "Coalition advisor assessments")),
    )),
    "EUCOM": ("Theater campaign plan — Baltic and Black Sea deterrence", (
        (("PL", "Yes: Poland fields HIMARS with its own crews.", "Yes: NATO security agreements apply.",
           "Yes: Polish defense budget above 4% of GDP sustains it.")),
        (("LT", "Yes: Lithuanian battalions integrate with the NATO battlegroup.",
           "Yes: NATO security agreements apply.", "Partly: ammunition stocks depend on allied production.")),
        (("RO", "Yes: Romanian air defense units certified on Patriot.", "Yes: NATO security agreements apply.",
           "Partly: missile replenishment through FMS.")),
    ), (
        (("Baltic forces hold their territory until allied reinforcement arrives", 2,
           "Exercise scenarios in which national forces hold to the planning timeline",
           "Battalions certified to NATO standards", "Exercise after-action reports")),
        (("Romania and Poland operate integrated air and missile defense on the eastern flank", 2,
           "Share of NATO air policing tracks handled by national units", "Air defense crews certified",
           "NATO IAMD evaluations")),
    )),
    "INDOPACOM": ("Theater campaign plan — Southeast Asia maritime security", (
        (("PH", "Yes: the Philippine Navy operates the coastal radar network.", "Yes: EDCA sites secured.",
           "Partly: radar maintenance contracted through FY2027.")),
        (("VN", "Partly: Vietnam Coast Guard absorbs cutters, slowly.", "Partly: end-use checks agreed case by case.",
           "Partly: sustainment depends on FMF.")),
        (("ID", "Yes: Indonesian Navy maritime patrol aircraft crews trained.", "Yes: agreement signed.",
           "Yes: Indonesian budget covers operations.")),
    ), (
        (("Partners maintain a maritime picture of their own waters in the South China Sea", 2,
           "Hours of partner maritime surveillance each month", "Radar sites and patrol aircraft operational",
           "Shared maritime picture logs")),
        (("U.S. forces keep access to partner facilities for rotational presence", 3,
           "Rotations hosted without delay", "Sites improved under EDCA", "Host nation approvals")),
    )),
    "NORTHCOM": ("Theater campaign plan — North American approaches", (
        (("MX", "Yes: SEDENA and SEMAR units trained in counter-smuggling operations.",
           "Yes: end-use monitoring in place.", "Yes: Mexican budget sustains the program.")),
        (("BS", "Partly: Royal Bahamas Defence Force absorbs small craft.", "Yes: agreement signed.",
           "Partly: fuel and maintenance are the limit.")),
    ), (
        (("Mexican forces interdict transnational criminal organizations' maritime routes", 1,
           "Maritime interdictions by Mexican units", "Crews trained", "Joint task force reports")),
        (("The Bahamas detects and stops illicit traffic through its archipelago", 1,
           "Detections leading to interdictions", "Boats operational each month", "Operations center logs")),
    )),
    "SOUTHCOM": ("Theater campaign plan — Andean and Central American partnerships", (
        (("CO", "Yes: Colombian forces export training to regional partners.", "Yes: long-standing agreements.",
           "Yes: Colombian budget sustains helicopters and training.")),
        (("GT", "Partly: Guatemalan interagency task forces absorb training.", "Partly: accountability improving.",
           "No for aircraft; yes for training.")),
    ), (
        (("Colombia trains Central American units as a security exporter", 2,
           "Courses taught by Colombian instructors", "Partner students trained", "Regional training reports")),
        (("Guatemala's interagency task forces control its border with Mexico", 1,
           "Seizures at the border", "Task force members trained", "Task force reports")),
    )),
    "SPACECOM": ("Theater campaign plan — space domain awareness with allied partners", (
        (("AU", "Yes: Australia operates its own space surveillance radar.", "Yes: Five Eyes arrangements apply.",
           "Yes: Australian Defence budget.")),
        (("JP", "Yes: Japan Air Self-Defense Force space operations group operational.",
           "Yes: security of information agreement.", "Yes: Japanese budget.")),
    ), (
        (("Allied space surveillance sensors contribute to one space picture", 2,
           "Share of catalog updates from allied sensors", "Sensors connected to the combined center",
           "Combined space operations center reports")),
        (("Partners share space domain awareness in a crisis without delay", 3,
           "Time to share a conjunction warning", "Liaison officers in place", "Exercise results")),
    )),
}
FUNCTIONAL = {
    "SOCOM": ("Functional campaign plan — partner special operations forces", (
        (("JO", "Yes: Jordanian special operations forces lead regional courses.", "Yes: agreements in place.",
           "Yes: Jordanian budget.")),
        (("CO", "Yes: Colombian special forces operate independently.", "Yes: agreements in place.",
           "Yes: Colombian budget.")),
    ), (
        (("Partner special operations forces conduct counter-terrorism raids without U.S. enablers", 1,
           "Raids planned and executed by partner units alone", "Partner SOF trained", "Operation reports")),
    )),
    "CYBERCOM": ("Functional campaign plan — partner cyber defense", (
        (("LT", "Yes: Lithuania's cyber command defends its networks.", "Yes: NATO arrangements.",
           "Yes: national budget.")),
        (("EE", "Yes: Estonia hosts the NATO cyber center of excellence.", "Yes: NATO arrangements.",
           "Yes: national budget.")),
    ), (
        (("Partners detect and evict intrusions on their military networks", 2,
           "Mean time to evict an intrusion in exercises", "Defensive cyber teams certified",
           "Hunt-forward mission reports")),
    )),
    "TRANSCOM": ("Functional campaign plan — partner logistics and access", (
        (("DE", "Yes: German rail and ports move allied forces.", "Yes: NATO arrangements.",
           "Yes: national budget.")),
        (("SG", "Yes: Singapore hosts logistics at Changi Naval Base.", "Yes: agreements in place.",
           "Yes: national budget.")),
    ), (
        (("Partner ports and railheads receive U.S. forces on the planned timeline", 3,
           "Deployment exercise timelines met", "Host nation support agreements current",
           "Deployment after-action reports")),
    )),
    "STRATCOM": ("Functional campaign plan — allied strategic deterrence cooperation", (
        (("GB", "Yes: the United Kingdom's deterrent operates alongside U.S. forces.", "Yes: long-standing agreements.",
           "Yes: national budget.")),
    ), (
        (("Allied deterrence planning is exercised together each year", 2,
           "Combined exercises completed", "Planners exchanged", "Exercise reports")),
    )),
}
# (owner, title, supported commands' plans, partners, objectives)
SUPPORT = [
    ("DA", "Army campaign support plan — Europe and Africa", ("EUCOM", "AFRICOM"), (
        (("PL", "Yes: Polish divisions train with U.S. Army rotations.", "Yes: NATO arrangements.",
           "Yes: national budget.")),), (
        (("Security force assistance brigades train Baltic and Polish battalions", 1,
           "Partner battalions certified after training", "Advisor teams deployed", "SFAB reports")),)),
    ("DON", "Navy and Marine Corps campaign support plan — Indo-Pacific", ("INDOPACOM",), (
        (("PH", "Yes: Philippine Navy crews train with U.S. ships.", "Yes: agreements in place.",
           "Partly: maintenance funds.")),), (
        (("Partner navies train with U.S. ships in regular exercises", 2,
           "Exercises with partner navies", "Ship days in partner waters", "Exercise reports")),)),
    ("DAF", "Air Force campaign support plan — Indo-Pacific and Europe", ("INDOPACOM", "EUCOM"), (
        (("RO", "Yes: Romanian F-16 squadrons train with U.S. Air Force units.", "Yes: NATO arrangements.",
           "Partly: pilot training pipeline.")),), (
        (("Partner air forces fly integrated air defense missions with U.S. units", 2,
           "Combined sorties flown", "Partner pilots qualified", "Exercise reports")),)),
    ("DSCA", "Defense Security Cooperation Agency campaign support plan — foreign military sales", ("EUCOM",
                                                                                                       "CENTCOM"), (
        (("PL", "Yes: Poland's armaments agency manages its FMS cases.", "Yes: NATO arrangements.",
           "Yes: national budget.")),), (
        (("Foreign military sales cases for priority partners meet their delivery dates", 1,
           "Cases delivered on schedule", "Letters of offer signed", "Case reviews")),)),
    ("DLA", "Defense Logistics Agency campaign support plan — partner sustainment", ("CENTCOM", "AFRICOM"), (
        (("JO", "Yes: Jordan's logistics command orders spares through DLA.", "Yes: agreements in place.",
           "Yes: national budget.")),), (
        (("Partners order and receive spare parts for U.S.-made equipment on time", 1,
           "Orders filled within standard times", "Cooperative logistics agreements", "Supply reports")),)),
    ("DTRA", "Defense Threat Reduction Agency campaign support plan — countering weapons of mass destruction",
     ("EUCOM",), (
        (("GE", "Partly: Georgia's border guards absorb detection equipment.", "Yes: agreement signed.",
           "Partly: calibration funded through FY2027.")),), (
        (("Partner border guards detect nuclear and radiological material at crossings", 1,
           "Detections in exercises", "Crossings equipped", "Border service reports")),)),
    # A functional command supporting a geographic command's plan (Encl. 2, 10.b).
    ("SOCOM", "SOCOM campaign support plan — special operations in Africa", ("AFRICOM",), (
        (("KE", "Yes: Kenyan special operations units train with U.S. teams.", "Yes: agreements in place.",
           "Partly: equipment sustainment.")),), (
        (("Kenyan special operations units plan and lead operations in Somalia's border regions", 1,
           "Operations led by Kenyan units", "Teams trained", "Operation reports")),)),
]


# Who coordinates as a supporting organization on each command's plan (Encl. 2, 7.a and 8.a): among
# them every component whose support plan supports it (above), which is how its writers see that plan.
SUPPORTING = {"AFRICOM": ("DA", "DSCA", "DLA", "SOCOM"), "CENTCOM": ("DA", "DLA", "DSCA"),
              "EUCOM": ("DA", "DON", "DAF", "DSCA", "DTRA"),
              "INDOPACOM": ("DON", "DAF"), "NORTHCOM": ("DON", "DLA"), "SOUTHCOM": ("DA", "DSCA"),
              "SPACECOM": ("DAF",), "SOCOM": ("DA",), "CYBERCOM": ("DAF",), "TRANSCOM": ("DLA", "DA"),
              "STRATCOM": ("DON", "DAF")}

# Last fiscal year's approvals, and the plans' five-year period (FY2026-FY2030).
PERIOD = (datetime.date(2025, 10, 1), datetime.date(2030, 9, 30))


def _user(username: str):
    return get_user_model().objects.get(username=username)


def _slug(acronym: str) -> str:
    return "".join(ch for ch in acronym.lower() if ch.isalnum())


def _answer_all(plan, step: str, response=Response.CONCUR) -> None:
    for tasker in open_taskers(plan, step=step):
        tasker_respond(tasker=tasker, by=_user(f"{_slug(tasker.organization.acronym)}_reviewer"), response=response)


def _drop_unstaffed(plan, owner_ao) -> None:
    """Organizations without demo staff: the owner records why they coordinate outside the tool."""
    staffed = set(get_user_model().objects.filter(username__endswith="_reviewer").values_list("username", flat=True))
    for tasker in open_taskers(plan, step=Step.COORDINATION):
        if f"{_slug(tasker.organization.acronym)}_reviewer" not in staffed:
            tasker_remove(tasker=tasker, by=owner_ao, reason="Coordinated by message outside the tool (training)")


def _advance(plan, target: str):
    """Move ``plan`` to ``target`` as the people of its route would: the owner's action officer
    submits and sends to review, each tasked organization's reviewer concurs, the Joint Staff's
    reviewer returns it, the owning command's (or component's) approver approves (Encl. 2, 10.a)."""
    ao = _user(f"{_slug(plan.owner.acronym)}_action_officer")
    if target == PlanState.DRAFT:
        return plan
    plan = transition_perform(document=plan, name="submit", by=ao)
    _drop_unstaffed(plan, ao)
    if target == PlanState.COORDINATION:
        return plan
    _answer_all(plan, Step.COORDINATION)
    plan = transition_perform(document=plan, name="send_to_review", by=ao)
    if target == PlanState.REVIEW:
        return plan
    if target == PlanState.RETURNED:
        return transition_perform(document=plan, name="return_for_rework", by=_user("j5_reviewer"),
                                  comment="Deconflict objective 2 with the functional campaign plan (training).")
    _answer_all(plan, Step.REVIEW)
    approving = open_taskers(plan, step=Step.APPROVAL).select_related("organization").first()
    acronym = approving.organization.acronym if approving else plan.owner.acronym
    return transition_perform(document=plan, name="approve", by=_user(f"{_slug(acronym)}_approver"))


def _sections(owner: str, title: str, partners, objectives) -> list[dict]:
    names = ", ".join(Country.objects.get(code=p[0]).name for p in partners)
    return [
        {"number": "1", "part": "situation", "heading": "Situation", "classification": "U",
         "body": f"{owner}'s partners for this plan are {names}; their capabilities and limits are set out per "
                 "partner in the partner considerations (training data)."},
        {"number": "2", "part": "strategic_approach", "heading": "Strategic approach", "classification": "U",
         "body": f"{title}: " + "; ".join(o[0] for o in objectives) + " (training data)."},
        {"number": "3", "part": "assessment_approach", "heading": "Assessment approach", "classification": "U",
         "body": "Measured each year against: " + "; ".join(o[2] for o in objectives) + " (training data)."},
    ]


def _plan(create, owner: str, title: str, partners, objectives, end_states, *, kind: str = "", supporting=(),
          supported=(), marking: dict | None = None, rel_to=()):
    org = Organization.objects.get(acronym=owner, active=True)
    author = _user(f"{_slug(owner)}_action_officer")
    fields = {
        "gef": end_states[0].gef, "period_start": PERIOD[0], "period_end": PERIOD[1],
        "summary": f"{title} (training data): " + "; ".join(o[0] for o in objectives) + ".",
        "complementary_usg_activities": "Department of State security assistance (FMF, IMET, INL) in the same "
                                        "countries; USAID's former programs now run by the Department of State "
                                        "(training data).",
        "resources_needed": f"Title 10 security cooperation funding for {len(partners)} partners; exercise "
                            "participation (training data).",
        "risk_if_not_resourced": "Partner capability gaps persist and access is at risk (training data).",
        **({"kind": kind} if kind else {}), **(marking or {}),
    }
    # A campaign plan is named for its command ("EUCOM theater campaign plan — ..."); a support plan's
    # title names its component already.
    full_title = f"{owner} {title[:1].lower()}{title[1:]}" if create is campaign_plan_create else title
    plan = create(by=author, owner=org, title=full_title, **fields)
    if rel_to:
        plan.rel_to.set(Country.objects.filter(code__in=rel_to))
    links = {}
    if supporting:
        links["supporting_organizations"] = list(Organization.objects.filter(acronym__in=supporting, active=True))
    if supported:
        links["supported_plans"] = list(supported)
    # Through the service staff use: it raises the banner to the highest portion, as for them.
    return plan_lists_replace(
        plan=plan, by=author, links=links,
        partners=[{"country": Country.objects.get(code=code), "support": _answer(support), "can_support": support,
                   "safeguard": _answer(safeguard), "can_safeguard": safeguard, "sustain": _answer(sustain),
                   "can_sustain": sustain} for code, support, safeguard, sustain in partners],
        objectives=[{"code": f"OBJ-{number}", "title": objective, "measures_of_effectiveness": moe,
                     "measures_of_performance": mop, "indicators": indicators,
                     "end_states": [end_states[end_state - 1]]}
                    for number, (objective, end_state, moe, mop, indicators) in enumerate(objectives, start=1)],
        sections=_sections(owner, title, partners, objectives),
        plan_activities=_activities(len(owner) + len(title), partners, objectives, plan_marking=marking or {},
                                    plan_rel_to=rel_to))


# The kinds of security cooperation activity the demo plans carry (training data): a title for the
# partner, the program it runs under (by code, when the reference data holds it), the functions it
# works in (their commands and offices coordinate, Encl. 2, 10.b), its months within the period and
# its portion mark (training marks, not classification guidance: a sale's case, a capacity-building
# package and intelligence sharing are CUI, and SECRET in a SECRET plan).
ACTIVITY_KINDS = (
    ("Bilateral staff exercise with {country}", None, ("transportation_logistics",), (2026, 3), (2026, 6), "U"),
    ("Mobile training team for {country} officers", "IMET", (), (2026, 10), (2027, 3), "U"),
    ("Foreign Military Sales case for {country}: equipment, training and spares", "FMS",
     ("acquisition_technology_release",), (2026, 1), (2028, 9), "CUI"),
    ("Regional fellowship seminar with {country} staff", "CTFP", (), (2027, 4), (2027, 5), "U"),
    ("Intelligence-sharing workshop with {country}", None, ("intelligence",), (2027, 1), (2027, 2), "CUI"),
    ("Section 333 capacity-building package for {country}", "BPC", ("financial_management",), (2026, 4),
     (2028, 3), "CUI"),
)


def _activities(plan_number: int, partners, objectives, *, plan_marking: dict, plan_rel_to=()) -> list[dict]:
    """Two activities under each objective, each with one of the plan's partners and its portion
    mark: the kinds taken in turn from where this plan's number starts, so that plans differ. In a
    SECRET plan what would be CUI is SECRET, released as the plan is (training data and marks)."""
    from .models import PlanActivity

    programs = {p.code: p for p in PlanActivity._meta.get_field("program").related_model.objects.all()}
    countries = {c.code.code: c for c in Country.objects.filter(code__in=[p[0] for p in partners])}
    secret = plan_marking.get("classification") == "S"
    released = list(Country.objects.filter(code__in=plan_rel_to)) if secret and plan_rel_to else []
    rows = []
    for index, (objective, *_rest) in enumerate(objectives):
        for turn in range(2):
            title, program, functions, start, end, mark = ACTIVITY_KINDS[(plan_number + 2 * index + turn)
                                                                         % len(ACTIVITY_KINDS)]
            country = countries[partners[(index + turn) % len(partners)][0]]
            marking = {"classification": mark}
            if secret and mark == "CUI":
                marking = {"classification": "S", "noforn": bool(plan_marking.get("noforn")), "rel_to": released}
            rows.append({"objective": index, "title": title.format(country=country.name),
                         "description": f"In support of: {objective[:1].lower()}{objective[1:]} (training data).",
                         "partner": country, "program": programs.get(program), "functions": list(functions),
                         "start_date": datetime.date(*start, 1), "end_date": datetime.date(*end, 28), **marking})
    return rows


def _answer(evidence: str) -> str:
    """The 4.b answer the evidence gives: "Yes: ..." is yes; anything qualified is partly."""
    return "yes" if evidence.startswith("Yes") else "partly"


def _approved_last_year(plan, day: int) -> None:
    """The plans in force were submitted and approved in the last fiscal year (dates only)."""
    approved = datetime.datetime(2025, 9, day, 15, tzinfo=datetime.UTC)
    type(plan).objects.filter(pk=plan.pk).update(submitted_at=approved - datetime.timedelta(days=60),
                                                 approved_at=approved)


@transaction.atomic
def load(*, stdout=None) -> None:
    if GEFGuidance.objects.filter(title=DEMO_GEF_TITLE).exists():
        if stdout:
            stdout.write("demo plans: already loaded")
        return
    if not get_user_model().objects.filter(username="eucom_action_officer").exists():
        if stdout:
            stdout.write("demo plans: skipped (demo users missing)")
        return
    from . import reference

    reference.load(stdout=stdout)  # the default routes (idempotent; normally loaded with the reference data)
    today = timezone.localdate()
    gef = GEFGuidance.objects.create(year=2025, title=DEMO_GEF_TITLE, issued_on=datetime.date(2025, 1, 15),
                                     assessment_guidance="Assess progress toward each end state (training data).")
    end_states = [GEFEndState.objects.create(gef=gef, code=c, title=t) for c, t in END_STATES]
    secret = {"classification": "S", "classified_by": "Training classification authority (not real)",
              "derived_from": "Training source (not real)", "declassify_on": "20511231"}

    # The plans in force: one theater campaign plan per geographic command, a functional one per
    # functional command, each approved by its commander.
    in_force = {}
    for day, (owner, (title, partners, objectives)) in enumerate(THEATER.items(), start=1):
        plan = _plan(campaign_plan_create, owner, title, partners, objectives, end_states, supporting=SUPPORTING[owner],
                     **({"marking": secret, "rel_to": ["AU", "GB", "JP"]} if owner == "INDOPACOM" else {}))
        in_force[owner] = _advance(plan, PlanState.APPROVED)
        _approved_last_year(in_force[owner], day)
    for day, (owner, (title, partners, objectives)) in enumerate(FUNCTIONAL.items(), start=10):
        plan = _plan(campaign_plan_create, owner, title, partners, objectives, end_states, kind="functional",
                     supporting=SUPPORTING[owner],
                     **({"marking": {**secret, "noforn": True}} if owner == "SOCOM" else {}))
        if owner == "STRATCOM":  # its first plan is still in review this year
            _advance(plan, PlanState.REVIEW)
            continue
        in_force[owner] = _advance(plan, PlanState.APPROVED)
        _approved_last_year(in_force[owner], day)

    # This year's work on them: new versions in every state.
    ao = {owner: _user(f"{_slug(owner)}_action_officer") for owner in THEATER}
    # AFRICOM's second version supersedes the first: the support plans below support the one in force.
    in_force["AFRICOM"] = _advance(plan_new_version(plan=in_force["AFRICOM"], by=ao["AFRICOM"]), PlanState.APPROVED)
    _advance(plan_new_version(plan=in_force["INDOPACOM"], by=ao["INDOPACOM"]), PlanState.REVIEW)
    _advance(plan_new_version(plan=in_force["CENTCOM"], by=ao["CENTCOM"]), PlanState.RETURNED)
    plan_new_version(plan=in_force["SOUTHCOM"], by=ao["SOUTHCOM"])  # a draft
    withdrawn = plan_new_version(plan=in_force["NORTHCOM"], by=ao["NORTHCOM"])
    transition_perform(document=withdrawn, name="withdraw", by=ao["NORTHCOM"],
                       comment="Overtaken by the revised homeland defense guidance (training).")
    in_coordination = _advance(plan_new_version(plan=in_force["EUCOM"], by=ao["EUCOM"]), PlanState.COORDINATION)
    navy = open_taskers(in_coordination).filter(organization__acronym="DON").first()
    if navy:
        tasker_respond(tasker=navy, by=_user("don_reviewer"), response=Response.NONCONCUR,
                       rationale="Naval presence figures conflict with the global force plan.",
                       comments=[{"category": "critical", "section": "3.b", "text": "Remove the carrier presence "
                                  "assumption.", "proposed_change": "Replace with rotational presence."},
                                 {"category": "administrative", "section": "1.a", "text": "Spell out IAMD."}])
        army = open_taskers(in_coordination).filter(organization__acronym="DA").first()
        if army:
            tasker_respond(tasker=army, by=_user("da_reviewer"), response=Response.CONCUR_WITH_COMMENT,
                           comments=[{"category": "substantive", "section": "2", "text": "Add SFAB rotations."}])
        admin_comment = navy.comments.filter(category="administrative").first()
        if admin_comment:
            comment_adjudicate(comment=admin_comment, by=ao["EUCOM"], decision="accepted", rationale="")

    # Campaign support plans (Encl. 2, 7.b, 8.b; 10.b for a command supporting another's plan).
    targets = {PlanState.APPROVED: ("DA", "DAF", "DSCA", "DTRA", "SOCOM"), PlanState.COORDINATION: ("DON",),
               PlanState.DRAFT: ("DLA",)}
    state_of = {owner: state for state, owners in targets.items() for owner in owners}
    for day, (owner, title, supported, partners, objectives) in enumerate(SUPPORT, start=15):
        plan = _plan(support_plan_create, owner, title, partners, objectives, end_states,
                     supported=[in_force[command] for command in supported])
        plan = _advance(plan, state_of[owner])
        if plan.state == PlanState.APPROVED:
            _approved_last_year(plan, day)
    _readable_draft()
    if stdout:
        stdout.write(f"demo plans: {CampaignPlan.objects.count()} campaign plans and "
                     f"{CampaignSupportPlan.objects.count()} support plans, in every state, as of {today} "
                     "(training data)")


SECTIONS = [
    ("1", "situation", "Situation", "<p>(U) Partners on the alliance's eastern flank face persistent "
                                    "hybrid pressure below the threshold of armed conflict (training data).</p>"),
    ("2", "strategic_approach", "Strategic approach", "<p>(U) Build layered air defense and resilient logistics "
                                                      "with partner-led training (training data).</p>"),
    ("3", "objectives_effects", "Objectives and effects", "<p>(U) See the objectives; each traces to a GEF end "
                                                          "state (training data).</p>"),
    ("4", "partner_priorities", "Partner priorities", "<p>(U) Air defense first, then maintenance and "
                                                      "sustainment (training data).</p>"),
    ("5", "resources", "Resources", "<p>(U) Title 10 section 333 funding and exercise participation "
                                    "(training data).</p>"),
    ("6", "risk", "Risk", "<p>(U) Without sustainment funding, readiness gains erode within two years "
                          "(training data).</p>"),
    ("7", "assessment_approach", "Assessment approach", "<p>(U) Annual assessment against the measures of each "
                                                        "objective (training data).</p>"),
]


def _readable_draft() -> None:
    """The demo's first draft campaign plan as staff write one (training data): its sections by
    part, an objective tagged with the functions whose commands coordinate (10.b), a program used
    (7.a), and another agency's complementary activity per partner (4.c). Through the service."""
    from .models import CampaignPlan

    plan = (CampaignPlan.objects.filter(state=PlanState.DRAFT, gef__title=DEMO_GEF_TITLE, owner__acronym="EUCOM")
            .order_by("pk").first())
    if plan is None:
        return
    author = _user(f"{_slug(plan.owner.acronym)}_action_officer")
    objectives = [{"id": o.pk, "code": o.code, "title": o.title, "end_states": list(o.end_states.all()),
                   "measures_of_effectiveness": o.measures_of_effectiveness,
                   "measures_of_performance": o.measures_of_performance, "indicators": o.indicators,
                   "functions": ["special_operations", "cyberspace"] if index == 0 else []}
                  for index, o in enumerate(plan.objectives.all())]
    army = Organization.objects.filter(acronym="DA", active=True).first()
    plan_lists_replace(
        plan=plan, by=author, objectives=objectives,
        sections=[{"number": n, "part": part, "heading": h, "body": body, "classification": "U"}
                  for n, part, h, body in SECTIONS],
        programs=[{"organization": army, "program": "Army security force assistance (training data)"}] if army else [],
        activities=[{"country": p.country, "agency": "Department of State (Bureau of Political-Military Affairs)",
                     "program": "Foreign Military Financing (training data)",
                     "point_of_contact": "U.S. Embassy country team, security cooperation office (training)"}
                    for p in plan.partner_considerations.select_related("country")])
