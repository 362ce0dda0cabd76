"""List exports (CSV and XLSX) as staff exchange them: the overall banner first and last, the
portion mark of each row, and an audit record of who exported what. Callers pass only rows the
user may see (their admin queryset), so an export never shows more than the list. Every line,
banner and title included, is written by ``security.spreadsheets``: no cell is a formula."""

from __future__ import annotations

import io

from django.http import HttpResponse
from django.utils import timezone

from runtime.dates import datetime_words
from security.audit import AuditAction, audit_record
from security.markings import combine
from security.spreadsheets import csv_writer, xlsx_append

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_response(*, request, name: str, header: list[str], rows: list[list], markings: list, fmt: str):
    banner = combine(markings).banner if markings else "UNCLASSIFIED"
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    lines = [[banner], [f"{name} — exported {datetime_words()} — TRAINING DATA"], header, *rows,
             [banner]]
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
