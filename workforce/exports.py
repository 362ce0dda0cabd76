"""The readiness export, in a form a readiness system can take: CSV or XLSX, one row per SCO, with
stable column names (``READINESS_COLUMNS``, documented in the README and in the export itself: a
"Columns" sheet in XLSX, the lines after the closing banner in CSV). As every export: the banner
first and last, the title line with the time and its zone, no cell a formula, an audit record."""

from __future__ import annotations

import io

from django.http import HttpResponse
from django.utils import timezone

from runtime.dates import datetime_words
from security.audit import AuditAction, audit_record
from security.spreadsheets import csv_writer, xlsx_append

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BANNER = "UNCLASSIFIED"

# (column, meaning): the export's header row is the first of each pair, in this order.
READINESS_COLUMNS = (
    ("as_of", "The day the readiness was read (YYYY-MM-DD)."),
    ("command", "Acronym of the geographic combatant command supervising the SCO."),
    ("region", "The region of the command's area of responsibility."),
    ("host_country", "The SCO's host country."),
    ("sco", "The security cooperation organization's name."),
    ("sco_acronym", "The SCO's acronym (its identifier in this product)."),
    ("billets_authorized", "Billets authorized at the SCO on as_of (its manning, all positions)."),
    ("billets_filled", "Authorized billets with a person assigned on as_of."),
    ("filled_qualified", "Billets filled by a person meeting the billet's requirement (certification level, "
                         "training, language at its ILR level) on as_of."),
    ("gaps", "billets_authorized minus filled_qualified: billets without a qualified holder."),
    ("vacant", "billets_authorized minus billets_filled."),
    ("expiring_90_days", "Certifications and training of the SCO's billet holders expiring within 90 days of as_of."),
    ("billets_without_requirement", "Positions whose requirement is not set (counted as met)."),
)
# The billets export (``?table=billets``): one row per billet in force, with the Military Department
# that is to provide its holder (Encl. 2, 8.j).
BILLET_COLUMNS = (
    ("as_of", "The day the billets were read (YYYY-MM-DD)."),
    ("command", "Acronym of the geographic combatant command supervising the SCO."),
    ("sco_acronym", "The SCO's acronym."),
    ("position", "The billet's position in the SCO's authorized manning."),
    ("grade", "The billet's grade."),
    ("service", "The Service (or DoD civilian, locally employed staff) the billet is authorized for."),
    ("military_department", "Who is to provide the holder (Encl. 2, 8.j): DA (Army), DON (Navy, Marine Corps), "
                            "DAF (Air Force, Space Force), or words for a civilian or locally employed billet."),
    ("billets_authorized", "Billets of the position authorized on as_of."),
    ("billets_filled", "Of them, with a person assigned on as_of."),
    ("filled_qualified", "Of them, filled by a person meeting the billet's requirement on as_of."),
    ("vacant", "billets_authorized minus billets_filled."),
    ("unqualified", "billets_filled minus filled_qualified."),
    ("owed", "billets_authorized minus filled_qualified: qualified fills the Department still owes."),
)
KEYS = {"host_country": "country", "sco_acronym": "acronym"}


def readiness_values(rows: list[dict], *, as_of, columns=READINESS_COLUMNS) -> list[list]:
    return [[as_of.isoformat(), *[row[KEYS.get(column, column)] for column, _ in columns[1:]]]
            for row in rows]


def readiness_export(*, request, name: str, rows: list[dict], as_of, fmt: str, banner: str = BANNER,
                     columns=READINESS_COLUMNS) -> HttpResponse:
    """``rows`` (``selectors.readiness_rows`` or ``billet_rows`` with ``BILLET_COLUMNS``, already
    limited to what the reader may see) as CSV or XLSX."""
    now = timezone.localtime()
    title = (f"{name} — exported {datetime_words(now)} — times in {timezone.get_current_timezone_name()}"
             " — TRAINING DATA")
    header = [column for column, _ in columns]
    values = readiness_values(rows, as_of=as_of, columns=columns)
    lines = [[banner], [title], header, *values, [banner]]
    documentation = [["column", "meaning"], *[list(pair) for pair in columns]]
    if fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "Readiness"
        for line in lines:
            xlsx_append(sheet, line)
        columns = workbook.create_sheet("Columns")
        for line in [[banner], *documentation, [banner]]:
            xlsx_append(columns, line)
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    else:
        buffer = io.StringIO()
        csv_writer(buffer).writerows([*lines, [], ["Columns"], *documentation])
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    slug = name.lower().replace(" ", "-").replace("(", "").replace(")", "").replace("&", "and")
    response["Content-Disposition"] = f'attachment; filename="{slug}-{now.strftime("%Y%m%d-%H%M")}.{fmt}"'
    audit_record(action=AuditAction.EXPORT, request=request,
                 description=f"{name} exported as {fmt.upper()} ({len(rows)} rows, {banner})")
    return response
