"""URLs of the Mercado Livre connection, on store hosts and on the public host."""

from django.urls import path

from integrations.mercadolivre import views
from integrations.mercadolivre.webhook import ml_webhook

store_urlpatterns = [
    path("settings/mercado-livre/", views.ml_settings, name="ml-settings"),
    path("settings/mercado-livre/connect", views.ml_connect, name="ml-connect"),
    path("settings/mercado-livre/disconnect", views.ml_disconnect_view, name="ml-disconnect"),
]

public_urlpatterns = [
    path("auth/callback", views.ml_callback, name="ml-callback"),
    path("api/webhook/mercado-livre", ml_webhook, name="ml-webhook"),
]
