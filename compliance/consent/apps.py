from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "compliance.consent"
    label = "consent"
    verbose_name = "Consent ledger"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Models are loaded only now; importing them with this module would be too early.
        from compliance.consent.receivers import ledger_guard_for_new_store
        from tenants.signals import tenant_created

        tenant_created.connect(ledger_guard_for_new_store, dispatch_uid="consent.ledger_guard")
