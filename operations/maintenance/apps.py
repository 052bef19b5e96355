from django.apps import AppConfig


class MaintenanceConfig(AppConfig):
    name = "operations.maintenance"
    label = "maintenance"
    verbose_name = "Scheduled maintenance"
    default_auto_field = "django.db.models.BigAutoField"
