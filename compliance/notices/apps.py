from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "compliance.notices"
    label = "notices"
    verbose_name = "Privacy notices and purposes"
    default_auto_field = "django.db.models.BigAutoField"
