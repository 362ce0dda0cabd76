"""Structured logs (structlog, bound to each request and Celery task by django-structlog).

Every log line, ours and every library's (Django, Celery, axes...), goes through one
``structlog.stdlib.ProcessorFormatter``: in production one JSON object per line (``LOG_FORMAT=json``)
with ``timestamp``, ``level``, ``logger``, ``event`` and what the context bound: ``request_id``
(the proxy's ``X-Request-ID`` or a new UUID), ``ip``, ``user_id`` during a request, and in a task
sent by that request the same ``request_id`` beside its ``task_id``.
"""

from __future__ import annotations

import structlog

SHARED_PROCESSORS = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.stdlib.PositionalArgumentsFormatter(),
    structlog.processors.StackInfoRenderer(),
]


def logging_settings(log_format: str, level: str) -> dict:
    """Django's LOGGING for ``log_format`` ("json" or "plain"), and structlog configured to match."""
    if log_format not in ("json", "plain"):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"LOG_FORMAT must be json or plain, not {log_format!r}")
    structlog.configure(
        processors=[*SHARED_PROCESSORS, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    renderer = (structlog.processors.JSONRenderer() if log_format == "json"
                else structlog.dev.ConsoleRenderer(colors=False))
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    renderer,
                ],
                # Records of the standard library's loggers get the same fields as structlog's.
                "foreign_pre_chain": SHARED_PROCESSORS,
            },
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "INFO"},
            # A line per request is the access log in production (JSON, with the request id); in
            # development runserver prints its own, so only failures are added there.
            "django_structlog.middlewares.request": {"level": "INFO" if log_format == "json" else "WARNING"},
        },
    }
