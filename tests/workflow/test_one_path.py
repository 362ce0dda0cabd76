"""Every change of a workflow state goes through the engine: outside ``workflow/services.py`` no
code of the product writes a workflow state with a queryset's ``update()`` or ``bulk_update()``,
which would skip the state machine, the reminders and the history."""

from __future__ import annotations

import ast
from pathlib import Path

from django.apps import apps
from django_fsm import FSMField

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ROOT / "workflow" / "services.py"


def _state_fields() -> set[str]:
    """The names of every workflow state field (an FSMField) of every installed model."""
    return {field.name for model in apps.get_models() for field in model._meta.concrete_fields
            if isinstance(field, FSMField)}


def _product_sources() -> list[Path]:
    """The product's own apps (what ``pyproject.toml`` packages), migrations and tests aside."""
    roots = [config.path for config in apps.get_app_configs()
             if Path(config.path).is_relative_to(ROOT) and not Path(config.path).is_relative_to(ROOT / "tests")]
    files = {path for root in roots for path in Path(root).rglob("*.py") if "migrations" not in path.parts}
    return sorted(files)


def _names(node: ast.AST) -> set[str]:
    """String constants in a list/tuple/set literal (the fields given to ``bulk_update``)."""
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return {element.value for element in node.elts if isinstance(element, ast.Constant)}
    return {node.value} if isinstance(node, ast.Constant) and isinstance(node.value, str) else set()


def raw_state_writes(source: str, states: set[str]) -> list[tuple[int, str]]:
    """Lines where ``source`` updates a state field in bulk: ``.update(state=...)``,
    ``.update(**{"state": ...})`` or ``.bulk_update(rows, ["state", ...])``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr == "update":
            written = {k.arg for k in node.keywords if k.arg}
            for k in node.keywords:
                if k.arg is None and isinstance(k.value, ast.Dict):
                    written |= {key.value for key in k.value.keys if isinstance(key, ast.Constant)}
        elif node.func.attr == "bulk_update":
            fields = node.args[1] if len(node.args) > 1 else next(
                (k.value for k in node.keywords if k.arg == "fields"), None)
            written = _names(fields) if fields is not None else set()
        else:
            continue
        if written & states:
            found.append((node.lineno, f".{node.func.attr}() of {', '.join(sorted(written & states))}"))
    return found


def test_the_scan_finds_each_way_of_writing_a_state_in_bulk():
    source = ("Plan.objects.filter(pk=1).update(state='approved')\n"
              "Tasker.objects.filter(pk=1).update(**{'state': 'cancelled'})\n"
              "Tasker.objects.bulk_update(rows, ['state', 'closed_reason'])\n"
              "Tasker.objects.bulk_update(rows, fields=('state',))\n"
              "Template.objects.filter(pk=1).update(frozen=True)\n"
              "counts.update(state=1) if False else None\n")
    assert [line for line, _ in raw_state_writes(source, {"state"})] == [1, 2, 3, 4, 6]


def test_no_raw_update_of_a_workflow_state_outside_the_engine():
    states = _state_fields()
    assert "state" in states
    sources = _product_sources()
    assert ROOT / "assessments" / "services.py" in sources and ENGINE in sources
    offenders = [f"{path.relative_to(ROOT)}:{line}: {what}"
                 for path in sources if path != ENGINE
                 for line, what in raw_state_writes(path.read_text(encoding="utf-8"), states)]
    assert offenders == []
