"""The load phase's server settings: the production profile unchanged, except static files are
served uncompressed and unhashed, so the bench need not run a full collectstatic (whitenoise
compresses every file, minutes on a small machine). The load mix requests pages, not assets."""

from config.settings.production import *  # noqa: F403
from config.settings.production import STORAGES

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
