from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = "Compliance (LGPD)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Each app declares its personal data in a ``personal_data`` module, and its checklist
        # items (compliance.checklists) in a ``checklists`` module, and what closing a store
        # must undo on its side (compliance.closure) in a ``closure`` module.
        autodiscover_modules("personal_data", "checklists", "closure")
