"""The load phase's server settings: the production profile unchanged, except static files are
served uncompressed and unhashed, so the bench need not run a full collectstatic (whitenoise
compresses every file, minutes on a small machine), and each response says how long the server
took over it (``benchmarks.middleware.ServerTiming``, outermost). The load mix requests pages,
not assets."""

from config.settings.production import *  # noqa: F403
from config.settings.production import MIDDLEWARE, STORAGES

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
MIDDLEWARE = ["benchmarks.middleware.ServerTiming", *MIDDLEWARE]
