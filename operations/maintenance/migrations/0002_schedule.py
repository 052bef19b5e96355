"""Beat entries of the scheduled maintenance, one per runbook line, plus the watchdog.

Created once by name (an entry that exists is left as staff re-timed it; the three
``backups-*`` entries beat used to install from settings are adopted as they are). Crontabs are
in ``CELERY_TIMEZONE`` (UTC). The reverse deletes these entries and the schedules left unused.
"""

from django.conf import settings
from django.db import migrations
from django.utils import timezone

# name, task, crontab (minute, hour, day_of_week, day_of_month, month_of_year) or seconds, job
ENTRIES = [
    ("backups-daily", "backups.daily", ("30", "3", "*", "*", "*"), "backup_daily"),
    (
        "maintenance-cleanup-cache",
        "maintenance.cleanup_cache",
        ("50", "3", "*", "*", "*"),
        "cleanup_cache",
    ),
    (
        "maintenance-process-analytics",
        "maintenance.process_analytics",
        ("20", "0", "*", "*", "*"),
        "process_analytics",
    ),
    ("backups-weekly-full", "backups.full", ("30", "4", "0", "*", "*"), "backup_full"),
    (
        "maintenance-analyze-query-performance",
        "maintenance.analyze_query_performance",
        ("10", "6", "0", "*", "*"),
        "analyze_query_performance",
    ),
    (
        "maintenance-security-audit",
        "maintenance.security_audit",
        ("0", "6", "1", "*", "*"),
        "security_audit",
    ),
    ("maintenance-archive", "maintenance.archive", ("10", "2", "*", "2", "*"), "archive"),
    (
        "maintenance-compliance-report",
        "maintenance.compliance_report",
        ("30", "6", "*", "1", "*"),
        "compliance_report",
    ),
    (
        "maintenance-capacity-analyze",
        "maintenance.capacity_analyze",
        ("0", "7", "*", "1", "*"),
        "capacity_analyze",
    ),
    ("backups-restore-drill", "backups.restore_drill", ("30", "5", "*", "1", "*"), "restore_drill"),
    (
        "maintenance-key-rotation-reminder",
        "maintenance.key_rotation_reminder",
        ("0", "9", "*", "1", "1,4,7,10"),
        "key_rotation_reminder",
    ),
    ("maintenance-watchdog", "maintenance.watchdog", 600, None),
]
DESCRIPTION = "Scheduled maintenance (docs/operations-maintenance.md). Re-time or disable here."


def schedule_install(apps, schema_editor):
    crontab_model = apps.get_model("django_celery_beat", "CrontabSchedule")
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    job_model = apps.get_model("maintenance", "MaintenanceJob")
    zone = getattr(settings, "CELERY_TIMEZONE", None) or "UTC"
    now = timezone.now()
    for name, task, when, job in ENTRIES:
        if job is not None:
            job_model.objects.get_or_create(name=job, defaults={"watched_since": now})
        if task_model.objects.filter(name=name).exists():
            continue
        schedule = {}
        if isinstance(when, int):
            schedule["interval"] = interval_model.objects.filter(
                every=when, period="seconds"
            ).first() or interval_model.objects.create(every=when, period="seconds")
        else:
            minute, hour, day_of_week, day_of_month, month_of_year = when
            fields = {
                "minute": minute,
                "hour": hour,
                "day_of_week": day_of_week,
                "day_of_month": day_of_month,
                "month_of_year": month_of_year,
                "timezone": zone,
            }
            schedule["crontab"] = crontab_model.objects.filter(
                **fields
            ).first() or crontab_model.objects.create(**fields)
        task_model.objects.get_or_create(
            name=name, defaults={"task": task, "description": DESCRIPTION, **schedule}
        )
    _tell_beat(apps, now)


def _tell_beat(apps, now):
    # A running DatabaseScheduler reloads its entries when this timestamp moves.
    changes = apps.get_model("django_celery_beat", "PeriodicTasks")
    changes.objects.update_or_create(ident=1, defaults={"last_update": now})


def schedule_remove(apps, schema_editor):
    crontab_model = apps.get_model("django_celery_beat", "CrontabSchedule")
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    job_model = apps.get_model("maintenance", "MaintenanceJob")
    entries = task_model.objects.filter(name__in=[name for name, *_rest in ENTRIES])
    crontabs = set(entries.exclude(crontab=None).values_list("crontab_id", flat=True))
    intervals = set(entries.exclude(interval=None).values_list("interval_id", flat=True))
    entries.delete()
    crontab_model.objects.filter(pk__in=crontabs, periodictask=None).delete()
    interval_model.objects.filter(pk__in=intervals, periodictask=None).delete()
    job_model.objects.filter(name__in=[job for *_rest, job in ENTRIES if job]).delete()
    _tell_beat(apps, timezone.now())


class Migration(migrations.Migration):
    dependencies = [
        ("maintenance", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule_install, schedule_remove)]
