"""Compliance URLs on a store's host."""

from django.urls import path

from compliance import views

store_urlpatterns = [
    path("privacy/exports/<str:token>", views.export_download, name="privacy-export-download"),
]
