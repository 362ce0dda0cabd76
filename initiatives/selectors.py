"""Reads on initiatives and their evaluations: who may see which (need-to-know and markings, in
one place each), and what program assessments read of them (``program_initiatives``).

An initiative is seen, when cleared for its marking, by those who may see the campaign plan that
holds its objective (``planning.selectors.plans_visible_to``: the plan's owner, its tasked
organizations, the offices that review every plan), by the office that administers its program
(and DSCA, which administers them all), and by the organizations tasked on it. An evaluation is
seen, when cleared for its own marking and its initiative's, by those who may see its initiative,
its owner, the organizations tasked on it and USD(P), which approves every evaluation."""

from __future__ import annotations

import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from organizations.selectors import active_account
from planning.models import CampaignPlan
from planning.selectors import plans_visible_to
from security.access import marking_q
from security.capacity import per_capacity
from workflow.models import Tasker
from workflow.registry import exists_row_by_row
from workflow.selectors import need_to_know

from .models import EvaluationState, Initiative, InitiativeEvaluation, InitiativeState, MonitoringEntry

PROGRAM_STATES = (InitiativeState.APPROVED, InitiativeState.CLOSED)


def _tasked(model, organizations) -> Q:
    return exists_row_by_row(Tasker.objects.filter(content_type=ContentType.objects.get_for_model(model),
                                                   organization__in=organizations),
                             field="object_id", outer="pk")


@per_capacity
def initiatives_visible_to(user) -> QuerySet[Initiative]:
    """Initiatives ``user`` may see (need-to-know like plans, and markings)."""
    # DSCA, which administers the programs, reviews every one (registered by ``initiatives.apps``).
    return need_to_know(Initiative, user, also=lambda organizations: (
        Q(objective__plan_id__in=plans_visible_to(user, CampaignPlan).values("plan_ptr_id"))
        | Q(program__administered_by__in=organizations)))


@per_capacity
def initiatives_cleared_for(user) -> QuerySet[Initiative]:
    if not active_account(user):
        return Initiative.objects.none()
    return Initiative.objects.filter(marking_q(user, Initiative))


@per_capacity
def evaluations_visible_to(user) -> QuerySet[InitiativeEvaluation]:
    """Evaluations ``user`` may see: cleared for the evaluation's marking and for its initiative's
    (an evaluation quotes it), and with need-to-know for the initiative, or owning or tasked on it."""
    # USD(P), which approves every evaluation, reviews every one (registered by ``initiatives.apps``).
    return need_to_know(InitiativeEvaluation, user, cleared=evaluations_cleared_for(user),
                        also=lambda organizations: Q(initiative__in=initiatives_visible_to(user)))


@per_capacity
def evaluations_cleared_for(user) -> QuerySet[InitiativeEvaluation]:
    if not active_account(user):
        return InitiativeEvaluation.objects.none()
    return InitiativeEvaluation.objects.filter(marking_q(user, InitiativeEvaluation),
                                               initiative__in=Initiative.objects.filter(marking_q(user, Initiative)))


def program_initiatives(user, program, *, on: datetime.date | None = None) -> list[dict]:
    """What a program assessment reads of the program's initiatives, those ``user`` may see only:
    each approved or closed initiative with its partner, objective, years and cost, each indicator
    with its baseline, target and latest monitoring value (as of ``on``), and its latest approved
    evaluation's rating and findings (an evaluation the reader may not see is left out; an
    objective whose portion the reader may not read is named by its code only). Five queries,
    whatever the number of initiatives."""
    initiatives = list(initiatives_visible_to(user).filter(program=program, state__in=PROGRAM_STATES)
                       .select_related("partner", "objective", "owner").prefetch_related("indicators")
                       .order_by("owner__acronym", "title"))
    entries = MonitoringEntry.objects.filter(indicator__initiative__in=initiatives).order_by("indicator", "period_end",
                                                                                              "pk")
    if on is not None:
        entries = entries.filter(period_end__lte=on)
    latest: dict[int, MonitoringEntry] = {}
    for entry in entries:
        latest[entry.indicator_id] = entry
    from planning.models import Objective

    readable_objectives = set(Objective.objects.filter(marking_q(user, Objective),
                                                       pk__in=[i.objective_id for i in initiatives])
                              .values_list("pk", flat=True))
    evaluations: dict[int, InitiativeEvaluation] = {}
    for evaluation in (evaluations_visible_to(user).filter(initiative__in=initiatives, state=EvaluationState.APPROVED)
                       .order_by("initiative", "period_end", "approved_at")):
        evaluations[evaluation.initiative_id] = evaluation
    rows = []
    for initiative in initiatives:
        indicators = []
        for indicator in initiative.indicators.all():
            entry = latest.get(indicator.pk)
            span = indicator.target_value - indicator.baseline_value
            progress = (round(100 * (entry.value - indicator.baseline_value) / span) if entry is not None and span
                        else None)
            indicators.append({"name": indicator.name, "unit": indicator.unit, "baseline": indicator.baseline_value,
                               "target": indicator.target_value, "latest": entry.value if entry else None,
                               "latest_period_end": entry.period_end if entry else None, "progress_percent": progress})
        evaluation = evaluations.get(initiative.pk)
        rows.append({"initiative": initiative, "id": initiative.pk, "title": initiative.title,
                     "owner": initiative.owner.acronym, "partner": initiative.partner.name,
                     "objective": (str(initiative.objective) if initiative.objective_id in readable_objectives
                                   else initiative.objective.code), "years": f"FY {initiative.start_fiscal_year}–"
                                                                      f"{initiative.end_fiscal_year}",
                     "estimated_cost": initiative.estimated_cost, "state": initiative.get_state_display(),
                     "indicators": indicators,
                     "evaluation": ({"title": evaluation.title, "rating": evaluation.get_rating_display(),
                                     "rating_code": evaluation.rating, "findings": evaluation.findings,
                                     "type": evaluation.get_evaluation_type_display()} if evaluation else None)})
    return rows


def program_initiatives_summary(user, programs) -> dict[int, dict]:
    """Per program id: how many initiatives ``user`` may see are approved or closed, their
    estimated cost, and their latest approved evaluations' ratings (for the cycle's report)."""
    summary: dict[int, dict] = {}
    for program in programs:
        rows = program_initiatives(user, program)
        ratings: dict[str, int] = {}
        for row in rows:
            if row["evaluation"]:
                ratings[row["evaluation"]["rating"]] = ratings.get(row["evaluation"]["rating"], 0) + 1
        summary[program.pk] = {"initiatives": len(rows), "cost": sum((r["estimated_cost"] for r in rows), 0),
                               "evaluated": sum(1 for r in rows if r["evaluation"]),
                               "ratings": "; ".join(f"{k}: {v}" for k, v in sorted(ratings.items()))}
    return summary


def program_initiative_figures(programs) -> list[dict]:
    """What the cycle's report says of the initiatives of ``programs`` (each with ``pk``,
    ``code``, ``name``), as JSON-ready figures frozen with the report: per program, its approved or
    closed initiatives, their estimated cost, how many report monitoring entries, how many have
    an approved evaluation, and those evaluations' ratings (the latest per initiative). Counted
    from initiatives and evaluations marked UNCLASSIFIED without NOFORN only: the report carries
    the marking of the plans it aggregates, and a count of classified efforts is not added to it
    (the program assessment's page shows those to readers cleared for them)."""
    from django.db.models import Count, Exists, OuterRef, Sum

    from security.markings import ClassificationLevel

    unclassified = {"classification": ClassificationLevel.UNCLASSIFIED, "noforn": False}
    programs = list(programs)
    initiatives = (Initiative.objects.filter(program__in=[p.pk for p in programs], state__in=PROGRAM_STATES,
                                             **unclassified)
                   .annotate(monitored=Exists(MonitoringEntry.objects.filter(indicator__initiative=OuterRef("pk")))))
    totals = {row["program"]: row for row in initiatives.values("program").annotate(
        count=Count("pk"), cost=Sum("estimated_cost"), monitored=Count("pk", filter=Q(monitored=True)))}
    latest: dict[int, tuple[int, str]] = {}
    for evaluation in (InitiativeEvaluation.objects.filter(initiative__in=initiatives, state=EvaluationState.APPROVED,
                                                           **unclassified)
                       .order_by("initiative", "period_end", "approved_at").values("initiative", "initiative__program",
                                                                                  "rating")):
        latest[evaluation["initiative"]] = (evaluation["initiative__program"], evaluation["rating"])
    from .models import EvaluationRating

    rows = []
    for program in programs:
        total = totals.get(program.pk, {})
        ratings = [rating for program_id, rating in latest.values() if program_id == program.pk]
        rows.append({"label": program.code, "title": program.name, "initiatives": total.get("count", 0),
                     "cost": str(total.get("cost") or 0), "monitored": total.get("monitored", 0),
                     "evaluated": len(ratings),
                     "ratings": [[label, ratings.count(value)] for value, label in EvaluationRating.choices
                                 if ratings.count(value)]})
    return rows
