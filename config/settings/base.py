"""Settings shared by every profile. Everything that differs between machines comes from the
environment (12-factor); the defaults run the product on one machine with nothing installed
but Python: a SQLite file and a file-system Celery broker under ``var/``."""

import datetime
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from config.logs import logging_settings

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = env("SECRET_KEY", "insecure-local-development-key-not-for-production")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "config.apps.WorkplaceAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_fsm",
    "django_countries",
    "axes",
    "organizations",
    "security",
    "workflow",
    "reminders",
    "planning",
    "assessments",
    "initiatives",
    "manpower",
    "materiel",
    "workforce",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
    "directive",
    # Operations (config/health.py, config/metrics.py, config/logs.py): readiness and liveness
    # through django-health-check, Prometheus metrics through django-prometheus, JSON logs with a
    # request id carried into Celery tasks through django-structlog.
    "health_check",
    "django_prometheus",
    "django_structlog",
]

MIDDLEWARE = [
    # Liveness, readiness and metrics for probes and Prometheus, which reach a pod by its address
    # over plain HTTP: before host validation and the HTTPS redirect (config/operations.py).
    "config.operations.OperationsEndpointsMiddleware",
    # Request counts and latencies by view and status (django-prometheus): first and (but for axes) last.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "security.middleware.IdleSessionRenewalMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "runtime.time_zone.PersonTimeZoneMiddleware",
    "runtime.request_memo.RequestCacheMiddleware",
    *(["security.middleware.SmartCardMiddleware"] if env_bool("REMOTE_USER_AUTH", False) else []),
    "security.middleware.RequestContextMiddleware",
    # A request id (the X-Request-ID header if the proxy sent one, else a new UUID) and the user on
    # every log line of the request, and carried in the headers of the Celery tasks it sends.
    "django_structlog.middlewares.RequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A database lock failure a view did not handle is a conflict (409), not a server error.
    "workflow.middleware.LockConflictMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Lockout after repeated failures: last, as django-axes requires.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # OpenID Connect first: it answers only the provider's callback and checks the lockout of the
    # account it maps to itself (the identity is known only after the provider's token is verified).
    *(["security.oidc.OIDCBackend"] if env_bool("OIDC_ENABLED", False) else []),
    "axes.backends.AxesStandaloneBackend",
    *(["security.backends.SmartCardBackend"] if env_bool("REMOTE_USER_AUTH", False) else []),
    # Django's ModelBackend for passwords, reading the security profile with the user; it grants
    # no permission (security/backends.py).
    "security.backends.ProfileModelBackend",
    # Every permission, derived from memberships and designations (organizations/authority.py).
    "rules.permissions.ObjectPermissionBackend",
]
ADMIN_URL = (env("ADMIN_URL", "admin/").strip("/") + "/")

# --- Sign-in: client address, lockout, smart card (security/) ---------------------------------
# Reverse proxies in front of the application, each appending the address it received the request
# from to X-Forwarded-For. The client is that many entries from the right; 0 ignores the header
# and uses the connection's address (security.network.client_address, for lockout and audit alike).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# Reads of who may see what kept per capacity, per process (security.capacity): about 33 KB
# each, some twenty per person signed in; the least recently used go first.
CAPACITY_CACHE_ENTRIES = env_int("CAPACITY_CACHE_ENTRIES", 1024)

# Account lockout (DoD: 3 consecutive failures, then locked for 15 minutes or until an
# administrator releases it with `manage.py axes_reset_username NAME`). Counted per user name,
# wherever the guesses come from, never per address alone: one address may be the proxy every
# person signs in through, and failures with made-up names must not lock them all out.
# AXES_LOCKOUT_PER_ADDRESS=true counts per (user name, client address) pair instead, so guesses
# from one address cannot lock the person out elsewhere.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 3)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]] if env_bool("AXES_LOCKOUT_PER_ADDRESS", False) else ["username"]
# A successful sign-in clears that account's failures only (those matching the parameters above).
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# axes.W006 asks for the address among the parameters; it is left out on purpose (see above), and
# counting per user name, whatever the agent or cookies, gives rotating them nothing.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_CLIENT_IP_CALLABLE = "security.network.client_address"
AXES_LOCKOUT_CALLABLE = "security.views.lockout_response"
# Whom a locked-out person should contact, shown on the lockout page.
SIGN_IN_HELP_CONTACT = env("SIGN_IN_HELP_CONTACT", "your account administrator or the help desk")

# Failures are counted under the user name typed or, for OpenID Connect, the provider's identity.
AXES_USERNAME_CALLABLE = "security.backends.sign_in_username"
# Smart-card (CAC/PIV) sign-in through a reverse proxy that terminated mutual TLS and passes the
# certificate's subject (or the EDIPI) in REMOTE_USER_HEADER. The header is read only on
# connections from SMART_CARD_TRUSTED_PROXIES (addresses or CIDR ranges), maps to an existing
# account through its security profile, and still needs the consent banner acknowledged.
REMOTE_USER_AUTH = env_bool("REMOTE_USER_AUTH", False)
REMOTE_USER_HEADER = env("REMOTE_USER_HEADER", "HTTP_X_SSL_CLIENT_USER")
SMART_CARD_TRUSTED_PROXIES = env_list("SMART_CARD_TRUSTED_PROXIES")

# OpenID Connect sign-in (mozilla-django-oidc, security/oidc.py), off by default. The provider's
# subject ("sub", with its issuer) maps to an existing account through its security profile, set by
# an administrator; an unknown subject creates no account. The consent banner is acknowledged on
# the sign-in page before the person is sent to the provider.
OIDC_ENABLED = env_bool("OIDC_ENABLED", False)
OIDC_PROVIDER_NAME = env("OIDC_PROVIDER_NAME", "single sign-on")
OIDC_OP_ISSUER = env("OIDC_OP_ISSUER", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = env("OIDC_OP_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = env("OIDC_OP_TOKEN_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = env("OIDC_OP_JWKS_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = ""  # the library asks for it; never called: the ID token carries sub and iss
OIDC_RP_CLIENT_ID = env("OIDC_RP_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = env("OIDC_RP_CLIENT_SECRET", "")
OIDC_RP_SIGN_ALGO = env("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = env("OIDC_RP_SCOPES", "openid")
OIDC_USE_PKCE = env_bool("OIDC_USE_PKCE", True)
OIDC_VERIFY_SSL = env_bool("OIDC_VERIFY_SSL", True)
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT", 10)
OIDC_CREATE_USER = False  # never: an administrator links each identity to an existing account
OIDC_CONSENT_SECONDS = 600  # the banner's acknowledgment is good for one trip to the provider
if OIDC_ENABLED:
    _missing = [name for name in ("OIDC_OP_ISSUER", "OIDC_OP_AUTHORIZATION_ENDPOINT", "OIDC_OP_TOKEN_ENDPOINT",
                                  "OIDC_RP_CLIENT_ID", "OIDC_RP_CLIENT_SECRET") if not globals()[name]]
    if OIDC_RP_SIGN_ALGO.startswith(("RS", "ES")) and not OIDC_OP_JWKS_ENDPOINT:
        _missing.append("OIDC_OP_JWKS_ENDPOINT")
    if _missing:
        raise ImproperlyConfigured(f"OIDC_ENABLED=true needs {', '.join(_missing)}")

# --- Cache and API tokens (api/) ---------------------------------------------------------------
# The cache counts API request rates (api.throttling). With CACHE_URL (redis://host:6379/N, a
# database of its own, not the broker's) every web worker counts in the same Redis, so a limit
# holds across workers; without it each process has its own memory (development, tests).
CACHE_URL = env("CACHE_URL", "")
if CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL,
                          "KEY_PREFIX": "campaign-plans", "TIMEOUT": 300}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# API tokens (django-rest-knox): shown once when issued (`manage.py issue_api_token`), stored as a
# SHA-512 digest, valid for API_TOKEN_DAYS days, revoked in the admin.
REST_KNOX = {
    "TOKEN_TTL": datetime.timedelta(days=env_int("API_TOKEN_DAYS", 90)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}

# Sessions end after 15 minutes without activity.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 15 * 60)
# Activity renews the session at most once a minute (security.middleware.IdleSessionRenewalMiddleware)
# instead of writing the session row on every request.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_RENEWAL_SECONDS = env_int("SESSION_RENEWAL_SECONDS", 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"


def _origins(url: str) -> list[str]:
    parts = urlsplit(url)
    return [f"{parts.scheme}://{parts.netloc}"] if parts.scheme and parts.netloc else []


# Content Security Policy (django-csp): scripts only from this site.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        # The sign-in form's "Sign in with <provider>" ends in a redirect to the provider.
        "form-action": ["'self'", *_origins(OIDC_OP_AUTHORIZATION_ENDPOINT if OIDC_ENABLED else "")],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}
# Permissions-Policy header (django-permissions-policy): browser features no page here uses, off.
PERMISSIONS_POLICY = {"geolocation": [], "camera": [], "microphone": []}

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Widget templates of the project's own first (a date-time field's two halves each with a <label>).
FORM_RENDERER = "runtime.form_renderer.WorkplaceFormRenderer"

# Behind PgBouncer in transaction mode (Kubernetes, k8s/): consecutive transactions of one Django
# connection may run on different server connections, so nothing may outlive a transaction: no
# server-side cursors (a named cursor lives across fetches), no prepared statements (psycopg prepares
# a query after 5 runs), no connection startup options (PgBouncer refuses them; k8s/ sets jit=off
# on the server instead). DB_CONN_MAX_AGE then keeps the cheap connection to PgBouncer, whose own
# pool holds the server connections.
DB_PGBOUNCER = env_bool("DB_PGBOUNCER", False)
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, worker and beat share the file: wait for locks instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
elif "postgresql" in DATABASES["default"]["ENGINE"] and DB_PGBOUNCER:
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = None
elif "postgresql" in DATABASES["default"]["ENGINE"]:
    # Pages run short queries; PostgreSQL's JIT compiles a plan whose estimated cost looks high
    # (visibility filters over large tables can), which costs from tens of milliseconds to
    # seconds on a page that then reads a few rows. Off for this application's connections.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
# The role that owns the tables (same database as DATABASE_URL, another user): `migrate` and
# `db_roles` connect with it; the application never does. DATABASE_URL's role may then read and
# write rows but not truncate, disable triggers or drop (security/database_roles.py). Empty: the
# application's own role runs the migrations (SQLite, development, tests).
MIGRATION_DATABASE_URL = env("MIGRATION_DATABASE_URL", "")
if MIGRATION_DATABASE_URL:
    _owner = dj_database_url.parse(MIGRATION_DATABASE_URL)
    if (_owner["ENGINE"], _owner["NAME"]) != (DATABASES["default"]["ENGINE"], DATABASES["default"]["NAME"]):
        raise ImproperlyConfigured("MIGRATION_DATABASE_URL must name the same database as DATABASE_URL, "
                                   "with the credentials of the role that owns its tables.")
# Data-destroying commands (flush, sqlflush) and the demo loaders refuse to run where this is true
# (the production profile sets it).
PRODUCTION = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Sign-in hashes with Argon2id (security/passwords.py, parameters tuned for one sign-in under
# 100 ms); PBKDF2 stays listed so older hashes still verify and are upgraded at the next sign-in.
PASSWORD_HASHERS = [
    "security.passwords.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 15}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "security.passwords.CharacterClassValidator"},
]

LANGUAGE_CODE = "en-us"
FORMAT_MODULE_PATH = ["config.formats"]  # one date and time style: "29 Nov 2026", "13:50 EST"
TIME_ZONE = env("TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

# The ISO 3166-1 list (django-countries) plus Kosovo, under the code the U.S. Government uses (XK,
# user-assigned in ISO 3166-1): a partner of plans since 2008 (DoDD 5132.03 traceability: countries).
COUNTRIES_OVERRIDE = {"XK": "Kosovo"}

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# WhiteNoise serves from it; it exists (empty until collectstatic) so that no process warns of it.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploaded files (plan annexes): on the file system under VAR_DIR by default, never served by URL
# (the plan's annex view checks who may read and records it). In production, S3-compatible
# storage through django-storages (``storages.backends.s3.S3Storage``, which needs the
# django-storages and boto3 packages) when ANNEX_STORAGE_BUCKET is set.
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
if env("ANNEX_STORAGE_BUCKET", ""):
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
        "bucket_name": env("ANNEX_STORAGE_BUCKET", ""),
        "endpoint_url": env("AWS_S3_ENDPOINT_URL", "") or None,
        "region_name": env("AWS_S3_REGION_NAME", "") or None,
        "default_acl": None, "querystring_auth": True, "file_overwrite": False,
        "object_parameters": {"ServerSideEncryption": env("AWS_S3_SSE", "AES256")},
    }}
# Annexes: the size limit, and the malware scanner (ClamAV's clamd) where the installation has one:
# a Unix socket, or a host and port. Without either, annexes are recorded "not scanned".
PLAN_ANNEX_MAX_BYTES = env_int("PLAN_ANNEX_MAX_BYTES", 20 * 1024 * 1024)
CLAMD_SOCKET = env("CLAMD_SOCKET", "")
CLAMD_HOST = env("CLAMD_HOST", "")
CLAMD_PORT = env_int("CLAMD_PORT", 3310)
CLAMD_TIMEOUT = env_int("CLAMD_TIMEOUT", 30)

# E-mail: console by default; SMTP (or anything else) through the environment.
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "campaign-plans@localhost")

# Celery: the file-system transport needs no server; redis://... uses Redis.
CELERY_BROKER_URL = env("CELERY_BROKER_URL") or "filesystem://"
if CELERY_BROKER_URL == "filesystem://":
    _queue_dir = VAR_DIR / "celery" / "queue"
    _processed_dir = VAR_DIR / "celery" / "processed"
    _queue_dir.mkdir(parents=True, exist_ok=True)
    _processed_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_processed_dir),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
    _results_dir = VAR_DIR / "celery" / "results"
    _results_dir.mkdir(parents=True, exist_ok=True)
    CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND") or f"file://{_results_dir}"
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
    CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND") or CELERY_BROKER_URL
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# The queue tasks are sent to and workers read ("celery"); the bench gives its worker a queue of its own.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
CELERY_TIMEZONE = TIME_ZONE
# The worker and beat log through Django's LOGGING (JSON in production), not Celery's own handler.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "health-check": {"task": "config.health_check", "schedule": 300.0},
    # Suspense reminders: the sweep claims what is due; the digest goes out once a day.
    "reminders-sweep": {"task": "reminders.tasks.sweep", "schedule": 120.0},
    "reminders-digest": {"task": "reminders.tasks.digest", "schedule": crontab(hour=7, minute=5)},
    # Idempotency keys and admin form tokens past IDEMPOTENCY_KEY_HOURS are forgotten.
    "idempotency-keys-expire": {"task": "workflow.tasks.idempotency_keys_expire", "schedule": 3600.0},
    # Reminders before the workforce's certifications expire (each one once: the outbox decides).
    "workforce-expiry-reminders": {"task": "workforce.tasks.expiry_reminders", "schedule": crontab(hour=6, minute=30)},
}

# Logs (config/logs.py, structlog through django-structlog): one JSON object per line in production
# (LOG_FORMAT=json: timestamp, level, logger, event, request_id, user_id, task_id...), readable
# key=value lines in development. Django's own and every library's log records go the same way.
LOG_FORMAT = env("LOG_FORMAT", "plain")
LOG_LEVEL = env("LOG_LEVEL", "INFO")
LOGGING = logging_settings(LOG_FORMAT, LOG_LEVEL)
DJANGO_STRUCTLOG_CELERY_ENABLED = True
# The request id is the X-Request-ID the proxy sets (Caddy and ingress-nginx replace or generate it),
# so one id follows a request from the proxy's log through Django's to the tasks it sent.
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = True

# Operations (config/health.py, config/metrics.py).
# /metrics answers only a request carrying "Authorization: Bearer <METRICS_TOKEN>"; empty: 404 for
# everyone. The TLS proxy does not route it either: Prometheus scrapes the web pods directly.
METRICS_TOKEN = env("METRICS_TOKEN", "")
# Readiness fails when the oldest reminder due but not sent is older than this (the sweep runs
# every 2 minutes: a lag of many minutes means no worker or no beat).
OUTBOX_LAG_SECONDS = env_int("OUTBOX_LAG_SECONDS", 900)

# Repeated submissions: an API Idempotency-Key or an admin form's one-time token is remembered
# this long (workflow.idempotency); a repeat within it returns the first result and writes nothing.
IDEMPOTENCY_KEY_HOURS = env_int("IDEMPOTENCY_KEY_HOURS", 24)

# REST API (api/): token or session authentication, the admin's need-to-know selectors, errors as
# application/problem+json, cursor pagination, rate limits per user (429 past them).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its WWW-Authenticate header makes a missing credential a 401, not a 403.
        # django-rest-knox: only a digest of each token is stored; tokens expire and are revoked one by one.
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Signed in and working here (a current membership): api/permissions.py.
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.WorksHere"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.UserRateThrottle", "api.throttling.AnonRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "user": env("API_THROTTLE_USER", "5000/hour"),
        "anon": env("API_THROTTLE_ANON", "100/hour"),
    },
    "EXCEPTION_HANDLER": "api.problems.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Campaign plans API",
    "DESCRIPTION": (
        "Campaign plans, campaign support plans and their workflow (DoDD 5132.03), under the same rules "
        "as the admin. Authenticate with `Authorization: Token <key>` (`python3 dev.py manage issue_api_token "
        "<username>`); `GET /api/v1/` links every collection, and `GET /api/v1/me/` says whom the token acts for "
        "(memberships, delegations, clearance, nationality).\n\n"
        "**Errors** are `application/problem+json` (RFC 9457); each `type` is a public URI describing it "
        "(`/api/problems/`). **403** means you may not (you are not one of those who may, whatever the state); "
        "**409** means not now (the state or a condition does not allow it yet, or someone else changed the "
        "document), with `reasons` in the admin's words; nothing was saved.\n\n"
        "**Query parameters** are strict: one the endpoint does not take, or a bad value (`page_size=abc`), is a "
        "400 naming it."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and the docs are public: they hold the API's shape, no data, and an integrator
    # reads them before holding a token (the docs' *Authorize* button then takes one).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "PlanStateEnum": "planning.models.PlanState",
        "TaskerStateEnum": "workflow.models.TaskerState",
        "OrganizationKindEnum": "organizations.models.OrganizationKind",
        "CampaignPlanKindEnum": "planning.models.CampaignPlanKind",
        "CycleStateEnum": "assessments.models.CycleState",
        "AssessmentStateEnum": "assessments.models.AssessmentState",
        "CountryEnum": "api.schema.COUNTRY_CHOICES",
        # One name for a choice set that several fields share.
        "ForceActivityDesignatorEnum": "organizations.models.ForceActivityDesignator",
        "CapabilityEnum": "planning.models.Capability",
        "ILRLevelEnum": "workforce.models.ILR_LEVELS",
        "CertificationLevelEnum": "workforce.models.CertificationLevel",
        "QualificationKindEnum": "workforce.models.QualificationKind",
        "WorkforceRegionEnum": "workforce.models.Region",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_problem_responses",
        "api.schema.add_idempotency_key",
    ],
}
