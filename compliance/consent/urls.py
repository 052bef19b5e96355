"""The privacy center's routes on a store's host (included by ``compliance.urls``)."""

from django.urls import path

from compliance.consent import views

store_urlpatterns = [
    path("privacy/", views.privacy_center, name="privacy-center"),
    path("privacy/consent", views.privacy_consent, name="privacy-consent"),
    path("privacy/export", views.privacy_export_start, name="privacy-export"),
    path("privacy/erasure", views.privacy_erasure, name="privacy-erasure"),
    path("privacy/buyer-requests", views.privacy_buyer_request, name="privacy-buyer-request"),
]
