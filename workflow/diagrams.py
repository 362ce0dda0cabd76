"""Workflow diagrams generated from the state machines in code (never drawn by hand): an SVG
with the states laid out in layers from the initial state, the current state highlighted.

Plain SVG from the standard library, so the diagram renders on any machine (Graphviz would
need a system binary that a fresh install does not have) and passes a strict CSP."""

from __future__ import annotations

from collections import defaultdict, deque
from html import escape

from .services import declared_transitions

BOX_W, BOX_H, GAP_X, GAP_Y, MARGIN = 200, 46, 240, 76, 24
LABEL_PX, STATE_PX, LINE_PX = 13, 14, 16  # at the default zoom the SVG is drawn 1:1 (it scrolls, never shrinks)
FAN_IN = 3  # arrows with the same label into one state: the label is written once, by the state
LOOP_PX = 40  # how far a backward arrow runs above or below the boxes


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
    order: dict[str, int] = {}
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
    # Then each state as far right as its longest forward path (an edge to a deeper state): a
    # state reached both directly and through a detour sits after the detour, not beside it.
    pairs = {(source, target) for source, target, _ in edges}
    forward = [(source, target) for source, target in pairs if source in depth and target in depth and (
        depth[target] > depth[source] or (depth[target] == depth[source] and (target, source) not in pairs))]
    changed, passes = True, 0
    while changed and passes < len(states):  # bounded: a ring of same-depth states cannot push forever
        changed, passes = False, passes + 1
        for source, target in sorted(forward):
            if order.get(target, depth[target]) <= order.get(source, depth[source]):
                order[target] = order.get(source, depth[source]) + 1
                changed = True
    depth.update(order)
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


def route_step_words(step: dict, labels: dict[int, str] | None = None) -> str:
    """One step of a route (as a snapshot stores it) in words, with the paragraph it implements;
    its office by today's name with the directive's beside it (``labels``, from
    ``organizations.selectors.organization_labels``, or the ``label`` and ``formerly`` the steps
    were resolved with: a snapshot's are those of the day it was taken)."""
    from organizations.selectors import designation_name

    from .models import Step

    office = (labels or {}).get(step.get("organization_id")) or step.get("label") or (
        f"{step['organization']}, formerly {step['formerly']}" if step.get("formerly") else step.get("organization"))
    if step.get("designation"):
        who = f"the {designation_name(step['designation'])}"
        if office:
            who += f" ({office})"
    elif office:
        who = office
    else:
        who = (step.get("relation") or "").replace("_", " ")
    words = f"{Step(step['step']).label}: {who}"
    return words + (f" — {step['authority']}" if step.get("authority") else "")


def route_step_notes(model, steps: list[dict], labels: dict[int, str] | None = None) -> dict[str, list[str]]:
    """What each state of ``model``'s diagram says on hover: the route's steps worked in that state
    (the kind's ``answering_steps``), and the approval steps on the state the approval leads to,
    each with the paragraph of the directive (or practice) it implements (``RouteStep.authority``)."""
    from .models import Step

    workflow = getattr(model, "workflow", None)
    if workflow is None:
        return {}
    state_of_step = {step: state for state, step in workflow.answering_steps.items()}
    for rules in workflow.transitions:
        if not rules.destructive and any(getattr(actor, "step", None) == Step.APPROVAL for actor in rules.actors):
            target = next((t.target for t in model._meta.get_field("state").get_all_transitions(model)
                           if t.name == rules.name), None)
            state_of_step.setdefault(Step.APPROVAL, target)
    notes: dict[str, list[str]] = defaultdict(list)
    for step in steps:
        state = state_of_step.get(step["step"])
        if state:
            notes[state].append(route_step_words(step, labels))
    return dict(notes)


def state_diagram_svg(model, *, current: str | None = None, notes: dict[str, list[str]] | None = None) -> str:
    """The whole route of ``model`` as inline SVG; ``current`` is highlighted.

    Forward arrows run between the facing sides of two boxes, their labels above the arrow's
    middle. Backward arrows (rework, resuming) loop above the first row or below the last one,
    so they never cross a box, with their label beside the loop. A model's
    ``workflow_diagram_ways_forward`` ((source, target, label), ...) adds dashed arrows for ways
    forward that are not transitions of the same document (a new version). ``notes`` (state:
    lines) become each state's tooltip (an SVG ``<title>``): who takes part, on what authority."""
    notes = notes or {}
    field = model._meta.get_field("state")
    labels = dict(field.choices)
    # Boxes as wide as the longest state's name, columns as far apart as the longest arrow label
    # (an estimate of the drawn width: 0.6 em a character is wider than any of our fonts draws).
    box_w = max(BOX_W, max(round(len(str(name)) * STATE_PX * 0.6) + 16 for name in labels.values()))
    edges = workflow_edges(model)
    extra = [(s, t, label) for s, t, label in getattr(model, "workflow_diagram_ways_forward", ())
             if s in labels and t in labels]
    position = _layers(model, edges + extra)
    gap_x = max(GAP_X, max((round(len(str(label)) * LABEL_PX * 0.6) + 24 for _, _, label in edges + extra), default=0))
    rows = max(r for _, r in position.values()) + 1
    columns = max(c for c, _ in position.values()) + 1

    merged: dict[tuple[str, str], list[str]] = defaultdict(list)
    dashed: set[tuple[str, str]] = set()
    for source, target, label in edges + extra:
        if label not in merged[(source, target)]:
            merged[(source, target)].append(label)
        if (source, target, label) in extra:
            dashed.add((source, target))
    def corner(state):
        column, row = position[state]
        return MARGIN + column * (box_w + gap_x), row * (BOX_H + GAP_Y)

    def crosses_a_box(source, target) -> bool:
        """Whether the straight arrow from ``source`` to ``target`` would run through another box."""
        (x1, y1), (x2, y2) = corner(source), corner(target)
        ax, ay, bx, by = x1 + box_w / 2, y1 + BOX_H / 2, x2 + box_w / 2, y2 + BOX_H / 2
        others = [corner(state) for state in position if state not in (source, target)]
        for step in range(1, 60):
            px, py = ax + (bx - ax) * step / 60, ay + (by - ay) * step / 60
            if any(x - 4 <= px <= x + box_w + 4 and y - 4 <= py <= y + BOX_H + 4 for x, y in others):
                return True
        return False

    # Arrows between columns that would cross a box (a step back, a step past the next state), and
    # the ways forward by a new document, loop around.
    backward = [key for key in merged
                if key in dashed or (position[key[1]][0] != position[key[0]][0] and crosses_a_box(*key))]
    above = [key for key in backward if position[key[0]][1] == 0 and position[key[1]][1] == 0]
    below = [key for key in backward if key not in above]
    top = MARGIN + (LOOP_PX + LINE_PX * 2) * len(above)  # room for the loops over the first row
    boxes_bottom = top + rows * (BOX_H + GAP_Y) - GAP_Y

    def box(state):
        column, row = position[state]
        return MARGIN + column * (box_w + gap_x), top + row * (BOX_H + GAP_Y)

    width = MARGIN * 2 + columns * (box_w + gap_x) - gap_x
    height = boxes_bottom + MARGIN + (LOOP_PX * 2 + LINE_PX * 2) * len(below)
    current_words = f"; current state: {labels[current]}" if current in labels else ""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="wf-diagram" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" '
        f'aria-label="Workflow of {escape(str(model._meta.verbose_name))}{escape(current_words)}">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#444"/></marker></defs>',
    ]

    def label_text(x, y, names, anchor="middle"):
        if not names:  # every label of the arrow is written by its target (a step open from many states)
            return ""
        lines = "".join(f'<tspan x="{x:.0f}" dy="{0 if i == 0 else LINE_PX}">{escape(name)}</tspan>'
                        for i, name in enumerate(names))
        return (f'<text x="{x:.0f}" y="{y:.0f}" font-size="{LABEL_PX}" text-anchor="{anchor}" fill="#1b1b1b" '
                f'paint-order="stroke" stroke="#fff" stroke-width="4">{lines}</text>')

    # A step open from many states (withdraw, return for rework) would put the same label on each
    # of its arrows, crossing each other's: it is named once, under the state the arrows lead to.
    arrows_in: dict[tuple[str, str], int] = defaultdict(int)
    for (_, target), names in merged.items():
        for name in names:
            arrows_in[(target, name)] += 1
    fanned = {key for key, count in arrows_in.items() if count >= FAN_IN}
    for target in position:
        names = [name for (t, name) in fanned if t == target]
        if names:
            x, y = box(target)
            parts.append(label_text(x + box_w / 2, y + BOX_H + LINE_PX, [f"{name} (every arrow in)" for name in names]))

    for (source, target), all_names in merged.items():
        names = [name for name in all_names if (target, name) not in fanned]
        (x1, y1), (x2, y2) = box(source), box(target)
        style = ' stroke-dasharray="6 4"' if (source, target) in dashed else ""
        if (source, target) in backward:
            sx, tx = x1 + box_w / 2, x2 + box_w / 2
            if (source, target) in above:
                level = MARGIN + (LOOP_PX + LINE_PX * 2) * above.index((source, target)) + LINE_PX * 2
                sy, ty = y1, y2
                # The curve's highest point is 3/4 of the way to the level: the label just above it.
                label_y = (sy + ty) / 8 + level * 3 / 4 - 6 - LINE_PX * (len(names) - 1)
            else:
                level = boxes_bottom + LOOP_PX * 2 + (LOOP_PX + LINE_PX * 2) * below.index((source, target))
                sy, ty = y1 + BOX_H, y2 + BOX_H
                # The curve's lowest point is 3/4 of the way to the level, half-way across: below it.
                label_y = (sy + ty) / 8 + level * 3 / 4 + LINE_PX
            parts.append(f'<path d="M {sx:.0f} {sy:.0f} C {sx:.0f} {level:.0f}, {tx:.0f} {level:.0f}, {tx:.0f} '
                         f'{ty:.0f}" fill="none" stroke="#444" stroke-width="1.5"{style} marker-end="url(#arrow)"/>')
            parts.append(label_text((sx + tx) / 2, label_y, names))
            continue
        sx, sy = x1 + box_w / 2, y1 + BOX_H / 2
        tx, ty = x2 + box_w / 2, y2 + BOX_H / 2
        # Leave and enter at the box edges facing each other.
        if abs(tx - sx) >= abs(ty - sy):
            sx, tx = (x1 + box_w, x2) if tx > sx else (x1, x2 + box_w)
        else:
            sy, ty = (y1 + BOX_H, y2) if ty > sy else (y1, y2 + BOX_H)
        # Two arrows between the same boxes: the one going right (or down) bends up with its
        # label above, the one coming back bends down with its label below.
        returning = (tx, ty) < (sx, sy)
        bend = 0 if merged.get((target, source)) is None else (-24 if returning else 24)
        mx, my = (sx + tx) / 2, (sy + ty) / 2 - bend
        parts.append(f'<path d="M {sx:.0f} {sy:.0f} Q {mx:.0f} {my:.0f} {tx:.0f} {ty:.0f}" fill="none" '
                     f'stroke="#444" stroke-width="1.5"{style} marker-end="url(#arrow)"/>')
        curve_y = (sy + ty) / 4 + my / 2  # the quadratic curve's middle
        if sx == tx:  # a vertical arrow: the label beside it
            parts.append(label_text(mx + 8, my + 4 - LINE_PX * (len(names) - 1) / 2, names, anchor="start"))
        elif bend < 0:  # below the curve
            parts.append(label_text(mx, curve_y + LINE_PX + 2, names))
        else:  # one line per transition, stacked above the curve's midpoint
            parts.append(label_text(mx, curve_y - 7 - LINE_PX * (len(names) - 1), names))
    current_mark = ' aria-current="step"'
    for state, _ in position.items():
        x, y = box(state)
        is_current = state == current
        parts.append(
            f'<g class="wf-node{" wf-current" if is_current else ""}" data-state="{escape(state)}"'
            f'{current_mark if is_current else ""}>'
            + (f'<title>{escape(str(labels[state]))}: {escape("; ".join(notes[state]))}</title>'
               if notes.get(state) else "")
            + f'<rect x="{x}" y="{y}" width="{box_w}" height="{BOX_H}" rx="8" '
            f'fill="{"#ffd24d" if is_current else "#f4f6f8"}" stroke="{"#7a5a00" if is_current else "#667"}" '
            f'stroke-width="{3 if is_current else 1.2}"/>'
            f'<text x="{x + box_w / 2}" y="{y + BOX_H / 2 + 5}" font-size="{STATE_PX}" text-anchor="middle" '
            f'fill="#1b1b1b" font-weight="{"bold" if is_current else "normal"}">{escape(str(labels[state]))}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)
