from django.apps import AppConfig


class RunbooksConfig(AppConfig):
    name = "operations.runbooks"
    label = "runbooks"
    verbose_name = "Runbooks"
    default_auto_field = "django.db.models.BigAutoField"
