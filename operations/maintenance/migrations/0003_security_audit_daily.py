"""The security audit runs daily (the runbook's "Daily security scan"), not weekly.

Only an entry still on the old default (Monday 06:00) is moved to every day at 06:00; one staff
re-timed is left as it is. The reverse puts the default back the same way.
"""

from django.conf import settings
from django.db import migrations
from django.utils import timezone

ENTRY = "maintenance-security-audit"
WEEKLY = ("0", "6", "1", "*", "*")
DAILY = ("0", "6", "*", "*", "*")


def _move(apps, source, target):
    crontab_model = apps.get_model("django_celery_beat", "CrontabSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    zone = getattr(settings, "CELERY_TIMEZONE", None) or "UTC"
    names = ("minute", "hour", "day_of_week", "day_of_month", "month_of_year")
    entry = task_model.objects.filter(name=ENTRY).select_related("crontab").first()
    if entry is None or entry.crontab is None:
        return
    if tuple(getattr(entry.crontab, name) for name in names) != source:
        return
    fields = {**dict(zip(names, target, strict=True)), "timezone": zone}
    entry.crontab = crontab_model.objects.filter(**fields).first() or crontab_model.objects.create(
        **fields
    )
    entry.save(update_fields=["crontab"])
    # A running DatabaseScheduler reloads its entries when this timestamp moves.
    apps.get_model("django_celery_beat", "PeriodicTasks").objects.update_or_create(
        ident=1, defaults={"last_update": timezone.now()}
    )


def to_daily(apps, schema_editor):
    _move(apps, WEEKLY, DAILY)


def to_weekly(apps, schema_editor):
    _move(apps, DAILY, WEEKLY)


class Migration(migrations.Migration):
    dependencies = [("maintenance", "0002_schedule")]

    operations = [migrations.RunPython(to_daily, to_weekly)]
