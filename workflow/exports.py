"""List exports (CSV and XLSX) as staff exchange them: the overall banner first and last, the
portion mark of each row, and an audit record of who exported what. Dates and times are written
in words (``runtime.dates``), times in the reader's own time zone, which the title line names. Callers pass only rows the
user may see (their admin queryset), so an export never shows more than the list. Every line,
banner and title included, is written by ``security.spreadsheets``: no cell is a formula."""

from __future__ import annotations

import datetime
import io

from django.http import HttpResponse
from django.utils import timezone

from runtime.dates import date_words, datetime_words
from security.audit import AuditAction, audit_record
from security.markings import combine
from security.spreadsheets import csv_writer, xlsx_append

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_response(*, request, name: str, header: list[str], rows: list[list], markings: list, fmt: str):
    banner = combine(markings).banner if markings else "UNCLASSIFIED"
    now = timezone.localtime()  # the reader's own time zone (runtime.time_zone)
    stamp = now.strftime("%Y%m%d-%H%M")
    title = (f"{name} — exported {datetime_words(now)} — times in {timezone.get_current_timezone_name()}"
             " — TRAINING DATA")
    lines = [[banner], [title], header, *[[cell_words(cell) for cell in row] for row in rows], [banner]]
    if fmt == "xlsx":
        from openpyxl import Workbook
        from openpyxl.styles import Font

        workbook = Workbook()
        sheet = workbook.active
        sheet.title = name[:31]
        for line in lines:
            xlsx_append(sheet, line)
        for cell in sheet[3]:
            cell.font = Font(bold=True)
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    else:
        buffer = io.StringIO()
        csv_writer(buffer).writerows(lines)
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    slug = name.lower().replace(" ", "-")
    response["Content-Disposition"] = f'attachment; filename="{slug}-{stamp}.{fmt}"'
    audit_record(action=AuditAction.EXPORT, request=request,
                 description=f"{name} exported as {fmt.upper()} ({len(rows)} rows, {banner})")
    return response


def cell_words(value):
    """A date or time in a row as the pages show it: "29 Nov 2026", "29 Nov 2026 13:50 EST" in the
    reader's zone; anything else as it is."""
    if isinstance(value, datetime.datetime):
        return datetime_words(value)
    if isinstance(value, datetime.date):
        return date_words(value)
    return value
