"""Celery tasks of the Mercado Livre integration (autodiscovered from here)."""

from integrations.mercadolivre.notifications import ml_reconnect_email
from integrations.mercadolivre.sync_tasks import *  # noqa: F403 - registers the sync tasks
from integrations.mercadolivre.webhook_tasks import *  # noqa: F403 - registers the inbox tasks

__all__ = ["ml_reconnect_email"]
