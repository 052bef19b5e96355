from django.apps import AppConfig


class DoublesConfig(AppConfig):
    """Installed for the ``ml_sandbox`` and ``stripe_emulator`` commands; it has no models."""

    name = "doubles"
    label = "doubles"
    verbose_name = "Local doubles"
