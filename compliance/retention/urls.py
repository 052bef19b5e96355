"""Retention URLs on the public host: ``public_urlpatterns``, for ``peepers/urls_public.py``."""

from django.urls import path

from compliance.retention import views

public_urlpatterns = [
    path(
        "retention/offboarding/<str:token>",
        views.offboarding_export_download,
        name="retention-offboarding-download",
    ),
]
