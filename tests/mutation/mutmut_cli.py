"""mutmut's command line, letting it mutate functions wrapped in our plain decorators.

mutmut 3 leaves every decorated function alone (a decorator such as ``@app.post`` can have side
effects when copied). ``@retried_on_lock_failure`` is a plain wrapper, and it wraps the very
services that decide who may act on taskers and comments (``tasker_acknowledge``,
``comment_adjudicate``...): without this they would never be mutated. The mutants keep the
decorator, as the original does. Run through ``run_authority_mutants.sh``."""

from __future__ import annotations

import sys

import libcst as cst
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

if __name__ == "__main__":
    sys.exit(cli())
