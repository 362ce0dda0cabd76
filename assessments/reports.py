"""The cycle's report to the Secretary: completion by organization (submitted, on time, late,
missing, accepted, evaluated), ratings by GEF end state, by combatant command and by security
cooperation program, the joint review and USD(P)'s evaluation. Rendered in the admin, as a
printable page and as XLSX, each carrying the banner of what it aggregates.

While the cycle is open the report is computed from the data whenever it is shown, as of that
day. Closing the cycle freezes it (``report_freeze``, the close transition's effect): the figures
are stored in a ``ReportSnapshot`` with the date of close and never recomputed, so a report sent
to the Secretary reads the same a year later. Both go through one plain, JSON-ready form
(``report_figures``): what is shown while open is exactly what would be frozen."""

from __future__ import annotations

import datetime
import io
import zipfile
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from organizations.models import COMBATANT_COMMAND_KINDS
from runtime.dates import date_words

from .models import (
    Answer,
    Assessment,
    AssessmentCycle,
    AssessmentState,
    CycleState,
    ProgramAssessment,
    ReportSnapshot,
)
from .rules import may_run_cycle

SUBMITTED_STATES = (AssessmentState.SUBMITTED, AssessmentState.ACCEPTED, AssessmentState.EVALUATED)
"""Assessments whose answers count in the ratings: as submitted (a draft's are not the command's yet)."""
ACCEPTED_STATES = (AssessmentState.ACCEPTED, AssessmentState.EVALUATED)


# --- who may read it -----------------------------------------------------------------------

def may_view_report(user, cycle: AssessmentCycle) -> bool:
    """The cycle's administrators (``may_run_cycle``) and members of the Joint Staff office,
    USD(P) or PA&E of the cycle; in every case only when cleared for the report's marking (the
    highest of the plans it aggregates, at close and now: ``report_marking``). The one rule for
    the page, the printable page and the XLSX."""
    from organizations.selectors import active_account, organization_ids_acting_for
    from security.access import may_see

    if not active_account(user):
        return False
    if not may_see(user, report_marking(cycle)):
        return False
    if may_run_cycle(user):
        return True
    ids = {cycle.owner_id, cycle.policy_office_id, cycle.program_coordinator_id} - {None}
    return bool(ids.intersection(organization_ids_acting_for(user)))


# --- what it says ---------------------------------------------------------------------------

@dataclass
class CompletionRow:
    organization: str
    assigned: int = 0
    on_time: int = 0
    late: int = 0
    missing: int = 0
    not_yet_due: int = 0
    accepted: int = 0
    evaluated: int = 0
    days_late: list[int] = field(default_factory=list)

    @property
    def submitted(self) -> int:
        return self.on_time + self.late

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
    average_percent: int | None = None
    distribution: list[tuple[str, int]] = field(default_factory=list)
    """(rating, how many), worst to best."""

    @property
    def distribution_text(self) -> str:
        return "; ".join(f"{label}: {count}" for label, count in self.distribution)


@dataclass
class CycleReport:
    cycle: AssessmentCycle
    as_of: datetime.date
    completion: list[CompletionRow]
    by_end_state: list[RatingRow]
    by_command: list[RatingRow]
    by_program: list[RatingRow] = field(default_factory=list)
    initiatives: list[dict] = field(default_factory=list)
    """Per assessed program: its initiatives, cost, monitoring and evaluations
    (``initiatives.selectors.program_initiative_figures``); empty in reports frozen before them."""
    submissions: list[int] = field(default_factory=list)
    """Each first submission in days from its suspense (negative: before it), in order."""
    joint_review: str = ""
    evaluation: str = ""
    banner: str = "UNCLASSIFIED"
    closed_on: datetime.date | None = None
    """Set for a closed cycle: the figures are the snapshot frozen that day."""

    @property
    def frozen(self) -> bool:
        return self.closed_on is not None

    @property
    def dated(self) -> str:
        """How the report is dated, in words: frozen at close, or as of the day it is read."""
        if self.frozen:
            return f"closed on {date_words(self.closed_on)}; figures frozen at close"
        return f"as of {date_words(self.as_of)}"

    @property
    def submissions_by_day(self) -> list[tuple[int, int, int]]:
        """(days from the suspense, submitted that day, submitted by then), day by day."""
        rows, running = [], 0
        for day in sorted(set(self.submissions)):
            count = self.submissions.count(day)
            running += count
            rows.append((day, count, running))
        return rows

    @property
    def totals(self) -> CompletionRow:
        total = CompletionRow("All organizations")
        for row in self.completion:
            for name in ("assigned", "on_time", "late", "missing", "not_yet_due", "accepted", "evaluated"):
                setattr(total, name, getattr(total, name) + getattr(row, name))
            total.days_late.extend(row.days_late)
        return total


def _score(rating: str, scale: list) -> float | None:
    if not isinstance(scale, list) or rating not in scale or len(scale) < 2:
        return None
    return scale.index(rating) / (len(scale) - 1)


class _Tally:
    """Ratings of one group while they are counted."""

    def __init__(self, label: str, title: str = ""):
        self.label, self.title, self.count = label, title, 0
        self.scores: list[float] = []
        self.by_rating: dict[str, list] = {}  # rating -> [count, score]

    def add(self, rating: str, scale: list) -> None:
        score = _score(rating, scale)
        self.count += 1
        if score is not None:
            self.scores.append(score)
        entry = self.by_rating.setdefault(rating, [0, score])
        entry[0] += 1

    def figures(self) -> dict:
        order = sorted(self.by_rating.items(), key=lambda item: (item[1][1] is None, item[1][1] or 0, item[0]))
        return {"label": self.label, "title": self.title, "count": self.count,
                "average_percent": round(100 * sum(self.scores) / len(self.scores)) if self.scores else None,
                "distribution": [[rating, entry[0]] for rating, entry in order]}


def _tallies(rows, key) -> list[dict]:
    groups: dict[str, _Tally] = {}
    for row in rows:
        label, title = key(row)
        groups.setdefault(label, _Tally(label, title)).add(row[0], row[1])
    return [tally.figures() for _label, tally in sorted(groups.items())]


def report_figures(*, cycle: AssessmentCycle, as_of: datetime.date, closed: bool) -> dict:
    """Every figure of the report, computed from the rows (a handful of queries whatever the
    size), as plain JSON-ready values. An assessment is submitted when first submitted; on time
    when that was on or before its suspense, late by the days after it otherwise. One never
    submitted is missing once its suspense has passed (``as_of`` is after it), not yet due
    before; when the cycle closes (``closed``) every one never submitted is missing. Ratings
    count the answers of assessments as submitted (submitted, accepted or evaluated)."""
    completion: dict[str, dict] = {}
    submissions: list[int] = []  # each first submission, in days from its suspense (negative: before)
    for model in (Assessment, ProgramAssessment):
        rows = model.objects.filter(cycle=cycle).values_list("owner__acronym", "suspense", "first_submitted_at",
                                                             "state")
        for acronym, suspense, submitted_at, state in rows:
            row = completion.setdefault(acronym, {"organization": acronym, "assigned": 0, "on_time": 0, "late": 0,
                                                  "missing": 0, "not_yet_due": 0, "accepted": 0, "evaluated": 0,
                                                  "days_late": []})
            row["assigned"] += 1
            if submitted_at is not None:
                late_by = (timezone.localdate(submitted_at) - suspense).days
                submissions.append(late_by)
                if late_by > 0:
                    row["late"] += 1
                    row["days_late"].append(late_by)
                else:
                    row["on_time"] += 1
            elif closed or suspense < as_of:
                row["missing"] += 1
            else:
                row["not_yet_due"] += 1
            row["accepted"] += state in ACCEPTED_STATES
            row["evaluated"] += state == AssessmentState.EVALUATED

    # An answer's ``assessment`` is the record of either kind; each kind is reached from it.
    of_plan, of_program = "assessment__assessment__", "assessment__programassessment__"
    plan_answers = Answer.objects.filter(**{f"{of_plan}cycle": cycle, f"{of_plan}state__in": SUBMITTED_STATES}).exclude(
        rating="")
    by_end_state = _tallies(
        plan_answers.filter(objective__isnull=False).values_list(
            "rating", "question__scale", "objective__end_states__code", "objective__end_states__title"),
        lambda row: (row[2] or "—", row[3] or "Objectives traced to no end state"))
    by_command = _tallies(
        plan_answers.filter(**{f"{of_plan}owner__kind__in": COMBATANT_COMMAND_KINDS}).values_list(
            "rating", "question__scale", f"{of_plan}owner__acronym"),
        lambda row: (row[2], ""))
    by_program = _tallies(
        Answer.objects.filter(**{f"{of_program}cycle": cycle, f"{of_program}state__in": SUBMITTED_STATES})
        .exclude(rating="").values_list("rating", "question__scale", f"{of_program}program__code",
                                        f"{of_program}program__name"),
        lambda row: (row[2], row[3]))
    from initiatives.selectors import program_initiative_figures

    programs = [assessment.program for assessment in
                ProgramAssessment.objects.filter(cycle=cycle).select_related("program").order_by("program__code")]
    return {
        "as_of": as_of.isoformat(), "closed": closed,
        "initiatives": program_initiative_figures(programs),
        "completion": sorted(completion.values(), key=lambda r: r["organization"]),
        "by_end_state": by_end_state, "by_command": by_command, "by_program": by_program,
        "submissions": sorted(submissions), "joint_review": cycle.joint_review, "evaluation": cycle.evaluation,
    }


def _report(cycle: AssessmentCycle, figures: dict, *, banner: str, closed_on: datetime.date | None) -> CycleReport:
    def ratings(rows):
        return [RatingRow(label=r["label"], title=r["title"], count=r["count"], average_percent=r["average_percent"],
                          distribution=[(rating, count) for rating, count in r["distribution"]]) for r in rows]

    return CycleReport(
        cycle=cycle, as_of=datetime.date.fromisoformat(figures["as_of"]), banner=banner, closed_on=closed_on,
        completion=[CompletionRow(**{**row, "days_late": list(row["days_late"])}) for row in figures["completion"]],
        by_end_state=ratings(figures["by_end_state"]), by_command=ratings(figures["by_command"]),
        by_program=ratings(figures["by_program"]), submissions=list(figures.get("submissions", [])),
        initiatives=[{**row, "ratings_text": "; ".join(f"{label}: {count}" for label, count in row["ratings"])}
                     for row in figures.get("initiatives", [])],
        joint_review=figures["joint_review"],
        evaluation=figures["evaluation"],
    )


def cycle_report(*, cycle: AssessmentCycle, as_of: datetime.date | None = None) -> CycleReport:
    """The report as its readers see it. A closed cycle's is its snapshot, whatever the date
    (``as_of`` does not apply); an open cycle's is computed as of ``as_of`` (today)."""
    if cycle.state == CycleState.CLOSED:
        snapshot = _snapshot(cycle) or _freeze_after_the_fact(cycle)
        return _report(cycle, snapshot.figures, closed_on=snapshot.closed_on,
                       banner=report_marking(cycle, snapshot=snapshot).banner)
    figures = report_figures(cycle=cycle, as_of=as_of or timezone.localdate(), closed=False)
    return _report(cycle, figures, banner=report_marking(cycle).banner, closed_on=None)


# --- the snapshot ---------------------------------------------------------------------------

def report_freeze(cycle: AssessmentCycle, *, closed_on: datetime.date | None = None) -> ReportSnapshot:
    """Freeze the report of ``cycle`` as it closes (the close transition's effect,
    ``assessments.services.cycle_enter_closed``, after it recorded the evaluation): its figures,
    texts and marking, dated ``closed_on`` (today). Once only: a cycle frozen already keeps its
    snapshot."""
    frozen = ReportSnapshot.objects.filter(cycle=cycle).first()
    if frozen is not None:
        return frozen
    closed_on = closed_on or timezone.localdate()
    with transaction.atomic():
        snapshot, _created = ReportSnapshot.objects.get_or_create(cycle=cycle, defaults={
            "closed_on": closed_on,
            "figures": report_figures(cycle=cycle, as_of=closed_on, closed=True),
            "marking": _marking_json(_live_marking(cycle)),
        })
    return snapshot


def _snapshot(cycle: AssessmentCycle) -> ReportSnapshot | None:
    try:
        return cycle.report_snapshot
    except ReportSnapshot.DoesNotExist:
        return None


def _freeze_after_the_fact(cycle: AssessmentCycle) -> ReportSnapshot:
    """A cycle closed before reports were frozen at close: frozen the first time it is read,
    dated by its close in the history (the figures are as they stand then, missing counted as at
    close)."""
    from workflow.models import HistoryEntry

    closed_at = (HistoryEntry.objects.filter(content_type=ContentType.objects.get_for_model(AssessmentCycle),
                                             object_id=cycle.pk, action="close")
                 .order_by("-at").values_list("at", flat=True).first())
    return report_freeze(cycle, closed_on=timezone.localdate(closed_at) if closed_at else None)


def _live_marking(cycle: AssessmentCycle):
    """The report aggregates the cycle's assessments: it is marked as high as the plans they assess."""
    from planning.models import Plan
    from security.markings import combine

    related = ("rel_to", "cui_categories", "dissemination_controls")
    plans = [plan for kind in Plan.kinds()
             for plan in kind.objects.filter(assessments__cycle=cycle).prefetch_related(*related)]
    return combine([plan.marking() for plan in plans])


def _marking_json(marking) -> dict:
    return {"level": marking.level, "noforn": marking.noforn, "rel_to": sorted(marking.rel_to),
            "cui_categories": sorted(marking.cui_categories), "dissemination": sorted(marking.dissemination)}


def report_marking(cycle: AssessmentCycle, *, snapshot: ReportSnapshot | None = None):
    """The report's marking: the highest of the plans it aggregates. A frozen report keeps the
    marking it had at close and takes any raised since (a plan marked higher later raises it;
    none lowers it)."""
    from security.markings import Marking, combine

    live = _live_marking(cycle)
    snapshot = snapshot or (_snapshot(cycle) if cycle.state == CycleState.CLOSED else None)
    if snapshot is None:
        return live
    frozen = snapshot.marking
    return combine([live, Marking(level=frozen["level"], noforn=frozen["noforn"], rel_to=frozenset(frozen["rel_to"]),
                                  cui_categories=frozenset(frozen["cui_categories"]),
                                  dissemination=frozenset(frozen["dissemination"]))])


# --- the XLSX -------------------------------------------------------------------------------

COMPLETION_HEADERS = ["Organization", "Assigned", "Submitted", "On time", "Late", "Missing", "Not yet due",
                      "Accepted", "Evaluated", "Days late (total)", "Days late (most)"]
RATING_HEADERS = ["", "Title", "Ratings", "Average (% of scale)", "Distribution"]


def completion_cells(row: CompletionRow) -> list:
    return [row.organization, row.assigned, row.submitted, row.on_time, row.late, row.missing, row.not_yet_due,
            row.accepted, row.evaluated, row.days_late_total, row.days_late_max]


def rating_cells(row: RatingRow) -> list:
    return [row.label, row.title, row.count, row.average_percent, row.distribution_text]


INITIATIVE_HEADERS = ["Program", "Name", "Initiatives (approved or closed)", "Estimated cost (USD)",
                      "Reporting monitoring entries", "With an approved evaluation", "Latest evaluations' ratings"]


def report_xlsx(report: CycleReport) -> bytes:
    """The report as an Excel workbook: one sheet per part, each with the report's banner first
    and last. Every cell is written by ``security.spreadsheets``: text typed by users (joint
    review, evaluation, titles) is never a formula. A frozen report's workbook is the same, byte
    for byte, whenever it is downloaded (its dates are the date of close)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from security.spreadsheets import xlsx_append

    workbook = Workbook()
    title = f"{report.cycle} — report {report.dated} (training data)"
    sheets = [("Completion", COMPLETION_HEADERS, [completion_cells(r) for r in [*report.completion, report.totals]])]
    for name, rows, first in (("Ratings by GEF end state", report.by_end_state, "End state"),
                              ("Ratings by command", report.by_command, "Combatant command"),
                              ("Ratings by program", report.by_program, "Program")):
        sheets.append((name, [first, *RATING_HEADERS[1:]], [rating_cells(r) for r in rows]))
    sheets.append(("Initiatives by program", INITIATIVE_HEADERS,
                   [[r["label"], r["title"], r["initiatives"], r["cost"], r["monitored"], r["evaluated"],
                     r["ratings_text"]] for r in report.initiatives]))
    sheets.append(("Joint review and evaluation", None,
                   [["Consolidated joint review (Joint Staff)"], [report.joint_review],
                    ["Evaluation and advice to the Secretary (USD(P))"], [report.evaluation]]))
    for index, (name, headers, rows) in enumerate(sheets):
        sheet = workbook.active if index == 0 else workbook.create_sheet()
        sheet.title = name
        xlsx_append(sheet, [report.banner])
        xlsx_append(sheet, [title])
        if headers:
            for cell in xlsx_append(sheet, headers):
                cell.font = Font(bold=True)
        for row in rows:
            xlsx_append(sheet, row)
        xlsx_append(sheet, [report.banner])
        sheet["A1"].font = Font(bold=True)
    stamp = datetime.datetime.combine(report.closed_on or report.as_of, datetime.time())
    workbook.properties.created = workbook.properties.modified = stamp
    workbook.properties.title = title
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _dated(buffer.getvalue(), workbook, stamp)


def _dated(content: bytes, workbook, stamp: datetime.datetime) -> bytes:
    """The workbook's archive with every member, and its "modified" property, dated ``stamp``
    (openpyxl dates them at the time of saving)."""
    from openpyxl.xml.functions import tostring

    workbook.properties.modified = stamp
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            info = zipfile.ZipInfo(member.filename, date_time=stamp.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            data = source.read(member.filename)
            if member.filename == "docProps/core.xml":
                data = tostring(workbook.properties.to_tree())
            target.writestr(info, data)
    return out.getvalue()
