from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from config.metrics import metrics_view
from security.oidc import OIDCCallbackView, OIDCInitView, oidc_refused, oidc_start

urlpatterns = [
    # The root leads to the start page (the admin's "View site" link points here).
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path(settings.ADMIN_URL, admin.site.urls),
    path("api/", include("api.urls")),
    # Operations (README: Health and metrics): liveness, readiness and Prometheus metrics.
    path("health/", include("config.health")),
    path("metrics", metrics_view, name="metrics"),
    # OpenID Connect sign-in (OIDC_ENABLED; answers 404 otherwise). The names are mozilla-django-oidc's.
    path("oidc/start/", oidc_start, name="oidc_start"),
    path("oidc/authenticate/", OIDCInitView.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", OIDCCallbackView.as_view(), name="oidc_authentication_callback"),
    path("oidc/refused/", oidc_refused, name="oidc_refused"),
]
