"""The cycle's report as a PDF, for the Secretary's read-ahead: the same figures as the page,
the printable page and the XLSX (the frozen ones once the cycle is closed), with the report's
banner at the top and bottom of every page. Made by fpdf2 (pure Python, installed by pip with the
rest), in DejaVu Sans (shipped in ``data/fonts``, so any text a person typed prints, whatever the
installation's fonts). A frozen report's PDF is the same, byte for byte, whenever it is
downloaded: it is dated by the close."""

from __future__ import annotations

import datetime
from pathlib import Path

from .reports import COMPLETION_HEADERS, RATING_HEADERS, CycleReport, completion_cells, rating_cells

FONTS = Path(__file__).resolve().parent / "data" / "fonts"
INK, BAR, LATE, GRID = (27, 27, 27), (32, 84, 147), (181, 9, 9), (138, 138, 138)


def _text(value) -> str:
    return "" if value is None else str(value)


def report_pdf(report: CycleReport) -> bytes:
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    title = f"{report.cycle} — report {report.dated} (training data)"

    class ReportPDF(FPDF):
        def header(self):
            self.set_y(6)
            self.set_font("DejaVu", "B", 9)
            self.cell(0, 5, report.banner, align="C")
            self.set_y(14)

        def footer(self):
            self.set_y(-13)
            self.set_font("DejaVu", "", 7)
            self.cell(0, 4, f"{title} · page {self.page_no()} of {{nb}}", align="C")
            self.set_y(-8)
            self.set_font("DejaVu", "B", 9)
            self.cell(0, 5, report.banner, align="C")

    pdf = ReportPDF(orientation="L", unit="mm", format="Letter")
    pdf.add_font("DejaVu", "", FONTS / "DejaVuSans.ttf")
    pdf.add_font("DejaVu", "B", FONTS / "DejaVuSans-Bold.ttf")
    pdf.set_margins(12, 14, 12)
    pdf.set_auto_page_break(True, margin=16)
    stamp = datetime.datetime.combine(report.closed_on or report.as_of, datetime.time(),
                                      tzinfo=datetime.UTC)
    pdf.set_creation_date(stamp)
    pdf.set_title(title)
    pdf.set_subject(f"{report.banner}: assessment cycle report")
    pdf.set_creator("Campaign plan workflow")
    pdf.set_lang("en")
    pdf.add_page()

    def heading(text: str) -> None:
        pdf.ln(3)
        pdf.set_font("DejaVu", "B", 12)
        pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 8)

    def table(headers: list[str], rows: list[list], widths: tuple[int, ...]) -> None:
        pdf.set_font("DejaVu", "", 8)
        with pdf.table(col_widths=widths, headings_style=FontFace(emphasis="BOLD"), line_height=4.5,
                       text_align="LEFT") as grid:
            row = grid.row()
            for cell in headers:
                row.cell(cell)
            for values in rows:
                row = grid.row()
                for value in values:
                    row.cell(_text(value))

    def bars(rows) -> None:
        """Each group's average rating as a share of the scale (0 % worst, 100 % best)."""
        rows = [row for row in rows if row.average_percent is not None]
        label_w, span = 55, 150
        for row in rows:
            if pdf.will_page_break(6):
                pdf.add_page()
            y = pdf.get_y()
            pdf.set_font("DejaVu", "", 8)
            pdf.set_xy(pdf.l_margin, y)
            pdf.cell(label_w, 5, row.label[:40], align="R")
            pdf.set_fill_color(*BAR)
            pdf.rect(pdf.l_margin + label_w + 2, y + 0.8, max(0.5, span * row.average_percent / 100), 3.4, style="F")
            pdf.set_xy(pdf.l_margin + label_w + span + 4, y)
            pdf.cell(20, 5, f"{row.average_percent} %")
            pdf.set_y(y + 5.5)

    pdf.set_font("DejaVu", "B", 15)
    pdf.multi_cell(0, 8, f"{report.cycle}: report", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(0, 5, f"Report {report.dated}. Training data.", new_x="LMARGIN", new_y="NEXT")

    heading("Completion")
    table(COMPLETION_HEADERS, [completion_cells(r) for r in [*report.completion, report.totals]],
          (40, 18, 18, 18, 15, 17, 20, 18, 18, 26, 26))
    days = report.submissions_by_day
    if days:
        heading("Submissions against the suspense (days from the suspense: submitted that day, by then)")
        pdf.set_font("DejaVu", "", 8)
        for day, count, running in days:
            if pdf.will_page_break(5):
                pdf.add_page()
            y = pdf.get_y()
            when = "on the day" if day == 0 else (f"{-day} day{'s' if day != -1 else ''} early" if day < 0
                                                 else f"{day} day{'s' if day != 1 else ''} late")
            pdf.set_xy(pdf.l_margin, y)
            pdf.cell(55, 4.5, when, align="R")
            pdf.set_fill_color(*(LATE if day > 0 else BAR))
            pdf.rect(pdf.l_margin + 57, y + 0.7, 6 * count, 3.2, style="F")
            pdf.set_xy(pdf.l_margin + 59 + 6 * count, y)
            pdf.cell(40, 4.5, f"{count} ({running} by then)")
            pdf.set_y(y + 5)
    for name, rows, first in (("Ratings by GEF end state", report.by_end_state, "End state"),
                              ("Ratings by combatant command", report.by_command, "Combatant command"),
                              ("Ratings by program", report.by_program, "Program")):
        heading(name)
        if not rows:
            pdf.cell(0, 5, "No ratings.", new_x="LMARGIN", new_y="NEXT")
            continue
        bars(rows)
        table([first, *RATING_HEADERS[1:]], [rating_cells(r) for r in rows], (40, 80, 20, 35, 80))
    for name, text in (("Consolidated joint review (Joint Staff)", report.joint_review),
                       ("Evaluation and advice to the Secretary (USD(P))", report.evaluation)):
        heading(name)
        pdf.set_font("DejaVu", "", 9)
        pdf.multi_cell(0, 5, text or "Not written.", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
