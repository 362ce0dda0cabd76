"""OpenID Connect sign-in through mozilla-django-oidc (authorization code flow with PKCE), enabled
by ``OIDC_ENABLED``. The provider's subject (``sub``, with its issuer ``iss``) maps to an existing
account through the security profile an administrator filled in (``oidc_account``); an unknown
subject creates no account and gets a page saying what to ask the administrator.

The DoD Notice and Consent Banner comes first: the sign-in page's "Sign in with <provider>" button
sends the same form, consent box included, to ``OIDCStartView``, which refuses without the box and
otherwise remembers the acknowledgment for one trip to the provider. The callback's sign-in
records it on the security profile and in the sign-in's audit event, as a password sign-in does.

Failures (unknown subject, account locked, inactive or superuser, no consent, a provider error)
are audited and counted by django-axes under the provider's identity ("<sub> at <iss>"), and a
locked-out account is not signed in by the provider either."""

from __future__ import annotations

import datetime
import logging
from urllib.parse import urlencode

import jwt
import requests
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME, get_user_model
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from .audit import audit_record
from .backends import ProfileModelBackend
from .models import AuditAction
from .services import consent_acknowledge, oidc_link_request_record

logger = logging.getLogger(__name__)

CONSENT_SESSION_KEY = "_oidc_consent_at"
REFUSAL_SESSION_KEY = "_oidc_refusal"

REFUSALS = {
    "not_linked": "Your identity at {provider} is not yet linked to an account here.",
    "no_consent": "Acknowledge the DoD Notice and Consent Banner on the sign-in page, then sign in with "
                  "{provider} again.",
    "locked": "This account is locked after repeated failed sign-ins. Try again later, or ask {contact} to "
              "release it.",
    "not_allowed": "This account may not sign in with {provider}. Sign in with your user name and password.",
    "provider": "{provider} did not complete the sign-in. Try again; if it keeps failing, tell {contact}.",
}


def oidc_account(*, issuer: str, subject: str):
    """The account an administrator linked to the provider's ``subject`` at ``issuer`` on its
    security profile (active or not: the backend refuses an inactive one); None when none is.
    Never creates one."""
    if not issuer or not subject:
        return None
    return (get_user_model()._default_manager
            .filter(security_profile__oidc_issuer=issuer, security_profile__oidc_subject=subject).first())


def _refuse(request, reason: str, **facts) -> None:
    """Remember why this sign-in was refused, for the refusal page and the failure's audit event."""
    request.sign_in_failure = {"oidc": reason, **facts}
    request.session[REFUSAL_SESSION_KEY] = {"reason": reason, **facts}


class OIDCBackend(OIDCAuthenticationBackend, ProfileModelBackend):
    """Answers only the provider's callback (the credentials mozilla-django-oidc's callback passes);
    sessions it began read the user as ``ProfileModelBackend`` does, and end if the account has
    since become a superuser (as a smart card's do)."""

    def authenticate(self, request, **credentials):
        if request is None or "nonce" not in credentials:
            return None
        try:
            return super().authenticate(request, **credentials)
        except (requests.RequestException, jwt.PyJWTError, SuspiciousOperation, ValueError, KeyError) as error:
            logger.warning("OpenID Connect sign-in failed: %s", error)
            _refuse(request, "provider")
            return None

    def verify_token(self, token, **kwargs):
        """The library checks the signature, expiry and nonce; the issuer and audience too, here."""
        payload = super().verify_token(token, **kwargs)
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if payload.get("iss") != settings.OIDC_OP_ISSUER or self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("ID token from another issuer or for another client")
        return payload

    def get_or_create_user(self, access_token, id_token, payload):
        request = self.request
        issuer, subject = str(payload.get("iss", "")), str(payload.get("sub", ""))
        if not subject:
            raise SuspiciousOperation("ID token without a subject")
        # The name this sign-in is audited and counted under (security.backends.sign_in_username).
        request.sign_in_identity = f"{subject} at {issuer}"[:150]
        identity = {"issuer": issuer, "subject": subject}
        consent = _consent_given_at(request)
        if consent is None:
            _refuse(request, "no_consent", **identity)
            return None
        user = oidc_account(issuer=issuer, subject=subject)
        if user is None:
            named = str(payload.get("preferred_username") or payload.get("email") or "")[:150]
            oidc_link_request_record(issuer=issuer, subject=subject, name=named)
            _refuse(request, "not_linked", **identity, name=named)
            return None
        if user.is_superuser or not self.user_can_authenticate(user):
            _refuse(request, "not_allowed", **identity)
            return None
        if AxesProxyHandler.is_locked(request, {"username": user.get_username()}):
            _refuse(request, "locked", **identity)
            return None
        request.session.pop(CONSENT_SESSION_KEY, None)
        at = consent_acknowledge(user=user, at=consent)
        # Read by the sign-in audit event (security.signals), as for a password or smart card.
        request.sign_in_detail = {"consent_acknowledged_at": at.isoformat(), "oidc": identity}
        return user

    def get_user(self, user_id):
        user = ProfileModelBackend.get_user(self, user_id)
        return None if user is not None and user.is_superuser else user


def _consent_given_at(request) -> datetime.datetime | None:
    """When the person acknowledged the banner before going to the provider, if recently enough."""
    given = request.session.get(CONSENT_SESSION_KEY)
    try:
        at = datetime.datetime.fromisoformat(given) if given else None
    except ValueError:
        return None
    if at is None or timezone.now() - at > datetime.timedelta(seconds=settings.OIDC_CONSENT_SECONDS):
        return None
    return at


def _enabled_or_404() -> None:
    if not settings.OIDC_ENABLED:
        raise Http404("OpenID Connect sign-in is not enabled.")


def _login_url(next_url: str = "") -> str:
    return reverse("admin:login") + (f"?{urlencode({REDIRECT_FIELD_NAME: next_url})}" if next_url else "")


@require_POST
def oidc_start(request):
    """The sign-in form sent with "Sign in with <provider>": consent first, then to the provider."""
    _enabled_or_404()
    next_url = request.POST.get(REDIRECT_FIELD_NAME, "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        next_url = ""
    if not request.POST.get("consent"):
        messages.error(request, "Acknowledge the DoD Notice and Consent Banner to sign in.")
        return HttpResponseRedirect(_login_url(next_url))
    request.session[CONSENT_SESSION_KEY] = timezone.now().isoformat()
    request.session.pop(REFUSAL_SESSION_KEY, None)
    query = f"?{urlencode({REDIRECT_FIELD_NAME: next_url})}" if next_url else ""
    return HttpResponseRedirect(reverse("oidc_authentication_init") + query)


class OIDCInitView(OIDCAuthenticationRequestView):
    """To the provider, only after the banner was acknowledged on the sign-in page."""

    def get(self, request):
        _enabled_or_404()
        if _consent_given_at(request) is None:
            return HttpResponseRedirect(_login_url(request.GET.get(REDIRECT_FIELD_NAME, "")))
        return super().get(request)


class OIDCCallbackView(OIDCAuthenticationCallbackView):
    """Back from the provider: signed in, or the refusal page saying why."""

    def get(self, request):
        _enabled_or_404()
        return super().get(request)

    @property
    def failure_url(self):
        return reverse("oidc_refused")

    @property
    def success_url(self):
        return self.request.session.get("oidc_login_next") or reverse("admin:index")

    def login_failure(self):
        error = self.request.GET.get("error")
        if error:  # the provider said no (or the person cancelled there): no identity to count
            self.request.session[REFUSAL_SESSION_KEY] = {"reason": "provider"}
            audit_record(action=AuditAction.SIGN_IN_FAILED, request=self.request,
                         description=f"Failed sign-in with {settings.OIDC_PROVIDER_NAME}: the provider answered "
                                     f"{error[:100]!r}", detail={"oidc": "provider", "error": error[:100]})
        return super().login_failure()


def oidc_refused(request):
    """Why the provider's sign-in did not sign the person in, and what to do about it (403)."""
    _enabled_or_404()
    refusal = request.session.get(REFUSAL_SESSION_KEY) or {"reason": "provider"}
    provider = settings.OIDC_PROVIDER_NAME
    contact = settings.SIGN_IN_HELP_CONTACT
    context = {
        **admin.site.each_context(request), "title": f"Not signed in with {provider}", "refusal": refusal,
        "message": REFUSALS.get(refusal.get("reason"), REFUSALS["provider"]).format(provider=provider,
                                                                                      contact=contact),
        "provider": provider, "contact": contact, "login_url": _login_url(),
    }
    return TemplateResponse(request, "security/oidc_refused.html", context, status=403)
