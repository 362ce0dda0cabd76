"""Demo initiatives for training: a year of assessment, monitoring and evaluation under the demo's
approved campaign plans, made through the same services staff use, by log-ins named for their
roles (``indopacom_action_officer``, ``dsca_approver``, ``usdp_approver``). Every title says it is
training data; the figures are invented. Idempotent: a second run finds them and changes nothing."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from organizations.demo import username_for
from organizations.models import Country, Role
from workflow.models import Response
from workflow.selectors import open_taskers
from workflow.services import tasker_respond, transition_perform

from .models import Initiative
from .services import add_months, evaluation_write, initiative_write, monitoring_record

TRAINING = "(TRAINING DATA)"
AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER


def _user(acronym: str, role: str):
    return get_user_model().objects.get(username=username_for(acronym, role))


def _objective(owner: str):
    """The first objective of ``owner``'s theater campaign plan in force (the demo's)."""
    from planning.models import CampaignPlan, CampaignPlanKind, PlanState

    plan = (CampaignPlan.objects.filter(owner__acronym=owner, kind=CampaignPlanKind.THEATER, state=PlanState.APPROVED)
            .order_by("-version").first())
    return plan.objectives.order_by("code").first() if plan is not None else None


def _indicators(baseline_on: datetime.date, rows) -> list[dict]:
    return [{"name": name, "kind": kind, "unit": unit, "baseline_value": base, "target_value": target,
             "baseline_on": baseline_on, "frequency_months": months} for name, kind, unit, base, target, months in rows]


def _design(*, owner: str, objective, partner: str, program, title: str, years: tuple[int, int], cost: str,
            description: str, assessment: str, theory: str, indicators: list[dict]) -> Initiative:
    return initiative_write(
        by=_user(owner, AO), objective=objective, partner=Country.objects.get(code=partner), program=program,
        indicators=indicators,
        fields={"title": f"{title} {TRAINING}", "start_fiscal_year": years[0], "end_fiscal_year": years[1],
                "estimated_cost": cost, "description": description, "initial_assessment": assessment,
                "theory_of_change": theory})


def _to(initiative: Initiative, owner: str, target: str) -> Initiative:
    initiative = transition_perform(document=initiative, name="submit", by=_user(owner, AO))
    if target == "concurrence":
        return initiative
    initiative = transition_perform(document=initiative, name="concur", by=_user(owner, APP),
                                    comment="The commander concurs (training data).")
    if target == "approval":
        return initiative
    if target == "returned":
        return transition_perform(document=initiative, name="return_for_rework", by=_user("DSCA", APP),
                                  comment="Baselines need the partner's own figures, not estimates (training data).")
    return transition_perform(document=initiative, name="approve", by=_user("DSCA", APP),
                              comment="Design approved within the program's FY funds (training data).")


@transaction.atomic
def load(*, stdout) -> None:
    """Under the approved INDOPACOM and EUCOM demo plans: two initiatives approved and monitored
    for a year (quarterly entries), one of them with a mid-term evaluation approved by USD(P) and
    the other's in coordination with the command; one awaiting DSCA's approval, one returned, one
    draft."""
    from django.apps import apps

    Program = apps.get_model("assessments", "Program")
    pacific, nordic = _objective("INDOPACOM"), _objective("EUCOM")
    programs = {p.code: p for p in Program.objects.filter(code__in=("BPC", "IMET", "FMF"))}
    if pacific is None or nordic is None or len(programs) < 3 or not get_user_model().objects.filter(
            username=username_for("DSCA", APP)).exists():
        stdout.write("initiatives: skipped (needs the demo plans, the programs and the demo log-ins)")
        return
    if Initiative.objects.filter(title__endswith=TRAINING).exists():
        stdout.write("initiatives: unchanged")
        return
    from . import reference

    reference.load(stdout=stdout)  # the default routes (idempotent; normally loaded with the reference data)
    today = timezone.localdate()
    fiscal_start = datetime.date(today.year - (today.month < 10), 10, 1)
    baseline_on = datetime.date(fiscal_start.year - 1, 9, 30)  # the initial assessment, a year ago
    year = fiscal_start.year  # the fiscal year that has just ended

    philippines = _to(_design(
        owner="INDOPACOM", objective=pacific, partner="PH", program=programs["BPC"],
        title="Philippines maritime surveillance", years=(year, year + 2), cost="9800000.00",
        description="Coastal radar, two patrol boats and crew training for the Philippine Navy.",
        assessment="The Navy patrols about a third of the exclusive economic zone; two crews are certified; "
                   "maintenance is contracted out.",
        theory="Certified crews with radar cueing extend patrol coverage and deter illegal fishing.",
        indicators=_indicators(baseline_on, [
            ("Exclusive economic zone under regular patrol", "outcome", "percent", "33", "60", 3),
            ("Patrol crews certified", "outcome", "crews", "2", "6", 3),
            ("Patrol boats delivered", "output", "boats", "0", "2", 6)])), "INDOPACOM", "approved")
    indonesia = _to(_design(
        owner="INDOPACOM", objective=pacific, partner="ID", program=programs["IMET"],
        title="Indonesia professional military education", years=(year, year + 1), cost="1200000.00",
        description="Resident courses for Indonesian National Armed Forces officers and non-commissioned officers.",
        assessment="Few officers hold staff college qualifications; the partner asks for NCO development.",
        theory="Graduates in key billets raise the force's planning and training capacity.",
        indicators=_indicators(baseline_on, [
            ("Graduates serving in key billets", "outcome", "officers", "4", "12", 3),
            ("Course seats filled", "output", "seats", "0", "20", 6)])), "INDOPACOM", "approved")
    readings = {philippines: [("33", "36", "41", "44"), ("2", "3", "3", "4"), (None, "1", None, "1")],
                indonesia: [("4", "5", "7", "8"), (None, "9", None, "18")]}
    for initiative, series in readings.items():
        for indicator, values in zip(initiative.indicators.order_by("pk"), series, strict=True):
            for quarter, value in enumerate(values, start=1):
                period_end = add_months(baseline_on, 3 * quarter)
                if value is not None and period_end <= today:
                    monitoring_record(by=_user("INDOPACOM", AO), initiative=initiative, indicator=indicator,
                                      period_end=period_end, value=value, note="Reported by the SCO (training data).")
    evaluation = evaluation_write(by=_user("DSCA", AO), initiative=philippines, fields={
        "title": f"Philippines maritime surveillance: mid-term evaluation {TRAINING}", "evaluation_type": "midterm",
        "period_start": datetime.date(year - 1, 10, 1), "period_end": datetime.date(year, 9, 30),
        "evaluator": "DSCA assessment, monitoring and evaluation office (training)",
        "findings": "Patrol coverage rose from 33 to 44 percent; crew certification lags the plan by one crew.",
        "recommendations": "Add a mobile training team for the second crew cohort.", "rating": "partly_met"})
    evaluation = transition_perform(document=evaluation, name="submit", by=_user("DSCA", AO))
    for tasker in open_taskers(evaluation):
        tasker_respond(tasker=tasker, by=_user("INDOPACOM", REV), response=Response.CONCUR,
                       rationale="Concur; the second cohort starts next quarter (training data).")
    evaluation = transition_perform(document=evaluation, name="send_for_approval", by=_user("DSCA", AO))
    transition_perform(document=evaluation, name="approve", by=_user("USD(P)", APP),
                       comment="Findings accepted for the program assessment (training data).")
    in_coordination = evaluation_write(by=_user("DSCA", AO), initiative=indonesia, fields={
        "title": f"Indonesia professional military education: mid-term evaluation {TRAINING}",
        "evaluation_type": "midterm", "period_start": datetime.date(year - 1, 10, 1),
        "period_end": datetime.date(year, 9, 30), "evaluator": "DSCA assessment, monitoring and evaluation office "
                                                              "(training)",
        "findings": "Graduates doubled; half serve outside the billets the design named.",
        "recommendations": "Agree billet assignments with the Indonesian staff before selection.", "rating": "partly_met"})
    transition_perform(document=in_coordination, name="submit", by=_user("DSCA", AO))

    _to(_design(owner="EUCOM", objective=nordic, partner="LT", program=programs["FMF"],
                title="Lithuania logistics interoperability", years=(year + 1, year + 3), cost="6500000.00",
                description="Logistics equipment and combined exercises with the NATO battlegroup.",
                assessment="Lithuanian logistics units exercise with NATO twice a year; equipment is not "
                           "interoperable.",
                theory="Interoperable equipment and exercises let allied units sustain each other.",
                indicators=_indicators(baseline_on, [
                    ("Combined logistics exercises a year", "outcome", "exercises", "2", "6", 6)])),
        "EUCOM", "approval")
    _to(_design(owner="EUCOM", objective=nordic, partner="RO", program=programs["BPC"],
                title="Romania Black Sea maritime domain awareness data sharing", years=(year + 1, year + 2), cost="2100000.00",
                description="Data links between Romanian and U.S. maritime patrol aircraft.",
                assessment="Tracks are shared by voice; latency is hours.",
                theory="Machine-to-machine sharing cuts latency and widens the common picture.",
                indicators=_indicators(baseline_on, [
                    ("Track-sharing latency", "outcome", "minutes", "180", "5", 3)])), "EUCOM", "returned")
    _design(owner="EUCOM", objective=nordic, partner="LT", program=programs["IMET"],
            title="Lithuania English-language training", years=(year + 1, year + 1), cost="300000.00",
            description="English-language instructors for the Lithuanian Armed Forces.", assessment="", theory="",
            indicators=[])
    stdout.write("initiatives: 5 created (2 approved and monitored, 1 awaiting DSCA, 1 returned, 1 draft); "
                 "evaluations: 2 (approved, in coordination)")
