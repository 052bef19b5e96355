from django.apps import AppConfig


class MercadoLivreConfig(AppConfig):
    """Mercado Livre data that belongs to one store (its schema): the ML account and tokens."""

    name = "integrations.mercadolivre"
    label = "mercadolivre"
    verbose_name = "Mercado Livre"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connects the receivers and registers the tenant_status section.
        from integrations.mercadolivre import receivers, status  # noqa: F401
