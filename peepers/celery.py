"""The Celery app. Tasks run in the schema of the tenant they were sent for.

tenant-schemas-celery carries the schema in a task header and switches to it in the worker.
"""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peepers.settings")

app = CeleryApp("peepers")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
