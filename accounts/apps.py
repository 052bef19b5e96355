from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts, team and store settings"
    default_auto_field = "django.db.models.BigAutoField"
