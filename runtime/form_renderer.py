"""Django's form renderer with the project's own widget templates first (``runtime/templates``):
Django 5.2 draws a date-time field's "Date:" and "Time:" as bare text, so the second half has no
accessible name; the project's ``admin/widgets/split_datetime.html`` draws them as ``<label for>``,
in the HTML the server sends. Everything else is found where Django's renderer finds it."""

from __future__ import annotations

from pathlib import Path

import django.forms
from django.forms.renderers import DjangoTemplates
from django.utils.functional import cached_property

OWN_TEMPLATES = Path(__file__).resolve().parent / "templates"  # runtime is no app: only this renderer reads them


class WorkplaceFormRenderer(DjangoTemplates):
    @cached_property
    def engine(self):
        return self.backend({
            "APP_DIRS": True,
            "DIRS": [OWN_TEMPLATES, Path(django.forms.__file__).resolve().parent / self.backend.app_dirname],
            "NAME": "djangoforms",
            "OPTIONS": {},
        })
