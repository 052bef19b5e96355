"""The audit log app (public schema): events, their receivers and the access review."""

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "compliance.audit"
    label = "audit"
    verbose_name = "Audit log"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from compliance.audit import receivers  # noqa: F401 - connects the signal receivers
