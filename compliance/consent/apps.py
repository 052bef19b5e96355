from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "compliance.consent"
    label = "consent"
    verbose_name = "Consent ledger"
    default_auto_field = "django.db.models.BigAutoField"
