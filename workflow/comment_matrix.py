"""A comment matrix spreadsheet read into the comments of one organization's answer.

Staff keep their comments in the comment resolution matrix they exchange by e-mail (an XLSX
with the usual columns: number, organization, category, page, paragraph, line, comment,
rationale, and often proposed change; the matrix this product exports adds columns it does not
read back, such as the office's name today and the adjudication). ``comment_matrix_read`` turns such a file into the
comments an answer takes (``services.tasker_respond``), checked by the same rule
(``services.comments_clean``). It writes nothing: the rows go into the answer form for the
coordinator to read, change and submit. A file with any bad row gives every bad row's number
and what is wrong, and no comment at all.

The file is read as data, never run: a formula cell is its formula's text (``=HYPERLINK(…)``
stays those characters, as ``security.spreadsheets`` keeps it text on the way out), and the
size and the number of rows are bounded before anything is kept.
"""

from __future__ import annotations

import datetime
import re
import zipfile

from organizations.selectors import organization_label

from .exceptions import InvalidInput
from .services import COMMENTS_PER_ANSWER, comments_clean

MAX_BYTES = 5 * 1024 * 1024
# Rows read at most, blank ones included: a matrix of COMMENTS_PER_ANSWER comments fits with room
# for titles and markings; a sheet padded to a million rows is refused, not read to the end.
MAX_ROWS = COMMENTS_PER_ANSWER + 100
HEADER_WITHIN = 15  # the header row is one of the first rows (a marking and a title may come before)

# Each column by the names staff give it (compared lower-case, spaces and punctuation squeezed).
COLUMNS = {
    "number": ("#", "no", "nr", "number", "item", "comment number", "serial"),
    "organization": ("organization", "organisation", "org", "component", "command", "submitted by",
                     "originator"),
    "category": ("category", "type", "comment type", "class", "classification of comment", "c s a"),
    "section": ("section", "section paragraph"),
    "page": ("page", "pg", "page number"),
    "paragraph": ("paragraph", "para", "paragraph number"),
    "line": ("line", "line number", "ln"),
    "text": ("comment", "comments", "comment text"),
    "rationale": ("rationale", "reason", "justification"),
    "proposed_change": ("proposed change", "recommended change", "proposed text", "recommendation",
                        "suggested change"),
}
CATEGORY_WORDS = {"c": "critical", "critical": "critical", "s": "substantive", "substantive": "substantive",
                  "a": "administrative", "admin": "administrative", "administrative": "administrative"}
LABELS = {"category": "category", "text": "comment", "section": "section", "page": "page",
          "paragraph": "paragraph", "line": "line", "rationale": "rationale", "proposed_change": "proposed change"}


def _name(value) -> str:
    return re.sub(r"[^a-z0-9#]+", " ", str(value or "").lower()).strip()


_BY_NAME = {_name(alias): column for column, aliases in COLUMNS.items() for alias in aliases}


def _text(cell) -> str:
    """A cell as the text it shows, formulas as their text (never evaluated)."""
    value = cell.value if hasattr(cell, "value") else cell
    if value is None:
        return ""
    if hasattr(value, "text"):  # an array formula: its text
        value = value.text
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value).strip()


def _header(rows) -> tuple[int, dict[str, int]] | None:
    for number, row in rows:
        columns = {}
        for index, cell in enumerate(row):
            column = _BY_NAME.get(_name(_text(cell)))
            if column is not None and column not in columns:
                columns[column] = index
        if "text" in columns and "category" in columns:
            return number, columns
        if number >= HEADER_WITHIN:
            return None
    return None


def _organization_matches(given: str, organization) -> bool:
    """The organization as the matrix names it: its acronym or name, the directive's or today's."""
    given = _name(given)
    return given in {_name(name) for name in (organization.acronym, organization.name, organization.current_acronym,
                                              organization.current_name) if name}


def comment_matrix_read(*, file, organization) -> list[dict]:
    """The comments of a comment matrix spreadsheet, in the sheet's order, for an answer of
    ``organization``: each a dict of ``services.COMMENT_CONTENT`` plus ``row`` (the sheet's row
    number). Raises ``InvalidInput`` listing every bad row ("Row 7: the comment needs text.") and
    returns nothing then; a row naming another organization is a bad row."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    size = getattr(file, "size", None)
    if size is not None and size > MAX_BYTES:
        raise InvalidInput(f"The file is {size // 1024:,} KB; a comment matrix may be at most "
                           f"{MAX_BYTES // (1024 * 1024)} MB.", {"matrix": ["The file is too large."]})
    try:
        workbook = load_workbook(file, read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as error:
        raise InvalidInput("This file is not an Excel workbook (.xlsx): save the comment matrix as .xlsx and try "
                           "again.", {"matrix": ["Not an .xlsx file."]}) from error
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for number, row in enumerate(sheet.iter_rows(), start=1):
            if number > MAX_ROWS:
                raise InvalidInput(f"The sheet has more than {MAX_ROWS} rows; a comment matrix for one answer has "
                                   f"at most {COMMENTS_PER_ANSWER} comments.", {"matrix": ["Too many rows."]})
            rows.append((number, [_text(cell) for cell in row]))
    finally:
        workbook.close()
    found = _header(rows)
    if found is None:
        raise InvalidInput("No header row found: the first sheet needs a row naming at least the columns "
                           "“Category” and “Comment” (also read: number, organization, page, paragraph, line, "
                           "rationale, proposed change).", {"matrix": ["No header row."]})
    header_number, columns = found
    office = organization_label(organization)  # today's name, the directive's beside it
    items, numbers, problems = [], [], []
    for number, cells in rows:
        if number <= header_number:
            continue
        values = {column: (cells[index] if index < len(cells) else "") for column, index in columns.items()}
        content = {name: values.get(name, "") for name in LABELS}
        if not any(content.values()):
            continue  # a blank row, or a marking line under the table
        given = values.get("organization", "")
        if given and not _organization_matches(given, organization):
            problems.append(f"Row {number}: the comment is from {given}; this answer is for {office}.")
        category = content["category"]
        content["category"] = CATEGORY_WORDS.get(_name(category), category)
        items.append(content)
        numbers.append(number)
    if len(items) > COMMENTS_PER_ANSWER:
        raise InvalidInput(f"The sheet has {len(items)} comments; one answer carries at most "
                           f"{COMMENTS_PER_ANSWER}.", {"matrix": ["Too many comments."]})
    cleaned, faults = comments_clean(items)
    for index, fields in faults.items():
        for name, sentences in fields.items():
            where = f"Row {numbers[index]}"
            if name == "category":
                given = items[index]["category"]
                problems.append(f"{where}: the category “{given}” is not critical, substantive or administrative "
                                "(or C, S, A)." if given else f"{where}: the category is missing.")
            elif name == "text":
                problems.append(f"{where}: the comment is empty.")
            else:
                problems.extend(f"{where}: the {LABELS[name]} is too long: {sentence}" for sentence in sentences)
    if not items and not problems:
        raise InvalidInput("The sheet has no comments under its header row.", {"matrix": ["No comments."]})
    if problems:
        problems.sort(key=lambda sentence: int(sentence.split(":", 1)[0].removeprefix("Row ")))
        raise InvalidInput(["Nothing was imported: the comment matrix has rows to correct.", *problems],
                           {"matrix": problems})
    return [{**row, "row": number} for row, number in zip(cleaned, numbers, strict=True)]
