"""Demo plans for training, in every workflow state, made through the same services staff use.
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

from .models import GEFEndState, GEFGuidance, PlanState
from .services import campaign_plan_create, plan_lists_replace, plan_new_version, support_plan_create

DEMO_GEF_TITLE = "Guidance for Employment of the Force (TRAINING DATA)"
END_STATES = [
    ("ES-1", "Partners capable of providing for their own security"),
    ("ES-2", "Interoperable coalition partners for multinational operations"),
    ("ES-3", "Assured U.S. access and freedom of action"),
]


def _user(username: str):
    return get_user_model().objects.get(username=username)


def _slug(acronym: str) -> str:
    return "".join(ch for ch in acronym.lower() if ch.isalnum())


def _answer_all(plan, step: str, response=Response.CONCUR) -> None:
    for tasker in open_taskers(plan, step=step):
        tasker_respond(tasker=tasker, by=_user(f"{_slug(tasker.organization.acronym)}_reviewer"), response=response)


def _drop_unstaffed(plan, owner_ao) -> None:
    """Seam commands without demo staff: the owner records why they coordinate outside the tool."""
    staffed = set(get_user_model().objects.filter(username__endswith="_reviewer").values_list("username", flat=True))
    for tasker in open_taskers(plan, step=Step.COORDINATION):
        if f"{_slug(tasker.organization.acronym)}_reviewer" not in staffed:
            tasker_remove(tasker=tasker, by=owner_ao, reason="Coordinated by message outside the tool (training)")


def _advance(plan, target: str):
    owner = _slug(plan.owner.acronym)
    ao = _user(f"{owner}_action_officer")
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
    approver = plan.route_snapshot["steps"][-1]
    approving = approver["organization"] or plan.owner.acronym
    return transition_perform(document=plan, name="approve", by=_user(f"{_slug(approving)}_approver"))


def _plan(kind: str, owner: str, title: str, partners: list[str], end_states, supporting=(), supported=(),
          marking: dict | None = None, rel_to=()):
    org = Organization.objects.get(acronym=owner, active=True)
    today = timezone.localdate()
    fields = {
        "gef": end_states[0].gef, "period_start": today.replace(month=1, day=1) + datetime.timedelta(days=366),
        "period_end": today.replace(month=1, day=1, year=today.year + 6),
        "summary": f"{title}: ends, ways and means for security cooperation (training data).",
        "complementary_usg_activities": "Department of State security assistance and USAID programs considered.",
        "resources_needed": "Title 10 security cooperation funding; exercise participation.",
        "risk_if_not_resourced": "Partner capability gaps persist; access at risk.",
    }
    create = campaign_plan_create if kind == "campaign" else support_plan_create
    author = _user(f"{_slug(owner)}_action_officer")
    plan = create(by=author, owner=org, title=title, **fields, **(marking or {}))
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
        partners=[{"country": Country.objects.get(code=code), "support": "partly",
                   "safeguard": "yes", "sustain": "partly", "can_support": "Yes, with training.",
                   "can_safeguard": "Yes; end-use monitoring agreed.",
                   "can_sustain": "Partly; sustainment case included."} for code in partners],
        objectives=[{"code": f"OBJ-{number}", "title": f"Advance {end_state.title.lower()}",
                     "measures_of_effectiveness": "Partner-led exercises per year",
                     "measures_of_performance": "Courses delivered", "indicators": "Exercise reports",
                     "end_states": [end_state]} for number, end_state in enumerate(end_states, start=1)])


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
    gef = GEFGuidance.objects.create(year=today.year, title=DEMO_GEF_TITLE, issued_on=today.replace(month=1, day=15),
                                     assessment_guidance="Assess progress toward each end state (training data).")
    end_states = [GEFEndState.objects.create(gef=gef, code=c, title=t) for c, t in END_STATES]
    supporting = ("DA", "DON")

    _plan("campaign", "EUCOM", "EUCOM theater campaign plan — Baltic resilience", ["PL", "LT"], end_states[:2],
          supporting)  # draft
    in_coordination = _advance(_plan("campaign", "EUCOM", "EUCOM theater campaign plan — Black Sea",
                                     ["RO", "BG"], end_states[:1], supporting,
                                     marking={"classification": "CUI",
                                              "cui_designation_indicator": "Controlled by: EUCOM J5 (training)"}),
                               PlanState.COORDINATION)
    navy = open_taskers(in_coordination).filter(organization__acronym="DON").first()
    if navy:
        tasker_respond(tasker=navy, by=_user("don_reviewer"), response=Response.NONCONCUR,
                       rationale="Naval presence figures conflict with the global force plan.",
                       comments=[{"category": "critical", "section": "3.b", "text": "Remove the carrier presence "
                                  "assumption.", "proposed_change": "Replace with rotational presence."},
                                 {"category": "administrative", "section": "1.a", "text": "Spell out BMD."}])
        army = open_taskers(in_coordination).filter(organization__acronym="DA").first()
        if army:
            tasker_respond(tasker=army, by=_user("da_reviewer"), response=Response.CONCUR_WITH_COMMENT,
                           comments=[{"category": "substantive", "section": "4", "text": "Add SFAB rotations."}])
        admin_comment = navy.comments.filter(category="administrative").first()
        if admin_comment:
            comment_adjudicate(comment=admin_comment, by=_user("eucom_action_officer"), decision="accepted",
                               rationale="")
    secret = {"classification": "S", "classified_by": "Training classification authority (not real)",
              "derived_from": "Training source (not real)", "declassify_on": "20511231"}
    _advance(_plan("campaign", "INDOPACOM", "INDOPACOM theater campaign plan — maritime security",
                   ["PH", "VN"], end_states, supporting, marking=secret, rel_to=["AU", "GB", "JP"]), PlanState.REVIEW)
    approved = _advance(_plan("campaign", "INDOPACOM", "INDOPACOM theater campaign plan — Pacific Islands",
                              ["FJ", "PG"], end_states[:2], supporting), PlanState.APPROVED)
    _advance(_plan("campaign", "SOCOM", "SOCOM functional campaign plan — partner SOF", ["JO", "CO"],
                   end_states[:1], supporting, marking={**secret, "noforn": True}), PlanState.RETURNED)
    withdrawn = _plan("campaign", "EUCOM", "EUCOM campaign plan — superseded concept", ["DE"], end_states[:1],
                      supporting)
    transition_perform(document=withdrawn, name="withdraw", by=_user("eucom_action_officer"),
                       comment="Overtaken by the Baltic resilience plan (training).")
    first = _advance(_plan("campaign", "EUCOM", "EUCOM theater campaign plan — Nordic partners", ["NO", "FI"],
                           end_states[:2], supporting), PlanState.APPROVED)
    _advance(plan_new_version(plan=first, by=_user("eucom_action_officer")), PlanState.APPROVED)  # supersedes v1

    _plan("support", "DA", "Army campaign support plan — Europe", ["PL"], end_states[:1], supported=[first])
    _advance(_plan("support", "DON", "Navy campaign support plan — Indo-Pacific", ["PH"], end_states[1:2],
                   supported=[approved]), PlanState.COORDINATION)
    _advance(_plan("support", "DAF", "Air Force campaign support plan — Indo-Pacific", ["PH"], end_states[:1],
                   supported=[approved]), PlanState.APPROVED)
    _readable_draft()
    if stdout:
        stdout.write("demo plans: campaign plans and support plans loaded in every state (training data)")


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

    plan = CampaignPlan.objects.filter(state=PlanState.DRAFT, gef__title=DEMO_GEF_TITLE).order_by("pk").first()
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
