"""analyze_query_performance on the embedded server; security_audit never passes blind."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from operations.incidents.models import Incident
from operations.maintenance.dependencies import (
    dependency_vulnerabilities,
    lock_requirements,
    pip_audit_program,
)
from operations.maintenance.models import Outcome
from operations.maintenance.queries import query_performance_analyze
from operations.maintenance.security import (
    ROTATION_PERIOD,
    key_ages,
    key_rotation_record,
    key_rotation_remind,
    security_audit,
)
from operations.maintenance.services import maintenance_run

pytestmark = pytest.mark.django_db


def test_query_analysis_reports_findings_on_the_embedded_database() -> None:
    report = query_performance_analyze(limit=10)

    assert report["pg_stat_statements"]  # installed, or why it is not
    assert report["table_scans"], "pg_stat_user_tables is always there"
    assert report["findings"]
    assert {f["kind"] for f in report["findings"]} <= {
        "slow_statement",
        "missing_index",
        "unused_index",
    }


def _offline(closed_port: int) -> dict[str, str]:
    """This environment with every HTTP(S) request sent to a port nobody listens on."""
    proxy = f"http://127.0.0.1:{closed_port}"
    env = {k: v for k, v in os.environ.items() if k.lower() != "no_proxy"}
    return {
        **env,
        "HTTPS_PROXY": proxy,
        "HTTP_PROXY": proxy,
        "https_proxy": proxy,
        "http_proxy": proxy,
    }


def test_unreachable_vulnerability_service_is_unknown_not_a_pass(closed_port: int) -> None:
    result = dependency_vulnerabilities(env=_offline(closed_port))

    assert result["status"] == "unknown"
    if pip_audit_program() is None:
        assert result["reason"] == "pip-audit is not installed"
    else:
        assert result["reason"].startswith("could not reach PyPI's JSON API")


def test_the_audit_as_a_whole_is_not_a_pass_when_a_check_could_not_be_made(
    closed_port: int,
) -> None:
    report = security_audit(pip_audit_env=_offline(closed_port))

    assert report["status"] != "pass"
    assert any(p.startswith("vulnerabilities unknown") for p in report["problems"])


def test_a_failed_audit_run_opens_an_incident(closed_port: int) -> None:
    run = maintenance_run(
        job="security_audit", by="test", options={"pip_audit_env": _offline(closed_port)}
    )

    assert run.outcome == Outcome.FAILED
    assert run.summary["vulnerabilities"]["status"] == "unknown"
    assert Incident.objects.get(key="maintenance-failed:security_audit").priority == "P2"


def test_the_lock_file_gives_pinned_registry_packages_only(settings: Any) -> None:
    pins = lock_requirements(settings.BASE_DIR / "uv.lock")

    assert any(pin.startswith("django==") for pin in pins)
    assert all("==" in pin for pin in pins)
    assert not any(pin.startswith("peepers==") for pin in pins)


def test_a_secret_is_due_when_its_last_rotation_is_older_than_the_period() -> None:
    key_rotation_record(key="ML_CLIENT_SECRET", by="oncall@peepers.test")
    now = timezone.now()

    def due(at: Any) -> bool:
        return next(k for k in key_ages(now=at) if k.name == "ML_CLIENT_SECRET").due

    assert not due(now + ROTATION_PERIOD - timedelta(minutes=1))
    assert due(now + ROTATION_PERIOD + timedelta(minutes=1))


def test_a_secret_never_recorded_as_rotated_is_due_and_the_reminder_names_it() -> None:
    summary = key_rotation_remind(now=timezone.now())

    assert "SECRET_KEY" in summary["due"]
    incident = Incident.objects.get(key="key-rotation-due")
    assert incident.priority == "P3"
    assert "SECRET_KEY" in incident.title
