from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "operations.incidents"
    label = "incidents"
    verbose_name = "Incidents and notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from operations.incidents import receivers  # noqa: F401  # connects the signal receivers
