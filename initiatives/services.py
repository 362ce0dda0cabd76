"""Writes on initiatives, their monitoring plans, monitoring entries and evaluations: one place each.

- ``initiative_write``: an initiative's design and its indicators (the monitoring plan), created
  under a campaign objective or changed while a draft or returned, by the action officers and
  approvers of the organization owning the objective's plan (admin and API alike).
- ``monitoring_record``: one monitoring entry of an approved initiative's indicator, by its
  owner; it answers the monitoring tasker due and issues the next (reminders follow taskers).
- ``evaluation_write``: an evaluation of an approved (or closed) initiative, by the action
  officers and approvers of the office that administers its program.
- the two workflows' conditions and effects (``initiatives.workflows`` names them).
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from organizations.models import Organization, Role
from organizations.selectors import acting_capacity_among, organization_label
from runtime.dates import date_words
from workflow.exceptions import ActionRefused, InvalidInput, NotPermitted
from workflow.models import Response, Step
from workflow.rules import TransitionContext
from workflow.selectors import critical_comment_reasons, document_taskers, route_participants
from workflow.services import (
    history_record,
    route_snapshot_take,
    state_label,
    taskers_cancel_open,
    taskers_close_answered,
    taskers_issue,
)

from .models import (
    EVALUATION_EDITABLE,
    INITIATIVE_EDITABLE,
    EvaluationRating,
    EvaluationType,
    Indicator,
    IndicatorKind,
    Initiative,
    InitiativeEvaluation,
    InitiativeState,
    MonitoringEntry,
    fiscal_years_refusal,
    period_refusal,
)

WRITER_ROLES = (Role.ACTION_OFFICER, Role.APPROVER)
INITIATIVE_FIELDS = ("title", "start_fiscal_year", "end_fiscal_year", "estimated_cost", "description",
                     "initial_assessment", "theory_of_change", "classification", "noforn")
INDICATOR_FIELDS = ("name", "kind", "unit", "baseline_value", "baseline_on", "target_value", "frequency_months")
EVALUATION_FIELDS = ("title", "evaluation_type", "period_start", "period_end", "evaluator", "findings",
                     "recommendations", "rating", "classification", "noforn")
MONITORED_STATES = (InitiativeState.APPROVED,)
EVALUATED_STATES = (InitiativeState.APPROVED, InitiativeState.CLOSED)
MONITORING_DUE = "Monitoring entries due for the period"


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` moved ``months`` later, on the same day of the month or the month's last day."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def fiscal_year_of(day: datetime.date) -> int:
    """The U.S. federal fiscal year holding ``day`` (FY 2027 runs 1 October 2026 – 30 September 2027)."""
    return day.year + (day.month >= 10)


def _refuse_marking_beyond_reader(*, document, by, noun: str) -> None:
    from security.access import may_see

    marking = document.marking()
    if not may_see(by, marking):
        raise InvalidInput(f"Nothing was saved. You may not mark {noun} {marking.banner}: it is beyond what your "
                           "clearance and citizenship let you read.", {"classification": ["Beyond your clearance."]})


def _decimal(value, *, field: str, words: str, errors: dict, minimum: Decimal | None = None) -> Decimal | None:
    if value in (None, ""):
        errors.setdefault(field, []).append(f"Give {words}.")
        return None
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        errors.setdefault(field, []).append(f"{words.capitalize()} must be a number.")
        return None
    if not number.is_finite():
        errors.setdefault(field, []).append(f"{words.capitalize()} must be a number.")
        return None
    if minimum is not None and number < minimum:
        errors.setdefault(field, []).append(f"{words.capitalize()} cannot be negative.")
        return None
    return number


# --- the initiative: content -------------------------------------------------------------------

def _writer_capacity(*, organization: Organization, by, noun: str):
    capacity = acting_capacity_among(user=by, organizations=[organization.pk], roles=WRITER_ROLES)
    if capacity is None:
        raise NotPermitted(f"Only an action officer or approver of {organization_label(organization)} may write {noun}.")
    return capacity


def initiative_assert_editable(*, initiative: Initiative, by) -> None:
    """Raise unless ``by`` may change the initiative's design: a draft or a returned one, by the
    action officers and approvers of its owner."""
    if initiative.state not in INITIATIVE_EDITABLE:
        raise ActionRefused(f"Only a draft or a returned initiative can be changed; this one is "
                            f"{state_label(initiative)}.")
    _writer_capacity(organization=initiative.owner, by=by, noun="this initiative")


def _indicator_refusals(lines: list[dict]) -> tuple[list[str], dict[int, dict[str, list[str]]], list[dict]]:
    """What is wrong with the indicators (the reasons, per row and field) and the clean rows."""
    reasons: list[str] = []
    rows: dict[int, dict[str, list[str]]] = {}
    clean: list[dict] = []
    seen: set[str] = set()
    for index, line in enumerate(lines):
        errors: dict[str, list[str]] = {}
        name = (line.get("name") or "").strip()
        if not name:
            errors.setdefault("name", []).append("Name the indicator.")
        elif name.lower() in seen:
            errors.setdefault("name", []).append(f"“{name}” is named twice; one row per indicator.")
        seen.add(name.lower())
        kind = line.get("kind") or IndicatorKind.OUTCOME
        if kind not in IndicatorKind.values:
            errors.setdefault("kind", []).append("Choose output or outcome.")
        unit = (line.get("unit") or "").strip()
        if not unit:
            errors.setdefault("unit", []).append("Give the unit measured.")
        baseline = _decimal(line.get("baseline_value"), field="baseline_value", words="the baseline", errors=errors)
        target = _decimal(line.get("target_value"), field="target_value", words="the target", errors=errors)
        baseline_on = line.get("baseline_on")
        if not isinstance(baseline_on, datetime.date):
            errors.setdefault("baseline_on", []).append("Give the date the baseline was measured.")
        try:
            frequency = int(line.get("frequency_months") or 3)
        except (TypeError, ValueError):
            frequency = 0
        if not 1 <= frequency <= 12:
            errors.setdefault("frequency_months", []).append("Report every 1 to 12 months.")
        if baseline is not None and target is not None and baseline == target:
            errors.setdefault("target_value", []).append("The target must differ from the baseline.")
        for field, messages in errors.items():
            rows.setdefault(index, {})[field] = messages
            reasons.extend(f"Indicator {index + 1}: {message}" for message in messages)
        clean.append({"name": name, "kind": kind, "unit": unit, "baseline_value": baseline, "target_value": target,
                      "baseline_on": baseline_on, "frequency_months": frequency})
    return reasons, rows, clean


@transaction.atomic
def initiative_write(*, by, initiative: Initiative | None = None, objective=None, partner=None, program=None,
                     fields: Mapping, indicators: list[dict] | None = None,
                     rel_to: Iterable | None = None) -> Initiative:
    """Create (``initiative`` None) or change an initiative and replace its indicators, all or
    nothing. A new one names its campaign objective (a campaign plan's: the plan's owner owns the
    initiative), its partner and program; the partner must be one of the plan's partner nations
    when the plan names any. Written by the owner's action officers and approvers while a draft or
    returned. The last fiscal year cannot come before the first, the cost cannot be negative; every
    refusal names its field or indicator row."""
    errors: dict[str, list[str]] = {}
    if initiative is None:
        if objective is None:
            errors.setdefault("objective", []).append("Name the campaign objective the initiative serves.")
        elif objective.plan.document.owner.kind not in Initiative.owner_kinds:
            plan = objective.plan.document
            errors.setdefault("objective", []).append(
                f"{objective} is an objective of {plan.owner}'s {plan._meta.verbose_name}; an initiative serves a "
                "combatant command's campaign objective.")
        if partner is None:
            errors.setdefault("partner", []).append("Name the partner nation.")
        if program is None:
            errors.setdefault("program", []).append("Name the security cooperation program that funds it.")
        elif not program.active:
            errors.setdefault("program", []).append(f"{program} is no longer active.")
        if errors:
            raise InvalidInput([m for ms in errors.values() for m in ms], errors)
        plan = objective.plan.document
        from security.access import may_see

        if not may_see(by, objective.marking()) or not may_see(by, plan.marking()):
            raise InvalidInput("Name a campaign objective you may read.", {"objective": ["Not one you may read."]})
        partners = set(objective.plan.partner_considerations.values_list("country_id", flat=True))
        if partners and partner.pk not in partners:
            errors.setdefault("partner", []).append(f"{partner.name} is not among the partner nations {plan} "
                                                    "considers (Encl. 2, 4.b); add it to the plan first.")
            raise InvalidInput([m for ms in errors.values() for m in ms], errors)
        _writer_capacity(organization=plan.owner, by=by, noun="an initiative under this objective")
        initiative = Initiative(owner=plan.owner, objective=objective, partner=partner, program=program,
                                created_by=by)
    else:
        initiative = Initiative.objects.select_for_update().get(pk=initiative.pk)
        initiative_assert_editable(initiative=initiative, by=by)
    for name in INITIATIVE_FIELDS:
        if name in fields:
            value = fields[name]
            setattr(initiative, name, value.strip() if isinstance(value, str) else value)
    if not initiative.title:
        errors.setdefault("title", []).append("Give the initiative a title.")
    years = []
    for name, words in (("start_fiscal_year", "the first fiscal year"), ("end_fiscal_year", "the last fiscal year")):
        value = getattr(initiative, name)
        try:
            value = int(value) if value not in (None, "") else None
        except (TypeError, ValueError):
            value = None
        if value is None or not 2000 <= value <= 2100:
            errors.setdefault(name, []).append(f"Give {words} as a year between 2000 and 2100.")
        else:
            setattr(initiative, name, value)
        years.append(value)
    if fiscal_years_refusal(*years):
        errors.setdefault("end_fiscal_year", []).append(fiscal_years_refusal(*years))
    cost = _decimal(initiative.estimated_cost, field="estimated_cost", words="the estimated cost", errors=errors,
                    minimum=Decimal(0))
    if cost is not None:
        initiative.estimated_cost = cost
    row_errors: dict[int, dict[str, list[str]]] = {}
    clean: list[dict] = []
    if indicators is not None:
        reasons, row_errors, clean = _indicator_refusals(indicators)
        if reasons:
            errors.setdefault("indicators", []).extend(reasons)
    objective_marking = initiative.objective.marking()
    if (not initiative.marking(rel_to=[]).at_least(objective_marking)
            or (objective_marking.noforn and not initiative.noforn)):
        errors.setdefault("classification", []).append(
            f"The initiative names its objective {initiative.objective.code}, marked {objective_marking.banner}: mark "
            "the initiative at least as high.")
    if errors:
        error = InvalidInput([m for ms in errors.values() for m in ms], errors)
        error.rows = {"indicators": row_errors} if row_errors else {}
        raise error
    try:
        initiative.full_clean(exclude=["route", "route_snapshot", "owner", "created_by", "state", "objective",
                                       "partner", "program"])
    except ValidationError as error:
        raise InvalidInput.from_validation(error) from error
    initiative.save()
    if rel_to is not None:
        initiative.rel_to.set(rel_to)
    _refuse_marking_beyond_reader(document=initiative, by=by, noun="an initiative")
    if indicators is not None:
        if MonitoringEntry.objects.filter(indicator__initiative=initiative).exists():
            raise InvalidInput("The indicators already have monitoring entries; they can no longer be replaced.",
                               {"indicators": ["Monitoring has started."]})
        initiative.indicators.all().delete()
        Indicator.objects.bulk_create([Indicator(initiative=initiative, **row) for row in clean])
    return initiative


# --- monitoring ---------------------------------------------------------------------------

def indicator_next_due(indicator: Indicator, *, last: datetime.date | None = None,
                       started: datetime.date | None = None) -> datetime.date:
    """The end of the next period to report for ``indicator``: one period after its last entry,
    or, when it has none, the first period counted from its baseline that ends after the
    initiative's approval (``started``)."""
    if last is not None:
        return add_months(last, indicator.frequency_months)
    periods = 1
    while started is not None and add_months(indicator.baseline_on, periods * indicator.frequency_months) <= started:
        periods += 1
    return add_months(indicator.baseline_on, periods * indicator.frequency_months)


def monitoring_next_due(initiative: Initiative) -> datetime.date | None:
    """The earliest period end any of the initiative's indicators is due to report (None: no indicator)."""
    from django.db.models import Max

    started = timezone.localdate(initiative.approved_at) if initiative.approved_at else None
    lasts = dict(MonitoringEntry.objects.filter(indicator__initiative=initiative).values("indicator")
                 .annotate(last=Max("period_end")).values_list("indicator", "last"))
    dues = [indicator_next_due(i, last=lasts.get(i.pk), started=started) for i in initiative.indicators.all()]
    return min(dues, default=None)


def _monitoring_task(initiative: Initiative, *, by, capacity) -> None:
    """Task the owner to report the next monitoring period (a completion tasker whose suspense is
    the period's end: the outbox reminds before and escalates after, as for every tasker)."""
    due = monitoring_next_due(initiative)
    if due is None:
        return
    due = max(due, timezone.localdate())  # a period already past is due now
    taskers_issue(document=initiative, step=Step.COMPLETION, participants=[(initiative.owner, MONITORING_DUE.lower())],
                  suspense=due, suspense_reason=f"{MONITORING_DUE}: the period ending {date_words(due)}.", by=by,
                  capacity=capacity)


@transaction.atomic
def monitoring_record(*, by, initiative: Initiative, indicator: Indicator, period_end, value,
                      note: str = "") -> MonitoringEntry:
    """Record ``indicator``'s value for the period ending ``period_end`` on the approved
    ``initiative``, by its owner's action officers and approvers. Refused, saving nothing, when the
    indicator is not the initiative's, the period is in the future, on or before the baseline, or
    already reported, or the value is not a number. Answers the monitoring tasker and issues the
    next period's; a history entry (and its audit event) records it."""
    initiative = Initiative.objects.select_for_update().get(pk=initiative.pk)
    capacity = _writer_capacity(organization=initiative.owner, by=by, noun="monitoring entries of this initiative")
    errors: dict[str, list[str]] = {}
    if initiative.state not in MONITORED_STATES:
        raise ActionRefused(f"Monitoring entries are recorded once the initiative is approved; this one is "
                            f"{state_label(initiative)}.")
    if indicator is None or indicator.initiative_id != initiative.pk:
        name = f"“{indicator.name}” " if indicator is not None else ""
        errors.setdefault("indicator", []).append(
            f"The indicator {name}is not in the monitoring plan of “{initiative}”: choose one of its indicators.")
        raise InvalidInput([m for ms in errors.values() for m in ms], errors)
    if not isinstance(period_end, datetime.date):
        errors.setdefault("period_end", []).append("Give the last day of the period measured.")
    elif period_end > timezone.localdate():
        errors.setdefault("period_end", []).append(f"The period ending {date_words(period_end)} has not ended yet.")
    elif period_end <= indicator.baseline_on:
        errors.setdefault("period_end", []).append(
            f"The period must end after the baseline was measured ({date_words(indicator.baseline_on)}).")
    elif indicator.entries.filter(period_end=period_end).exists():
        errors.setdefault("period_end", []).append(
            f"“{indicator.name}” already has an entry for the period ending {date_words(period_end)}.")
    number = _decimal(value, field="value", words="the value", errors=errors)
    if errors:
        raise InvalidInput([m for ms in errors.values() for m in ms], errors)
    entry = MonitoringEntry.objects.create(indicator=indicator, period_end=period_end, value=number,
                                           note=(note or "").strip(), recorded_by=by)
    history_record(document=initiative, action="monitoring_recorded", actor=by, capacity=capacity,
                   description=f"Monitoring: {indicator.name} = {number} {indicator.unit} for the period ending "
                               f"{date_words(period_end)}",
                   data={"indicator": indicator.pk, "period_end": period_end.isoformat(), "value": str(number)})
    due = monitoring_next_due(initiative)
    open_due = [t.suspense for t in document_taskers(initiative, step=Step.COMPLETION, open_only=True)]
    if due is None or open_due != [max(due, timezone.localdate())]:
        taskers_close_answered(document=initiative, step=Step.COMPLETION, by=by, response=Response.COMPLETED,
                               capacity=capacity)
        _monitoring_task(initiative, by=by, capacity=capacity)
    return entry


# --- the evaluation: content --------------------------------------------------------------

def evaluation_assert_editable(*, evaluation: InitiativeEvaluation, by) -> None:
    if evaluation.state not in EVALUATION_EDITABLE:
        raise ActionRefused(f"Only a draft or a returned evaluation can be changed; this one is "
                            f"{state_label(evaluation)}.")
    _writer_capacity(organization=evaluation.owner, by=by, noun="this evaluation")


@transaction.atomic
def evaluation_write(*, by, evaluation: InitiativeEvaluation | None = None, initiative: Initiative | None = None,
                     fields: Mapping, rel_to: Iterable | None = None) -> InitiativeEvaluation:
    """Create (``evaluation`` None) or change an evaluation of an approved or closed initiative,
    by the action officers and approvers of the office that administers its program (the
    evaluation's owner), while a draft or returned."""
    errors: dict[str, list[str]] = {}
    if evaluation is None:
        if initiative is None:
            raise InvalidInput("Name the initiative evaluated.", {"initiative": ["Name the initiative evaluated."]})
        if initiative.state not in EVALUATED_STATES:
            message = f"“{initiative}” is {state_label(initiative)}: only an approved or closed initiative is evaluated."
            raise InvalidInput(message, {"initiative": [message]})
        office = initiative.program.administered_by
        if office is None:
            message = f"{initiative.program} has no administering office to evaluate it."
            raise InvalidInput(message, {"initiative": [message]})
        _writer_capacity(organization=office, by=by, noun="an evaluation of this initiative")
        evaluation = InitiativeEvaluation(owner=office, initiative=initiative, created_by=by)
    else:
        evaluation = InitiativeEvaluation.objects.select_for_update().get(pk=evaluation.pk)
        evaluation_assert_editable(evaluation=evaluation, by=by)
    for name in EVALUATION_FIELDS:
        if name in fields:
            value = fields[name]
            setattr(evaluation, name, value.strip() if isinstance(value, str) else value)
    if not evaluation.title:
        errors.setdefault("title", []).append("Give the evaluation a title.")
    if evaluation.evaluation_type not in EvaluationType.values:
        errors.setdefault("evaluation_type", []).append("Choose the kind of evaluation.")
    if evaluation.rating and evaluation.rating not in EvaluationRating.values:
        errors.setdefault("rating", []).append("Choose met, partly met or not met.")
    start, end = evaluation.period_start, evaluation.period_end
    if not isinstance(start, datetime.date):
        errors.setdefault("period_start", []).append("Give the first day of the period evaluated.")
    if not isinstance(end, datetime.date):
        errors.setdefault("period_end", []).append("Give the last day of the period evaluated.")
    if isinstance(start, datetime.date) and isinstance(end, datetime.date) and end < start:
        errors.setdefault("period_end", []).append(period_refusal(start, end))
    if errors:
        raise InvalidInput([m for ms in errors.values() for m in ms], errors)
    try:
        evaluation.full_clean(exclude=["route", "route_snapshot", "owner", "created_by", "state", "initiative"])
    except ValidationError as error:
        raise InvalidInput.from_validation(error) from error
    evaluation.save()
    if rel_to is not None:
        evaluation.rel_to.set(rel_to)
    _refuse_marking_beyond_reader(document=evaluation, by=by, noun="an evaluation")
    return evaluation


# --- conditions (each returns the reasons it is not met, in the users' words) ---------------

def design_complete(initiative: Initiative) -> list[str]:
    """The design says what it delivers, the initial assessment it rests on and why it should work,
    and its monitoring plan has at least one outcome indicator."""
    missing = [words for name, words in (("description", "the description"),
                                         ("initial_assessment", "the initial assessment"),
                                         ("theory_of_change", "the theory of change")) if not getattr(initiative, name)]
    reasons = [f"Missing before submission: {', '.join(missing)}."] if missing else []
    kinds = set(initiative.indicators.values_list("kind", flat=True))
    if not kinds:
        reasons.append("Add the monitoring plan: at least one indicator with its baseline and target.")
    elif IndicatorKind.OUTCOME not in kinds:
        reasons.append("The monitoring plan needs at least one outcome indicator (the change in the partner).")
    return reasons


def program_administered(initiative: Initiative) -> list[str]:
    """The program names the office that administers it (the approving office)."""
    if initiative.program.administered_by_id is None:
        return [f"{initiative.program} names no administering office: an administrator must name it (Assessments › "
                "Programs) before the design can be approved."]
    return []


def evaluation_complete(evaluation: InitiativeEvaluation) -> list[str]:
    """The evaluation gives its findings, recommendations and rating, for a period within the
    initiative's fiscal years."""
    missing = [words for name, words in (("findings", "the findings"), ("recommendations", "the recommendations"),
                                         ("rating", "the rating"), ("evaluator", "the evaluator"))
               if not getattr(evaluation, name)]
    reasons = [f"Missing before coordination: {', '.join(missing)}."] if missing else []
    initiative = evaluation.initiative
    first = datetime.date(initiative.start_fiscal_year - 1, 10, 1)
    if evaluation.period_start < first:
        reasons.append(f"The period starts before the initiative's first fiscal year (FY {initiative.start_fiscal_year} "
                       f"begins {date_words(first)}).")
    return reasons


def evaluation_coordinated(evaluation: InitiativeEvaluation) -> list[str]:
    """The initiative's command has answered, with no critical comment standing."""
    waiting = [t.organization.acronym for t in document_taskers(evaluation, step=Step.CONSULTATION, open_only=True)]
    reasons = [f"Waiting for the coordination of {', '.join(sorted(waiting))}."] if waiting else []
    return reasons + critical_comment_reasons(evaluation)


# --- effects of the initiative's transitions ------------------------------------------------

def initiative_submit(initiative: Initiative, context: TransitionContext) -> None:
    """Take the route, and record the submission."""
    route_snapshot_take(document=initiative)
    initiative.submitted_at = timezone.now()
    initiative.return_reason = ""


def initiative_concur(initiative: Initiative, context: TransitionContext) -> None:
    """Task the program's administering office to approve the design."""
    taskers_issue(document=initiative, step=Step.APPROVAL,
                  participants=[(initiative.program.administered_by, "administers the program")],
                  by=context.by, capacity=context.capacity)


def initiative_approve(initiative: Initiative, context: TransitionContext) -> None:
    """Close the approval tasker; the monitoring plan starts: the first entries fall due."""
    taskers_close_answered(document=initiative, step=Step.APPROVAL, by=context.by, response=Response.APPROVED,
                           capacity=context.capacity)
    initiative.approved_at = timezone.now()
    initiative.decision_note = context.comment
    _monitoring_task(initiative, by=context.by, capacity=context.capacity)


def initiative_return(initiative: Initiative, context: TransitionContext) -> None:
    initiative.return_reason = context.comment
    taskers_cancel_open(document=initiative, reason=f"Returned for rework: {context.comment}")


def initiative_withdraw(initiative: Initiative, context: TransitionContext) -> None:
    taskers_cancel_open(document=initiative, reason=f"Withdrawn: {context.comment}")


def initiative_close(initiative: Initiative, context: TransitionContext) -> None:
    """No further monitoring entries fall due."""
    taskers_cancel_open(document=initiative, reason=f"Initiative closed: {context.comment}")


# --- effects of the evaluation's transitions ------------------------------------------------

def evaluation_submit(evaluation: InitiativeEvaluation, context: TransitionContext) -> None:
    """Take the route and task the initiative's command to coordinate."""
    route_snapshot_take(document=evaluation)
    evaluation.return_reason = ""
    taskers_issue(document=evaluation, step=Step.CONSULTATION,
                  participants=route_participants(evaluation, Step.CONSULTATION), by=context.by,
                  capacity=context.capacity)


def evaluation_send_for_approval(evaluation: InitiativeEvaluation, context: TransitionContext) -> None:
    taskers_issue(document=evaluation, step=Step.APPROVAL, participants=route_participants(evaluation, Step.APPROVAL),
                  by=context.by, capacity=context.capacity)


def evaluation_approve(evaluation: InitiativeEvaluation, context: TransitionContext) -> None:
    taskers_close_answered(document=evaluation, step=Step.APPROVAL, by=context.by, response=Response.APPROVED,
                           capacity=context.capacity)
    taskers_cancel_open(document=evaluation, reason="Evaluation approved")
    evaluation.approved_at = timezone.now()
    evaluation.decision_note = context.comment


def evaluation_return(evaluation: InitiativeEvaluation, context: TransitionContext) -> None:
    evaluation.return_reason = context.comment
    taskers_cancel_open(document=evaluation, reason=f"Returned for rework: {context.comment}")


def evaluation_withdraw(evaluation: InitiativeEvaluation, context: TransitionContext) -> None:
    taskers_cancel_open(document=evaluation, reason=f"Withdrawn: {context.comment}")
