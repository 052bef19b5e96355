"""Counting what the alert rules read and nothing else records: Celery task outcomes and
database connection errors in requests."""

from __future__ import annotations

import sys
from typing import Any

from celery.signals import task_failure, task_retry, task_success
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.dispatch import receiver

from core.metrics import metric_count


def _name(sender: Any) -> str:
    return str(getattr(sender, "name", None) or sender)


@task_success.connect
def _task_succeeded(sender: Any = None, **kwargs: Any) -> None:
    metric_count("celery_tasks", {"task": _name(sender), "outcome": "success"})


@task_failure.connect
def _task_failed(sender: Any = None, **kwargs: Any) -> None:
    metric_count("celery_tasks", {"task": _name(sender), "outcome": "failure"})


@task_retry.connect
def _task_retried(sender: Any = None, **kwargs: Any) -> None:
    metric_count("celery_tasks", {"task": _name(sender), "outcome": "retry"})


@receiver(got_request_exception)
def _request_failed(sender: Any, **kwargs: Any) -> None:
    error = sys.exc_info()[1]
    if isinstance(error, (OperationalError, InterfaceError)):
        metric_count("db_connection_errors", {"where": "request"})
