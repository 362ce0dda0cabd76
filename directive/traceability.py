"""Where the product stands on each numbered item of DoDD 5132.03's policy and responsibilities:
the data (``data/traceability.json``, kept in the repository), read and checked here, shown in
the admin (``config.admin_site``: *Directive traceability*) and printed by ``manage.py
traceability``. A row names pages (admin URL names), code (dotted paths) and tests
(``path::name``); ``problems`` says which of them do not exist, so a row cannot claim what the
code no longer has. The product's parts are looked up by name, never imported here."""

from __future__ import annotations

import ast
import importlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.urls import NoReverseMatch, reverse

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "traceability.json"
STATUSES = ("implemented", "partial", "not implemented", "out of scope")


@dataclass
class Item:
    id: str
    ref: str
    office: str
    text: str
    status: str
    pages: list[dict] = field(default_factory=list)
    code: list[str] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)
    note: str = ""
    missing: str = ""
    reason: str = ""

    @property
    def links(self) -> list[tuple[str, str]]:
        """(label, address) of each page that answers to its name."""
        found = []
        for page in self.pages:
            try:
                found.append((page["label"], reverse(page["url_name"])))
            except NoReverseMatch:
                continue
        return found


def read(path: Path | str = DEFAULT_PATH) -> list[Item]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return [Item(**row) for row in data["items"]]


def _code_exists(dotted: str) -> bool:
    """Does ``dotted`` name a module, or an attribute reached from one (``app.module.Class.method``)?"""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            if not hasattr(target, name):
                return False
            target = getattr(target, name)
        return True
    return False


def _test_exists(reference: str, root: Path) -> bool:
    """Does ``path::name`` name a test function (or class) defined in that file?"""
    path, _, name = reference.partition("::")
    file = root / path
    if not name or not file.is_file():
        return False
    tree = ast.parse(file.read_text(encoding="utf-8"))
    return any(isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.name == name
               for node in ast.walk(tree))


def problems(items: list[Item], *, root: Path | None = None) -> list[str]:
    """What is wrong with the rows, one sentence each (nothing: every row holds): an unknown
    status, a row without what its status needs, and any page, code or test a row names that does
    not exist (an implemented row must name at least one piece of code or test)."""
    root = root or Path(settings.BASE_DIR)
    found = []
    for item in items:
        where = f"{item.ref}:"
        if item.status not in STATUSES:
            found.append(f"{where} status “{item.status}” is not one of {', '.join(STATUSES)}.")
            continue
        if item.status == "implemented" and not (item.code or item.tests):
            found.append(f"{where} an implemented item names the code or tests that implement it.")
        if item.status in ("partial", "not implemented") and not item.missing:
            found.append(f"{where} a {item.status} item says what is missing.")
        if item.status == "out of scope" and not item.reason:
            found.append(f"{where} an out-of-scope item gives the reason.")
        for page in item.pages:
            try:
                reverse(page["url_name"])
            except NoReverseMatch:
                found.append(f"{where} no page is named {page['url_name']}.")
        found += [f"{where} no code is named {dotted}." for dotted in item.code if not _code_exists(dotted)]
        found += [f"{where} no test is named {test}." for test in item.tests if not _test_exists(test, root)]
    return found
