"""Charts of the cycle's report, drawn on the server as inline SVG from the report's own figures
(the frozen ones once the cycle is closed): average rating by GEF end state and by combatant
command, and submissions against the suspense. Plain SVG from the standard library with
presentation attributes (no script: the CSP holds; one inline style lets it shrink on a narrow
screen), each with a title and a description read by screen readers; the tables beside them
hold every figure."""

from __future__ import annotations

from html import escape

from django.utils.safestring import SafeString, mark_safe

from .reports import CycleReport, RatingRow

WIDTH, BAR_H, GAP, LABEL_W, VALUE_W, TOP = 640, 22, 8, 110, 60, 8
INK, BAR, GRID, LATE = "#1b1b1b", "#205493", "#8a8a8a", "#b50909"


def _svg(key: str, title: str, description: str, height: int, body: list[str]) -> SafeString:
    return mark_safe(  # noqa: S308 - every text below is escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" class="wf-chart" role="img" width="{WIDTH}" height="{height}" '
        'style="max-width:100%;height:auto" '
        f'viewBox="0 0 {WIDTH} {height}" aria-labelledby="chart-{key}-title chart-{key}-desc" '
        f'font-family="sans-serif" font-size="13">'
        f'<title id="chart-{key}-title">{escape(title)}</title><desc id="chart-{key}-desc">{escape(description)}</desc>'
        + "".join(body) + "</svg>")


def ratings_chart(key: str, title: str, rows: list[RatingRow]) -> SafeString | None:
    """One bar per group: its average rating as a share of the scale (0 % worst, 100 % best)."""
    rows = [row for row in rows if row.average_percent is not None]
    if not rows:
        return None
    span = WIDTH - LABEL_W - VALUE_W
    body, y = [], TOP
    for row in rows:
        width = round(span * row.average_percent / 100)
        body.append(f'<text x="{LABEL_W - 6}" y="{y + BAR_H - 6}" text-anchor="end" fill="{INK}">'
                    f'{escape(row.label)}</text>'
                    f'<rect x="{LABEL_W}" y="{y}" width="{max(width, 1)}" height="{BAR_H}" fill="{BAR}"/>'
                    f'<text x="{LABEL_W + width + 6}" y="{y + BAR_H - 6}" fill="{INK}">{row.average_percent} %</text>')
        y += BAR_H + GAP
    body.append(f'<line x1="{LABEL_W}" y1="{TOP - 4}" x2="{LABEL_W}" y2="{y}" stroke="{GRID}"/>')
    described = "; ".join(f"{row.label}: {row.average_percent} % of the scale ({row.count} ratings)" for row in rows)
    return _svg(key, title, f"Average rating as a share of the scale, 0 % worst, 100 % best. {described}.",
                y + TOP, body)


def submissions_chart(report: CycleReport) -> SafeString | None:
    """Submissions against the suspense: how many assessments were in, day by day from the
    first submission, with the suspense and the number assigned marked."""
    days = report.submissions_by_day
    assigned = report.totals.assigned
    if not days or not assigned:
        return None
    first, last = min(days[0][0], 0), max(days[-1][0], 0)
    left, right, top, bottom, height = 90, WIDTH - 20, 24, 200, 240
    span_x = max(last - first, 1)

    def x(day: int) -> float:
        return round(left + (right - left) * (day - first) / span_x, 1)

    def y(count: int) -> float:
        return round(bottom - (bottom - top) * count / assigned, 1)

    points, running = [f"{x(first)},{y(0)}"], 0
    for day, _count, total in days:
        points += [f"{x(day)},{y(running)}", f"{x(day)},{y(total)}"]
        running = total
    points.append(f"{x(last)},{y(running)}")
    body = [
        f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="{GRID}"/>',
        f'<line x1="{left}" y1="{y(assigned)}" x2="{right}" y2="{y(assigned)}" stroke="{GRID}" stroke-dasharray="4 4"/>',
        f'<text x="{left - 6}" y="{y(assigned) + 4}" text-anchor="end" fill="{INK}">{assigned} assigned</text>',
        f'<text x="{left - 6}" y="{bottom + 4}" text-anchor="end" fill="{INK}">0</text>',
        f'<line x1="{x(0)}" y1="{top - 8}" x2="{x(0)}" y2="{bottom}" stroke="{LATE}" stroke-width="2"/>',
        f'<text x="{x(0) + 4 if x(0) < right - 70 else x(0) - 4}" y="{top - 10}" fill="{LATE}" '
        f'text-anchor="{"start" if x(0) < right - 70 else "end"}">suspense</text>',
        f'<polyline points="{" ".join(points)}" fill="none" stroke="{BAR}" stroke-width="3"/>',
        f'<text x="{left}" y="{bottom + 20}" fill="{INK}">{first:+d} days</text>',
        f'<text x="{right}" y="{bottom + 20}" text-anchor="end" fill="{INK}">{last:+d} days</text>',
    ]
    total = report.totals
    return _svg("submissions", "Submissions against the suspense",
                f"Assessments submitted, counted day by day from their suspense: {total.submitted} of {assigned} "
                f"submitted, {total.on_time} by the suspense and {total.late} after it; {total.missing} missing.",
                height, body)


def report_charts(report: CycleReport) -> dict[str, SafeString | None]:
    return {
        "end_state": ratings_chart("end-state", "Average rating by GEF end state", report.by_end_state),
        "command": ratings_chart("command", "Average rating by combatant command", report.by_command),
        "submissions": submissions_chart(report),
    }
