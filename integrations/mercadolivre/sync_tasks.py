"""Celery tasks of the sync (initial and incremental)."""
