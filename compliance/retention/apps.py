from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class RetentionConfig(AppConfig):
    name = "compliance.retention"
    label = "retention"
    verbose_name = "Retention"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Importing registers compliance's own enforcers, which need the models loaded.
        from compliance.retention import categories  # noqa: F401

        # Each app registers the enforcers of its categories in a ``retention`` module.
        autodiscover_modules("retention")
