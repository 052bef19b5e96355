"""Peepers: the project package (settings, URLconfs, Celery app, embedded services)."""

from peepers.celery import app as celery_app

__all__ = ["celery_app"]
