"""Admin: maintenance runs and daily snapshots are read-only records; each job has "Run now".

Schedules themselves are re-timed, enabled or disabled under Periodic tasks
(django-celery-beat), by the beat entry names shown on the runs page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_POST
from django_celery_beat.models import PeriodicTask

# Imported so the tasks "Run now" sends by name are registered in this process.
import operations.backups.tasks
import operations.maintenance.tasks  # noqa: F401
from core.money import brl
from core.tasks import celery_app, enqueue_on_commit
from operations.maintenance.errors import UnknownJob
from operations.maintenance.jobs import JOBS, job_get
from operations.maintenance.models import DailySnapshot, MaintenanceRun
from operations.maintenance.services import last_runs

app = celery_app()


class _ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(MaintenanceRun)
class MaintenanceRunAdmin(_ReadOnly):
    list_display = ["job", "outcome", "started_at", "duration_display", "triggered_by"]
    list_filter = ["job", "outcome"]
    search_fields = ["job", "error", "triggered_by"]
    date_hierarchy = "started_at"
    fields = [
        "job",
        "task",
        "outcome",
        "started_at",
        "finished_at",
        "triggered_by",
        "error",
        "summary",
    ]

    @admin.display(description="duration")
    def duration_display(self, obj: MaintenanceRun) -> str:
        duration = obj.duration
        return "-" if duration is None else str(duration).split(".")[0]

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "run-now/<str:job>/",
                self.admin_site.admin_view(require_POST(self.run_now_view)),
                name="maintenance_run_now",
            ),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        latest = last_runs()
        entries = {
            task.name: task
            for task in PeriodicTask.objects.filter(name__in=[job.entry for job in JOBS.values()])
        }
        jobs = [
            {
                "job": job,
                "entry": entries.get(job.entry),
                "last": latest.get(job.name),
                "run_url": reverse("admin:maintenance_run_now", args=[job.name]),
            }
            for job in JOBS.values()
        ]
        return super().changelist_view(request, {**(extra_context or {}), "maintenance_jobs": jobs})

    def run_now_view(self, request: HttpRequest, job: str) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            spec = job_get(job)
        except UnknownJob as exc:
            raise PermissionDenied(str(exc)) from exc
        by = f"admin:{getattr(request.user, 'email', '') or request.user.get_username()}"
        enqueue_on_commit(app.tasks[spec.task], kwargs={"by": by})
        self.message_user(
            request, f"{spec.title}: queued ({spec.task}); its run appears below.", messages.SUCCESS
        )
        return HttpResponseRedirect(reverse("admin:maintenance_maintenancerun_changelist"))


@admin.register(DailySnapshot)
class DailySnapshotAdmin(_ReadOnly):
    list_display = [
        "day",
        "tenants_total",
        "mrr_reais",
        "arr_reais",
        "past_due_reais",
        "ml_api_calls",
        "stores_ml_connected",
        "ml_accounts",
        "schema_count",
        "database_bytes",
    ]
    date_hierarchy = "day"

    @admin.display(description="ML accounts")
    def ml_accounts(self, obj: DailySnapshot) -> int:
        return sum((obj.ml_accounts_by_status or {}).values())

    @admin.display(description="MRR")
    def mrr_reais(self, obj: DailySnapshot) -> str:
        return brl(obj.mrr_cents)

    @admin.display(description="ARR")
    def arr_reais(self, obj: DailySnapshot) -> str:
        return brl(obj.arr_cents)

    @admin.display(description="past due")
    def past_due_reais(self, obj: DailySnapshot) -> str:
        return brl(obj.past_due_mrr_cents)
