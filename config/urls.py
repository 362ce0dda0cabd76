from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    # The root leads to the start page (the admin's "View site" link points here).
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path(settings.ADMIN_URL, admin.site.urls),
    path("api/", include("api.urls")),
]
