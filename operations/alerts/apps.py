from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "operations.alerts"
    label = "alerts"
    verbose_name = "Alert rules"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from operations.alerts import signals  # noqa: F401  (connects the receivers)
