"""The other apps plug their data into this app's load commands by convention: a module
``<app>.demo`` or ``<app>.reference`` with a ``load(*, stdout)`` function."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from importlib import import_module

from django.apps import apps
from django.utils.module_loading import module_has_submodule


def app_loaders(module_name: str) -> Iterator[tuple[str, Callable]]:
    """(app label, its ``<module_name>.load``) for every installed app but ``organizations`` that has
    one, in INSTALLED_APPS order. An import error inside such a module is raised, not skipped."""
    for config in apps.get_app_configs():
        if config.label == "organizations" or not module_has_submodule(config.module, module_name):
            continue
        loader = getattr(import_module(f"{config.name}.{module_name}"), "load", None)
        if callable(loader):
            yield config.label, loader
