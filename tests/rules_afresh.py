"""The rules as each app's ``permissions`` module declares them now, into an empty registry.

Used by the authorization matrix's rules test, and before every test of a mutation run
(``tests/conftest.py``): a mutation run starts each mutant's tests in a process whose apps were
made ready, and whose permissions modules were imported, before the mutant was switched on, so
without this a mutant of a module's predicates or of its ``register()`` would never be seen."""

from __future__ import annotations

import contextlib
import importlib

from django.apps import apps
from django.utils.module_loading import module_has_submodule
from rules.permissions import permissions as registry


@contextlib.contextmanager
def rules_declared_afresh():
    saved = dict(registry)
    registry.clear()
    try:
        for config in apps.get_app_configs():
            if config.module is not None and module_has_submodule(config.module, "permissions"):
                module = importlib.reload(importlib.import_module(f"{config.name}.permissions"))
                if hasattr(module, "register"):
                    module.register()
        yield
    finally:
        registry.clear()
        registry.update(saved)
