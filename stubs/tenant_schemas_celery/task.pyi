from typing import Any

from celery import Task

class TenantTask(Task[Any, Any]): ...
