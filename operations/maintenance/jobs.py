"""The maintenance jobs, one per line of the runbook's "Database Maintenance" section.

Each job names its Celery task, its beat entry (created by migration 0002, re-timed in admin),
the longest gap its default schedule leaves between two runs, how late it may be before the
watchdog calls it missed, and the priority of the incident a failure opens.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from compliance.reports import compliance_report_create
from operations.backups.models import RestoreOutcome
from operations.backups.restores import restore_drill
from operations.backups.services import backup_create, backup_prune
from operations.maintenance.analytics import analytics_process
from operations.maintenance.archive import archive_old_rows
from operations.maintenance.cache import cache_cleanup
from operations.maintenance.capacity import capacity_analyze
from operations.maintenance.errors import MaintenanceJobFailed, UnknownJob
from operations.maintenance.queries import query_performance_analyze
from operations.maintenance.security import CHECKS, key_rotation_remind, security_audit

Summary = dict[str, Any]
JobRun = Callable[..., Summary]  # (*, now: datetime, by: str, options: Mapping) -> Summary

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Job:
    name: str
    title: str
    task: str
    entry: str  # the django-celery-beat PeriodicTask name
    schedule: str  # the default schedule, in words
    longest_gap: timedelta  # between two runs on the default schedule
    grace: timedelta
    priority: str  # of the incident a failed or missed run opens
    time_limit_seconds: int
    run: JobRun
    # Who a run of the task records as ``by`` when the sender names no one.
    sender: str = "beat"

    @property
    def default_by(self) -> str:
        return f"{self.sender}:{self.task}"

    @property
    def failed_key(self) -> str:
        return f"maintenance-failed:{self.name}"

    @property
    def missed_key(self) -> str:
        return f"maintenance-missed:{self.name}"


def _backup(kind: str) -> JobRun:
    def run(*, now: datetime, by: str, options: Mapping[str, Any]) -> Summary:
        backup = backup_create(kind="full" if kind == "full" else "daily", by=by)
        pruned = backup_prune()
        return {"backup_id": backup.pk, "size_bytes": backup.size_bytes, "pruned": len(pruned)}

    return run


def _restore_drill(*, now: datetime, by: str, options: Mapping[str, Any]) -> Summary:
    restore = restore_drill(by=by)
    summary: Summary = {
        "restore_id": restore.pk,
        "backup_id": restore.backup_id,
        "outcome": restore.outcome,
        "tables_checked": restore.tables_checked,
    }
    if restore.outcome != RestoreOutcome.VERIFIED:
        summary["diff"] = restore.diff
        raise MaintenanceJobFailed(
            f"restore drill {restore.pk} {restore.outcome}: {restore.error or restore.diff}",
            summary=summary,
        )
    return summary


def _cleanup_cache(*, now: datetime, by: str, options: Mapping[str, Any]) -> Summary:

    return cache_cleanup(dry_run=bool(options.get("dry_run", False))).as_dict()


def _process_analytics(*, now: datetime, by: str, options: Mapping[str, Any]) -> Summary:

    snapshot = analytics_process(day=options.get("day"), now=now)
    return {
        "day": snapshot.day.isoformat(),
        "tenants_total": snapshot.tenants_total,
        "mrr_cents": snapshot.mrr_cents,
        "arr_cents": snapshot.arr_cents,
        "past_due_mrr_cents": snapshot.past_due_mrr_cents,
        "ml_api_calls": snapshot.ml_api_calls,
    }


def _analyze_queries(*, now: datetime, by: str, options: Mapping[str, Any]) -> Summary:

    return query_performance_analyze(limit=int(options.get("limit", 20)))


def _security_audit(*, now: datetime, by: str, options: Mapping[str, Any]) -> Summary:

    report = security_audit(
        now=now,
        pip_audit_env=options.get("pip_audit_env"),
        service=options.get("service") or "pypi",
        osv_url=options.get("osv_url"),
        lock=options.get("lock"),
        checks_run=options.get("checks") or CHECKS,
    )
    if report["status"] != "pass":
        raise MaintenanceJobFailed(
            f"security audit: {report['status']} ({'; '.join(report['problems'])})",
            summary=report,
        )
    return report


def _archive(*, now: datetime, by: str, options: Mapping[str, Any]) -> Summary:

    return archive_old_rows(now=now, dry_run=False)


def _compliance_report(*, now: datetime, by: str, options: Mapping[str, Any]) -> Summary:

    files = compliance_report_create(by=by)
    report = files.report
    summary: Summary = {
        "report_id": report.pk,
        "passed": report.passed,
        "failed": report.failed,
        "unknown": report.unknown,
        "json": str(files.json_path),
        "html": str(files.html_path),
    }
    return summary


def _capacity_analyze(*, now: datetime, by: str, options: Mapping[str, Any]) -> Summary:

    return capacity_analyze(now=now)


def _key_rotation_reminder(*, now: datetime, by: str, options: Mapping[str, Any]) -> Summary:

    return key_rotation_remind(now=now)


_JOBS = [
    Job(
        "backup_daily",
        "Daily backup",
        "backups.daily",
        "backups-daily",
        "daily 03:30",
        DAY,
        timedelta(hours=6),
        "P1",
        3 * 3600,
        _backup("daily"),
        sender="celery",
    ),
    Job(
        "cleanup_cache",
        "Cache clean-up",
        "maintenance.cleanup_cache",
        "maintenance-cleanup-cache",
        "daily 03:50",
        DAY,
        timedelta(hours=6),
        "P2",
        1800,
        _cleanup_cache,
    ),
    Job(
        "process_analytics",
        "Daily analytics",
        "maintenance.process_analytics",
        "maintenance-process-analytics",
        "daily 00:20 (the day before)",
        DAY,
        timedelta(hours=6),
        "P2",
        1800,
        _process_analytics,
    ),
    Job(
        "backup_full",
        "Weekly full backup",
        "backups.full",
        "backups-weekly-full",
        "Sunday 04:30",
        7 * DAY,
        timedelta(hours=12),
        "P1",
        6 * 3600,
        _backup("full"),
        sender="celery",
    ),
    Job(
        "analyze_query_performance",
        "Query performance analysis",
        "maintenance.analyze_query_performance",
        "maintenance-analyze-query-performance",
        "Sunday 06:10",
        7 * DAY,
        timedelta(hours=12),
        "P2",
        900,
        _analyze_queries,
    ),
    Job(
        "security_audit",
        "Security audit",
        "maintenance.security_audit",
        "maintenance-security-audit",
        "daily 06:00",
        DAY,
        timedelta(hours=12),
        "P2",
        1800,
        _security_audit,
    ),
    Job(
        "archive",
        "Monthly archive",
        "maintenance.archive",
        "maintenance-archive",
        "2nd of the month 02:10",
        31 * DAY,
        DAY,
        "P2",
        6 * 3600,
        _archive,
    ),
    Job(
        "compliance_report",
        "Compliance report",
        "maintenance.compliance_report",
        "maintenance-compliance-report",
        "1st of the month 06:30",
        31 * DAY,
        DAY,
        "P2",
        1800,
        _compliance_report,
    ),
    Job(
        "capacity_analyze",
        "Capacity analysis",
        "maintenance.capacity_analyze",
        "maintenance-capacity-analyze",
        "1st of the month 07:00",
        31 * DAY,
        DAY,
        "P2",
        1800,
        _capacity_analyze,
    ),
    Job(
        "restore_drill",
        "Backup restore drill",
        "backups.restore_drill",
        "backups-restore-drill",
        "1st of the month 05:30",
        31 * DAY,
        DAY,
        "P1",
        6 * 3600,
        _restore_drill,
        sender="celery",
    ),
    Job(
        "key_rotation_reminder",
        "Key rotation reminder",
        "maintenance.key_rotation_reminder",
        "maintenance-key-rotation-reminder",
        "1 January, April, July, October 09:00",
        92 * DAY,
        2 * DAY,
        "P3",
        300,
        _key_rotation_reminder,
    ),
]

JOBS: dict[str, Job] = {job.name: job for job in _JOBS}
WATCHDOG_TASK = "maintenance.watchdog"
WATCHDOG_ENTRY = "maintenance-watchdog"
WATCHDOG_SECONDS = 600


def job_get(name: str) -> Job:
    try:
        return JOBS[name]
    except KeyError:
        raise UnknownJob(f"no maintenance job {name!r}; known: {', '.join(JOBS)}") from None
