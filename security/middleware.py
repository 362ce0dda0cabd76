from django.conf import settings
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
