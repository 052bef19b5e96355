"""Compliance URLs on a store's host."""

from django.urls import path

from compliance import views
from compliance.consent.urls import store_urlpatterns as privacy_center_urls

store_urlpatterns = [
    *privacy_center_urls,
    path("privacy/exports/<str:token>", views.export_download, name="privacy-export-download"),
]
