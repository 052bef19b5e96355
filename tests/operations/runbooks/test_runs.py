"""Recording runs: who, when, output; linked to the open incident naming the runbook; the
command's exit codes and usage errors; the read-only admin."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from compliance.registry import registry_gaps
from core.metrics import metric_count
from operations.incidents.models import EventKind, Incident
from operations.incidents.services import incident_fire, incident_resolve
from operations.runbooks.models import RunbookRun
from operations.runbooks.registry import (
    OAUTH_REFRESH_FAILURES,
    RATE_LIMIT_EXCEEDED,
    Options,
    Outcome,
)
from operations.runbooks.services import runbook_run
from tests.support.processes import child_environment

pytestmark = pytest.mark.django_db


def fire(key: str, runbook: str) -> Incident:
    return incident_fire(
        key=key, title=f"{runbook} fired", priority="P2", details={}, runbook=runbook
    )


def test_a_run_is_recorded_and_linked_to_the_open_incident_of_its_runbook():
    metric_count("ml_api_calls", {"status": "2xx", "tenant": "tenant-a", "endpoint": "/x"}, 10)
    resolved = fire("rate_limit_exceeded:old", RATE_LIMIT_EXCEEDED)
    incident_resolve(incident=resolved, by="ops@peepers.com.br", note="done")
    other = fire("oauth:global", OAUTH_REFRESH_FAILURES)
    current = fire("rate_limit_exceeded:global", RATE_LIMIT_EXCEEDED)

    ran = runbook_run(
        name=RATE_LIMIT_EXCEEDED, action="validate", options=Options(), by="ops@peepers.com.br"
    )

    run = RunbookRun.objects.get()
    assert ran.run == run
    assert (run.runbook, run.action, run.started_by, run.outcome) == (
        RATE_LIMIT_EXCEEDED,
        "validate",
        "ops@peepers.com.br",
        "ok",
    )
    assert run.started_at <= run.finished_at
    assert "0.0% of 10 calls" in run.output
    assert run.data["by_status"] == {"2xx": 10.0}
    assert run.incident == current
    note = current.events.get(kind=EventKind.NOTE)
    assert note.actor == "ops@peepers.com.br"
    assert note.message.startswith(f"runbook rate-limit-exceeded validate: ok (run #{run.pk})")
    assert not other.events.filter(kind=EventKind.NOTE).exists()
    assert not resolved.events.filter(kind=EventKind.NOTE).exists()


def test_without_an_open_incident_the_run_stands_alone():
    runbook_run(name=RATE_LIMIT_EXCEEDED, action="validate", options=Options(), by="me")

    assert RunbookRun.objects.get().incident is None


def test_command_exit_code_is_2_when_there_is_no_data(capsys):
    with pytest.raises(SystemExit) as exited:
        call_command("runbook", RATE_LIMIT_EXCEEDED, "validate", "--by", "cli-user")

    assert exited.value.code == 2
    out = capsys.readouterr().out
    assert "== Rate Limit Exceeded (ML API) [P2] validate" in out
    assert "no data" in out
    assert RunbookRun.objects.get().started_by == "cli-user"


def test_command_exit_code_is_1_when_failed():
    metric_count("ml_api_calls", {"status": "429", "tenant": "tenant-a", "endpoint": "/x"}, 10)

    with pytest.raises(SystemExit) as exited:
        call_command("runbook", RATE_LIMIT_EXCEEDED, "validate")

    assert exited.value.code == 1
    assert RunbookRun.objects.get().outcome == Outcome.FAILED


def test_command_exit_code_is_0_when_ok(capsys):
    metric_count("ml_api_calls", {"status": "2xx", "tenant": "tenant-a", "endpoint": "/x"}, 10)

    call_command("runbook", RATE_LIMIT_EXCEEDED, "validate")

    assert "Verdict: OK" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nope", "diagnose"], "unknown runbook 'nope'; valid: webhook-outage, oauth-refresh"),
        (["webhook-outage", "fix"], "unknown action 'fix'; valid: diagnose, mitigate, validate"),
        (["webhook-outage"], "usage: runbook NAME {diagnose,mitigate,validate}"),
        (["webhook-outage", "diagnose", "--minutes", "0"], "--minutes and --last"),
    ],
)
def test_bad_usage_is_refused_with_the_valid_choices(argv, message):
    with pytest.raises(CommandError, match=message.replace("{", r"\{").replace("}", r"\}")):
        call_command("runbook", *argv)
    assert not RunbookRun.objects.exists()


def test_list_shows_every_runbook(capsys):
    call_command("runbook", "--list")

    out = capsys.readouterr().out
    for name in (
        "webhook-outage ",
        "oauth-refresh-failures ",
        "rate-limit-exceeded ",
        "ml-api-down ",
    ):
        assert name in out


@pytest.mark.usefixtures("committed_db")
def test_the_process_exit_codes_and_the_os_user():
    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", "runbook", *argv],
            cwd=settings.BASE_DIR,
            env=child_environment(),
            capture_output=True,
            text=True,
            timeout=120,
        )

    unknown = run(RATE_LIMIT_EXCEEDED, "validate")
    bad = run("nope", "validate")

    assert unknown.returncode == 2, unknown.stderr
    assert bad.returncode == 64
    assert "valid: webhook-outage, oauth-refresh-failures, rate-limit-exceeded" in bad.stderr
    assert RunbookRun.objects.get().started_by not in ("", "celery")


def test_admin_lists_and_shows_runs_and_the_incident_shows_its_runs(staff_client):
    incident = fire("rate_limit_exceeded:global", RATE_LIMIT_EXCEEDED)
    ran = runbook_run(name=RATE_LIMIT_EXCEEDED, action="validate", options=Options(), by="me")
    assert ran.run is not None

    run_url = f"/admin/runbooks/runbookrun/{ran.run.pk}/change/"
    incident_url = f"/admin/incidents/incident/{incident.pk}/change/"
    listing = staff_client.get("/admin/runbooks/runbookrun/?outcome__exact=unknown")
    detail = staff_client.get(run_url)
    incident_page = staff_client.get(incident_url)

    assert listing.status_code == 200
    assert RATE_LIMIT_EXCEEDED in listing.content.decode()
    assert detail.status_code == 200
    assert "no data" in detail.content.decode()
    assert incident_url in detail.content.decode()
    assert incident_page.status_code == 200
    assert run_url in incident_page.content.decode()
    assert staff_client.get("/admin/runbooks/runbookrun/add/").status_code == 403


def test_runbook_runs_are_declared_in_the_personal_data_registry():
    assert registry_gaps([RunbookRun]) == []
