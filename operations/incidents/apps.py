from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "operations.incidents"
    label = "incidents"
    verbose_name = "Incidents and notifications"
    default_auto_field = "django.db.models.BigAutoField"
