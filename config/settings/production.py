"""Production profile: refuses to start without a real SECRET_KEY and passes
``manage.py check --deploy`` without warnings."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import (
    CACHE_URL,
    CELERY_BROKER_URL,
    LOG_LEVEL,
    REMOTE_USER_AUTH,
    SECRET_KEY,
    SMART_CARD_TRUSTED_PROXIES,
    env,
    env_bool,
    env_int,
    logging_settings,
)

if not SECRET_KEY or SECRET_KEY.startswith("insecure-") or len(set(SECRET_KEY)) < 5 or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured(
        "The production profile needs SECRET_KEY: at least 50 random characters "
        '(python -c "import secrets; print(secrets.token_urlsafe(50))").'
    )

DEBUG = env_bool("DEBUG", False)
# One JSON object per log line (config/logs.py), unless LOG_FORMAT says otherwise.
LOGGING = logging_settings(env("LOG_FORMAT", "json"), LOG_LEVEL)
# flush, sqlflush and load_demo_data refuse to run: no demo users and no wiped trail in production.
PRODUCTION = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")

# API request rates must be counted where every web worker sees them: without CACHE_URL, the
# broker's Redis (keys carry their own prefix and expiry, beside Celery's); per-process memory
# only when there is no Redis at all.
if not CACHE_URL and CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CELERY_BROKER_URL,
                          "KEY_PREFIX": "campaign-plans", "TIMEOUT": 300}}

if REMOTE_USER_AUTH and not SMART_CARD_TRUSTED_PROXIES:
    raise ImproperlyConfigured(
        "REMOTE_USER_AUTH=true needs SMART_CARD_TRUSTED_PROXIES: the addresses (or CIDR ranges) of the "
        "proxies whose certificate header may be believed."
    )
