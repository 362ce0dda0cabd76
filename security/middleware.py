import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.middleware import PersistentRemoteUserMiddleware

from .audit import reset_current_request, set_current_request


class RequestContextMiddleware:
    """Lets the audit trail know who acts and from where, whatever code path writes it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = set_current_request(request)
        try:
            return self.get_response(request)
        finally:
            reset_current_request(token)


class SmartCardRemoteUserMiddleware(PersistentRemoteUserMiddleware):
    """Sign-in from a reverse proxy that terminated mutual TLS (smart card) and passes the
    identity in a header (``REMOTE_USER_HEADER``). Only enabled by ``REMOTE_USER_AUTH=true``."""

    header = getattr(settings, "REMOTE_USER_HEADER", "HTTP_X_SSL_CLIENT_USER")


class IdleSessionRenewalMiddleware:
    """The idle timeout (``SESSION_COOKIE_AGE``) counts from a signed-in person's last activity,
    renewed at most once every ``SESSION_RENEWAL_SECONDS``: a session ends between
    ``SESSION_COOKIE_AGE - SESSION_RENEWAL_SECONDS`` and ``SESSION_COOKIE_AGE`` after the last
    request, never later, and pages in between do not write the session row."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.interval = getattr(settings, "SESSION_RENEWAL_SECONDS", 60)

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.get(SESSION_KEY) is not None:
            now = int(time.time())
            if now - session.get("_renewed_at", 0) >= self.interval:
                session["_renewed_at"] = now  # modified: saved with a fresh expiry
        return self.get_response(request)
