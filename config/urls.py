from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from config.metrics import metrics_view

urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    path("api/", include("api.urls")),
    # Operations (README: Health and metrics): liveness, readiness and Prometheus metrics.
    path("health/", include("config.health")),
    path("metrics", metrics_view, name="metrics"),
]
