import time

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY, logout

from .audit import reset_current_request, set_current_request
from .network import address_in


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


class SmartCardMiddleware:
    """Smart-card (CAC/PIV) sign-in from a reverse proxy that terminated mutual TLS and passes the
    certificate's identity in ``REMOTE_USER_HEADER``. The header counts only on a connection from
    ``SMART_CARD_TRUSTED_PROXIES``; from anywhere else it is removed unread. It signs nobody in by
    itself: it offers the identity to the sign-in page (``request.smart_card_identity``), where the
    consent banner is acknowledged first (``security.forms.ConsentAuthenticationForm``). A session
    begun with a card lasts only while the proxy keeps presenting that card.
    Enabled by ``REMOTE_USER_AUTH=true``."""

    session_key = "_smart_card_identity"
    backend = "security.backends.SmartCardBackend"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        header = settings.REMOTE_USER_HEADER
        presented = (request.META.pop(header, "") or "").strip()
        trusted = address_in(request.META.get("REMOTE_ADDR"), settings.SMART_CARD_TRUSTED_PROXIES)
        request.smart_card_identity = presented if presented and trusted else None

        session, identity = request.session, request.smart_card_identity
        if session.get(BACKEND_SESSION_KEY) == self.backend \
                and (identity is None or session.get(self.session_key, identity) != identity):
            logout(request)
        response = self.get_response(request)
        if session.get(BACKEND_SESSION_KEY) == self.backend and self.session_key not in session:
            session[self.session_key] = request.smart_card_identity
        return response


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
