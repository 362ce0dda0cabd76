"""mutmut's command line, letting it mutate functions wrapped in our plain decorators, with one
more command, ``checks PATTERN...``, listing the mutants that change a check.

mutmut 3 leaves every decorated function alone (a decorator such as ``@app.post`` can have side
effects when copied). ``@retried_on_lock_failure`` is a plain wrapper, and it wraps the very
services that decide who may act on taskers and comments (``tasker_acknowledge``,
``comment_adjudicate``...): without this they would never be mutated. The mutants keep the
decorator, as the original does. Run through ``run_authority_mutants.sh``."""

from __future__ import annotations

import difflib
import fnmatch
import inspect
import os
import re
import sys
from pathlib import Path

import libcst as cst
import rules.predicates
from mutmut.__main__ import cli
from mutmut.mutation import file_mutation

PLAIN_DECORATORS = {"retried_on_lock_failure"}

_skip = file_mutation.MutationVisitor._skip_node_and_children


def _plain(node: cst.FunctionDef) -> bool:
    return bool(node.decorators) and all(
        isinstance(d.decorator, cst.Name) and d.decorator.value in PLAIN_DECORATORS for d in node.decorators)


def _skip_node_and_children(self, node: cst.CSTNode) -> bool:
    if isinstance(node, cst.FunctionDef) and _plain(node):
        decorators = node.decorators
        object.__setattr__(node, "decorators", ())  # judged as if undecorated, then put back
        try:
            return _skip(self, node)
        finally:
            object.__setattr__(node, "decorators", decorators)
    return _skip(self, node)


file_mutation.MutationVisitor._skip_node_and_children = _skip_node_and_children

# A mutated function is called through mutmut's trampoline, ``(*args, **kwargs)``; django-rules
# counts a predicate's arguments (``Predicate(_assigns_fads)`` takes the user only) from the
# function itself, so it is shown the function the trampoline wraps (``functools.wraps``).
_argspec = rules.predicates.getfullargspec
rules.predicates.getfullargspec = lambda fn: _argspec(inspect.unwrap(fn))

# A line that decides who may act or see: memberships, roles, capacities, owners, designations,
# administrators, markings and visibility.
CHECK = re.compile(
    r"capacity|acting|_require|may_|is_superuser|has_perm|\broles?\b|ROLES|Role\.|coordinator|owner|"
    r"organization|visible|cleared|marking|clearance|citizenship|noforn|rel_to|is_authenticated|is_active|"
    r"readable|administrator|designation|holder|delegat|reviewing|tasked|resolve|reasons|allowed")
# ... but not the record of who acted (the history entry's arguments).
RECORD = re.compile(r"^\s*(history_record\(|description=|actor=|data=|\+ \()")
STRING = re.compile(r"""(?:[rbfu]{0,2})("([^"\\]|\\.)*"|'([^'\\]|\\.)*')""")


def _functions(path: Path) -> dict[str, str]:
    source = path.read_text()
    found = {}
    for match in re.finditer(r"^( *)def (x\S*?__mutmut_(?:orig|\d+))\(", source, re.M):
        rest = source[match.end():]
        following = re.search(r"\n(?: {0,%s})(?:@|def |class |[^\s)\]])" .replace("%s", str(len(match.group(1)))), rest)
        found[match.group(2)] = source[match.start():match.end() + (following.start() if following else len(rest))]
    return found


def _changes_a_check(original: str, mutated: str) -> bool:
    """The mutant changes code, not only the wording of a string (a refusal's or a history
    entry's text), on a line that decides something (see ``CHECK``)."""
    before, after = original.splitlines()[1:], mutated.splitlines()[1:]
    removed = [line for line in difflib.unified_diff(before, after, lineterm="", n=0)
               if line.startswith("-") and not line.startswith("---")]
    added = [line for line in difflib.unified_diff(before, after, lineterm="", n=0)
             if line.startswith("+") and not line.startswith("+++")]
    strip = lambda lines: [STRING.sub('""', line[1:]).strip() for line in lines]  # noqa: E731
    if strip(removed) == strip(added):
        return False
    return any(CHECK.search(STRING.sub('""', line[1:])) and not RECORD.match(line[1:]) for line in removed)


def checks(patterns: list[str]) -> list[str]:
    """Generate the mutants (as ``mutmut run`` does first) and name those of functions matching
    ``patterns`` that change a check."""
    from mutmut.__main__ import create_mutants, set_mutant_under_test
    from mutmut.configuration import config
    from mutmut.utils.file_utils import copy_also_copy_files, copy_src_dir, setup_source_paths

    set_mutant_under_test("mutant_generation")
    os.makedirs("mutants", exist_ok=True)
    copy_src_dir()
    copy_also_copy_files()
    setup_source_paths()
    create_mutants(2)
    names = []
    for source in config().source_paths:
        for path in sorted(Path("mutants", source).rglob("*.py")) if Path("mutants", source).is_dir() else []:
            module = ".".join(path.relative_to("mutants").with_suffix("").parts)
            functions = _functions(path)
            for name, text in functions.items():
                if name.endswith("__mutmut_orig"):
                    continue
                full = f"{module}.{name}"
                if not any(fnmatch.fnmatch(full, pattern) for pattern in patterns):
                    continue
                original = functions.get(re.sub(r"__mutmut_\d+$", "__mutmut_orig", name))
                if original and _changes_a_check(original, text):
                    names.append(full)
    return names


if __name__ == "__main__":
    if sys.argv[1:2] == ["checks"]:
        print("\n".join(checks(sys.argv[2:])))
        sys.exit(0)
    sys.exit(cli())
