from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from billing import receivers, status  # noqa: F401 - connects signals and sections

        # Each app counts its share of a plan's limits in a ``usage`` module.
        autodiscover_modules("usage")
