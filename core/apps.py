from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Installed for its template tags (``{% load formatting %}``); it has no models."""

    name = "core"
    label = "core"
    verbose_name = "Core"
