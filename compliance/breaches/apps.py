from django.apps import AppConfig


class BreachesConfig(AppConfig):
    name = "compliance.breaches"
    label = "breaches"
    verbose_name = "Breach cases"
    default_auto_field = "django.db.models.BigAutoField"
