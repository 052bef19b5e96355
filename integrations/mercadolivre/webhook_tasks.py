"""Celery tasks of the notification inbox."""
