"""Exports that cannot run code (OWASP, "CSV injection"). A spreadsheet reads a cell that begins
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return as a formula, and a formula can open
links, call other programs or send the sheet's contents away. Titles, comments, user names
typed on the sign-in page: any text a user wrote can begin so. Every CSV and XLSX the product
writes goes through the two writers below, which keep such text as text:

- CSV: the cell gets a leading apostrophe, which spreadsheets read as "what follows is text";
- XLSX: every text cell is a string cell, never a formula (openpyxl would otherwise take text
  starting with ``=`` for one), and a formula-like one is also marked with Excel's "quote
  prefix", as when someone types the apostrophe, so editing the cell keeps it text.

Numbers written as numbers stay numbers (``-3`` is a number, not a formula); only text changes.
Lives in ``security`` because every app that exports (workflow, assessments, the audit trail
here) may import it."""

from __future__ import annotations

import csv
from decimal import Decimal
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

# XML 1.0 cannot carry these control characters, so an XLSX cannot either: they are shown as
# the replacement character rather than failing the whole export.
_NOT_IN_XML = dict.fromkeys((*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)), "\N{REPLACEMENT CHARACTER}")


def is_formula_like(value: Any) -> bool:
    """Whether a spreadsheet would read this value, as text, as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def _plain(value: Any) -> Any:
    """Numbers as numbers, nothing as an empty cell, anything else as its text."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return value
    return str(value)


def neutralized(value: Any) -> Any:
    """The value as a CSV cell: text a spreadsheet would take for a formula begins with an
    apostrophe; numbers and other text are unchanged."""
    value = _plain(value)
    return f"'{value}" if is_formula_like(value) else value


class _NeutralizingWriter:
    def __init__(self, writer):
        self._writer = writer

    def writerow(self, row):
        return self._writer.writerow([neutralized(value) for value in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def csv_writer(file, **options) -> _NeutralizingWriter:
    """``csv.writer`` whose every cell goes through ``neutralized``."""
    return _NeutralizingWriter(csv.writer(file, **options))


def xlsx_append(sheet, values) -> list:
    """Append one row to an openpyxl worksheet: numbers as numbers, everything else as string
    cells (never a formula), formula-like text marked with the quote prefix. Returns the cells."""
    from openpyxl.cell import Cell

    cells = []
    for value in values:
        value = _plain(value)
        if isinstance(value, str):
            value = value.translate(_NOT_IN_XML)
        cell = Cell(sheet, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
            if is_formula_like(value):
                cell.quotePrefix = True
        cells.append(cell)
    sheet.append(cells)
    return cells
