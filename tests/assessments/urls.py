"""Only the admin: these tests exercise the assessment admin, whatever else the project routes."""

from django.contrib import admin
from django.urls import path

urlpatterns = [path("admin/", admin.site.urls)]
