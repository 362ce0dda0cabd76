"""Workflow diagrams generated from the state machines in code (never drawn by hand): an SVG
with the states laid out in layers from the initial state, the current state highlighted.

Plain SVG from the standard library, so the diagram renders on any machine (Graphviz would
need a system binary that a fresh install does not have) and passes a strict CSP."""

from __future__ import annotations

from collections import defaultdict, deque
from html import escape

from .services import declared_transitions

BOX_W, BOX_H, GAP_X, GAP_Y, MARGIN = 160, 44, 210, 60, 24


def workflow_edges(model) -> list[tuple[str, str, str]]:
    """(source, target, label) for every declared transition of ``model``; ``*`` sources expanded."""
    states = [value for value, _ in model._meta.get_field("state").choices]
    edges = []
    for rules, sources in declared_transitions(model):
        target = next(t.target for t in model._meta.get_field("state").get_all_transitions(model)
                      if t.name == rules.name)
        for source in sorted(sources):
            for expanded in (states if source == "*" else [source]):
                if target is not None and expanded != target:
                    edges.append((expanded, target, rules.label))
    return edges


def _layers(model, edges) -> dict[str, tuple[int, int]]:
    field = model._meta.get_field("state")
    states = [value for value, _ in field.choices]
    start = field.default if field.default in states else states[0]
    depth = {start: 0}
    queue = deque([start])
    outgoing = defaultdict(list)
    for source, target, _ in edges:
        outgoing[source].append(target)
    while queue:
        state = queue.popleft()
        for target in outgoing[state]:
            if target not in depth:
                depth[target] = depth[state] + 1
                queue.append(target)
    last = max(depth.values(), default=0) + 1
    for state in states:
        depth.setdefault(state, last)
    rows: dict[int, int] = defaultdict(int)
    position = {}
    for state in states:  # declaration order keeps the main path on the first row
        column = depth[state]
        position[state] = (column, rows[column])
        rows[column] += 1
    return position


def state_diagram_svg(model, *, current: str | None = None) -> str:
    """The whole route of ``model`` as inline SVG; ``current`` is highlighted."""
    field = model._meta.get_field("state")
    labels = dict(field.choices)
    edges = workflow_edges(model)
    position = _layers(model, edges)

    def box(state):
        column, row = position[state]
        return MARGIN + column * (BOX_W + GAP_X), MARGIN + row * (BOX_H + GAP_Y)

    width = MARGIN * 2 + (max(c for c, _ in position.values()) + 1) * (BOX_W + GAP_X) - GAP_X
    height = MARGIN * 2 + (max(r for _, r in position.values()) + 1) * (BOX_H + GAP_Y) - GAP_Y + 20
    merged: dict[tuple[str, str], list[str]] = defaultdict(list)
    for source, target, label in edges:
        if label not in merged[(source, target)]:
            merged[(source, target)].append(label)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="wf-diagram" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="Workflow of {escape(str(model._meta.verbose_name))}">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>',
    ]
    for (source, target), names in merged.items():
        (x1, y1), (x2, y2) = box(source), box(target)
        sx, sy = x1 + BOX_W / 2, y1 + BOX_H / 2
        tx, ty = x2 + BOX_W / 2, y2 + BOX_H / 2
        # Leave and enter at the box edges facing each other.
        if abs(tx - sx) >= abs(ty - sy):
            sx, tx = (x1 + BOX_W, x2) if tx > sx else (x1, x2 + BOX_W)
        else:
            sy, ty = (y1 + BOX_H, y2) if ty > sy else (y1, y2 + BOX_H)
        bend = 0 if (merged.get((target, source)) is None) else 18
        mx, my = (sx + tx) / 2, (sy + ty) / 2 - bend
        parts.append(f'<path d="M {sx:.0f} {sy:.0f} Q {mx:.0f} {my:.0f} {tx:.0f} {ty:.0f}" fill="none" '
                     f'stroke="#555" stroke-width="1.4" marker-end="url(#arrow)"/>')
        # One line per transition, stacked above the curve's midpoint.
        lines = "".join(f'<tspan x="{mx:.0f}" dy="{0 if i == 0 else 12}">{escape(name)}</tspan>'
                        for i, name in enumerate(names))
        parts.append(f'<text x="{mx:.0f}" y="{my - 6 - 12 * (len(names) - 1):.0f}" font-size="11" '
                     f'text-anchor="middle" fill="#222" paint-order="stroke" stroke="#fff" stroke-width="3">'
                     f'{lines}</text>')
    for state, _ in position.items():
        x, y = box(state)
        is_current = state == current
        parts.append(
            f'<g class="wf-node{" wf-current" if is_current else ""}" data-state="{escape(state)}">'
            f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="8" '
            f'fill="{"#ffd24d" if is_current else "#f4f6f8"}" stroke="{"#b8860b" if is_current else "#667"}" '
            f'stroke-width="{3 if is_current else 1.2}"/>'
            f'<text x="{x + BOX_W / 2}" y="{y + BOX_H / 2 + 4}" font-size="12" text-anchor="middle" '
            f'font-weight="{"bold" if is_current else "normal"}">{escape(str(labels[state]))}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)
