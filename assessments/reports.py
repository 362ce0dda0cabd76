"""The cycle's report to the Secretary, computed from the data every time it is shown (never
typed in): completion by organization, ratings by GEF end state and by combatant command, the
joint review and the evaluation. Rendered in the admin, as a printable page and as XLSX."""

from __future__ import annotations

import datetime
import io
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import timezone

from organizations.models import COMBATANT_COMMAND_KINDS
from runtime.dates import date_words

from .models import Answer, Assessment, AssessmentCycle, ProgramAssessment
from .rules import may_run_cycle


def may_view_report(user, cycle: AssessmentCycle) -> bool:
    """The cycle's administrators (``may_run_cycle``) and members of the Joint Staff office,
    USD(P) or PA&E of the cycle; in every case only when cleared for the report's marking (the
    highest of the plans it aggregates)."""
    from organizations.selectors import organization_ids_acting_for
    from security.access import may_see

    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if not may_see(user, _marking(cycle)):
        return False
    if may_run_cycle(user):
        return True
    ids = {cycle.owner_id, cycle.policy_office_id, cycle.program_coordinator_id} - {None}
    return bool(ids.intersection(organization_ids_acting_for(user)))


@dataclass
class CompletionRow:
    organization: str
    assigned: int = 0
    on_time: int = 0
    late: int = 0
    missing: int = 0
    not_yet_due: int = 0
    days_late: list[int] = field(default_factory=list)

    @property
    def days_late_total(self) -> int:
        return sum(self.days_late)

    @property
    def days_late_max(self) -> int:
        return max(self.days_late, default=0)


@dataclass
class RatingRow:
    label: str
    title: str = ""
    count: int = 0
    scores: list[float] = field(default_factory=list)
    distribution: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def average_percent(self) -> int | None:
        return round(100 * sum(self.scores) / len(self.scores)) if self.scores else None

    @property
    def distribution_text(self) -> str:
        return "; ".join(f"{label}: {count}" for label, count in self.distribution.items())


@dataclass
class CycleReport:
    cycle: AssessmentCycle
    as_of: datetime.date
    completion: list[CompletionRow]
    by_end_state: list[RatingRow]
    by_command: list[RatingRow]
    banner: str = "UNCLASSIFIED"

    @property
    def totals(self) -> CompletionRow:
        total = CompletionRow("All organizations")
        for row in self.completion:
            total.assigned += row.assigned
            total.on_time += row.on_time
            total.late += row.late
            total.missing += row.missing
            total.not_yet_due += row.not_yet_due
            total.days_late.extend(row.days_late)
        return total


def _score(rating: str, scale: list) -> float | None:
    if not isinstance(scale, list) or rating not in scale or len(scale) < 2:
        return None
    return scale.index(rating) / (len(scale) - 1)


def _add(row: RatingRow, rating: str, scale: list) -> None:
    row.count += 1
    row.distribution[rating] += 1
    score = _score(rating, scale)
    if score is not None:
        row.scores.append(score)


def _marking(cycle: AssessmentCycle):
    """The report aggregates the cycle's assessments: it is marked as high as the plans they assess."""
    from planning.models import CampaignPlan, CampaignSupportPlan
    from security.markings import combine

    plans = [*CampaignPlan.objects.filter(assessments__cycle=cycle).prefetch_related("rel_to", "cui_categories",
                                                                                    "dissemination_controls"),
             *CampaignSupportPlan.objects.filter(assessments__cycle=cycle).prefetch_related(
                 "rel_to", "cui_categories", "dissemination_controls")]
    return combine([plan.marking() for plan in plans])


def _banner(cycle: AssessmentCycle) -> str:
    return _marking(cycle).banner


def cycle_report(*, cycle: AssessmentCycle, as_of: datetime.date | None = None) -> CycleReport:
    """Every figure from the rows (a handful of queries whatever the size): a submission is on
    time when first submitted on or before its suspense, late by the days after it otherwise;
    an assessment never submitted is missing once its suspense has passed."""
    as_of = as_of or timezone.localdate()
    completion: dict[str, CompletionRow] = {}
    for model in (Assessment, ProgramAssessment):
        rows = model.objects.filter(cycle=cycle).values_list("owner__acronym", "suspense", "first_submitted_at")
        for acronym, suspense, submitted_at in rows:
            row = completion.setdefault(acronym, CompletionRow(acronym))
            row.assigned += 1
            if submitted_at is not None:
                late_by = (timezone.localdate(submitted_at) - suspense).days
                if late_by > 0:
                    row.late += 1
                    row.days_late.append(late_by)
                else:
                    row.on_time += 1
            elif suspense < as_of:
                row.missing += 1
            else:
                row.not_yet_due += 1

    by_end_state: dict[str, RatingRow] = {}
    ratings = (Answer.objects.filter(assessment__cycle=cycle, objective__isnull=False).exclude(rating="")
               .values_list("rating", "question__scale", "objective__end_states__code",
                            "objective__end_states__title"))
    for rating, scale, code, title in ratings:
        key = code or "—"
        _add(by_end_state.setdefault(key, RatingRow(key, title or "Objectives traced to no end state")), rating, scale)

    by_command: dict[str, RatingRow] = {}
    ratings = (Answer.objects.filter(assessment__cycle=cycle, assessment__owner__kind__in=COMBATANT_COMMAND_KINDS)
               .exclude(rating="").values_list("rating", "question__scale", "assessment__owner__acronym"))
    for rating, scale, acronym in ratings:
        _add(by_command.setdefault(acronym, RatingRow(acronym)), rating, scale)

    return CycleReport(
        cycle=cycle, as_of=as_of, banner=_banner(cycle),
        completion=sorted(completion.values(), key=lambda r: r.organization),
        by_end_state=sorted(by_end_state.values(), key=lambda r: r.label),
        by_command=sorted(by_command.values(), key=lambda r: r.label),
    )


COMPLETION_HEADERS = ["Organization", "Assigned", "On time", "Late", "Missing", "Not yet due",
                      "Days late (total)", "Days late (most)"]
RATING_HEADERS = ["", "Title", "Ratings", "Average (% of scale)", "Distribution"]


def completion_cells(row: CompletionRow) -> list:
    return [row.organization, row.assigned, row.on_time, row.late, row.missing, row.not_yet_due,
            row.days_late_total, row.days_late_max]


def rating_cells(row: RatingRow) -> list:
    return [row.label, row.title, row.count, row.average_percent, row.distribution_text]


def report_xlsx(report: CycleReport) -> bytes:
    """The report as an Excel workbook: one sheet per part. Every cell is written by
    ``security.spreadsheets``: text typed by users (joint review, evaluation, titles) is never a
    formula."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from security.spreadsheets import xlsx_append

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Completion"
    xlsx_append(sheet, [report.banner])
    xlsx_append(sheet, [f"{report.cycle} — report as of {date_words(report.as_of)} (training data)"])
    xlsx_append(sheet, COMPLETION_HEADERS)
    for row in [*report.completion, report.totals]:
        xlsx_append(sheet, completion_cells(row))
    for name, rows, first in (("Ratings by GEF end state", report.by_end_state, "End state"),
                              ("Ratings by command", report.by_command, "Combatant command")):
        ws = workbook.create_sheet(name)
        xlsx_append(ws, [first, *RATING_HEADERS[1:]])
        for row in rows:
            xlsx_append(ws, rating_cells(row))
    ws = workbook.create_sheet("Joint review and evaluation")
    for line in ("Consolidated joint review (Joint Staff)", report.cycle.joint_review,
                 "Evaluation and advice to the Secretary (USD(P))", report.cycle.evaluation):
        xlsx_append(ws, [line])
    for ws in workbook.worksheets:
        for cell in ws[1]:
            cell.font = Font(bold=True)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
