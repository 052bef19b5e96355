"""The beat entry of the ack-only drainer: every 30 s, critical queue (a no-op with no work)."""

from typing import Any

from django.db import migrations
from django.utils import timezone

NAME = "runbooks-webhook-ack-only-drain"
TASK = "runbooks.webhook_ack_only_drain"


def install(apps: Any, schema_editor: Any) -> None:
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    changes_model = apps.get_model("django_celery_beat", "PeriodicTasks")
    every = interval_model.objects.filter(every=30, period="seconds").first()
    if every is None:
        every = interval_model.objects.create(every=30, period="seconds")
    task_model.objects.get_or_create(
        name=NAME,
        defaults={"task": TASK, "interval": every, "queue": "critical", "enabled": True},
    )
    # DatabaseScheduler reloads its schedule when this timestamp moves.
    changes_model.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def uninstall(apps: Any, schema_editor: Any) -> None:
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("runbooks", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
