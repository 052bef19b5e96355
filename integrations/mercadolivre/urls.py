"""URLs of the Mercado Livre connection, on store hosts and on the public host."""

from django.urls import path

from integrations.mercadolivre import views
from integrations.mercadolivre.webhook import ml_webhook

store_urlpatterns = [
    path("settings/mercado-livre/", views.ml_settings, name="ml-settings"),
    path("settings/mercado-livre/connect", views.ml_connect, name="ml-connect"),
    path("settings/mercado-livre/disconnect", views.ml_disconnect_view, name="ml-disconnect"),
    # Under ``disconnect``: taking access away stays allowed to a read-only store
    # (billing.middleware.EXEMPT_PREFIXES).
    path(
        "settings/mercado-livre/disconnect/<int:ml_user_id>",
        views.ml_account_disconnect,
        name="ml-account-disconnect",
    ),
    path(
        "settings/mercado-livre/pause/<int:ml_user_id>",
        views.ml_account_pause_view,
        name="ml-account-pause",
    ),
    path(
        "settings/mercado-livre/activate/<int:ml_user_id>",
        views.ml_account_activate_view,
        name="ml-account-activate",
    ),
]

public_urlpatterns = [
    path("auth/callback", views.ml_callback, name="ml-callback"),
    path("api/webhook/mercado-livre", ml_webhook, name="ml-webhook"),
]
