"""``security_audit``: pip-audit of the lock's pins for this interpreter, ``check --deploy``,
secrets' age. Exit 0 when every check passed, 1 on findings, 3 when nothing was found but a
check could not be made (e.g. the vulnerability service could not be reached)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.core.management.base import CommandError, CommandParser

from operations.maintenance.commandline import JobCommand
from operations.maintenance.dependencies import SERVICES, SEVERITIES
from operations.maintenance.models import MaintenanceRun, Outcome
from operations.maintenance.security import CHECKS

MARK = {"pass": "PASS", "fail": "FAIL", "unknown": "  ? "}
EXIT_FINDINGS = 1
# Distinct from findings (1) and from usage errors (2): the audit could not be made.
EXIT_UNKNOWN = 3


class Command(JobCommand):
    help = (
        "Audit dependencies (pip-audit), check --deploy and secret ages; exit 0 when all pass, "
        f"{EXIT_FINDINGS} on findings, {EXIT_UNKNOWN} when a check could not be made."
    )
    job = "security_audit"

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--only",
            action="append",
            choices=CHECKS,
            help="Run only this check (repeatable); the others are reported as not run.",
        )
        parser.add_argument(
            "--service",
            choices=sorted(SERVICES),
            default="pypi",
            help="pip-audit's vulnerability service (default: pypi).",
        )
        parser.add_argument("--osv-url", help="OSV query endpoint (with --service osv).")
        parser.add_argument("--lock", help="Lock file to scan (default: the project's uv.lock).")

    def job_options(self, options: Mapping[str, Any]) -> dict[str, Any]:
        osv_url = options.get("osv_url")
        if osv_url:
            if options["service"] != "osv":
                raise CommandError("--osv-url needs --service osv", returncode=2)
            if urlsplit(osv_url).scheme not in ("http", "https"):
                raise CommandError("--osv-url must be an http(s) URL", returncode=2)
        lock = options.get("lock")
        if lock and not Path(lock).is_file():
            raise CommandError(f"--lock {lock}: no such file", returncode=2)
        return {
            "service": options["service"],
            "osv_url": osv_url,
            "lock": Path(lock) if lock else None,
            "checks": options.get("only") or list(CHECKS),
        }

    def finish(self, run: MaintenanceRun) -> None:
        if run.outcome == Outcome.SUCCEEDED:
            return
        if run.summary.get("status") == "unknown":
            raise CommandError(f"{self.job} unknown: {run.error}", returncode=EXIT_UNKNOWN)
        raise CommandError(f"{self.job} failed: {run.error}", returncode=EXIT_FINDINGS)

    def render(self, summary: Mapping[str, Any]) -> list[str]:
        lines = [f"overall: {summary.get('status')}"]
        if "vulnerabilities" in summary:
            lines += _dependency_lines(summary["vulnerabilities"])
        if "deploy_checks" in summary:
            deploy = summary["deploy_checks"]
            lines.append(
                f"[{'FAIL' if deploy else 'PASS'}] check --deploy: {len(deploy)} finding(s)"
            )
            lines += [f"    {d['id']} ({d['level']}): {d['message'][:160]}" for d in deploy]
        for key in summary.get("keys", []):
            age = "never recorded" if key["age_days"] is None else f"{key['age_days']} days"
            lines.append(f"[{'FAIL' if key['due'] else 'PASS'}] {key['name']} rotated: {age}")
        lines += [f"[ -- ] {name}: not run" for name in summary.get("not_run", [])]
        return lines


def _dependency_lines(vulns: Mapping[str, Any]) -> list[str]:
    status = vulns.get("status", "unknown")
    where = f"{vulns.get('lock')}, {vulns.get('packages', 0)} pins, {vulns.get('service')}"
    if status == "pass":
        detail = f"no known vulnerabilities in {vulns.get('audited')} audited packages"
    elif status == "fail":
        counts = ", ".join(f"{n} {level}" for level, n in vulns.get("by_severity", {}).items())
        detail = f"{len(vulns.get('vulnerable', []))} vulnerable package(s) ({counts})"
    else:
        detail = f"unknown: {vulns.get('reason')}"
    lines = [f"[{MARK.get(status, status)}] dependencies ({where}): {detail}"]
    findings = [(dep, vuln) for dep in vulns.get("vulnerable", []) for vuln in dep["vulns"]]
    # Worst first: critical, high, moderate, low, then the ones the service did not rate.
    findings.sort(key=lambda found: SEVERITIES.index(found[1]["severity"]))
    for dep, vuln in findings:
        aliases = f" ({', '.join(vuln['aliases'])})" if vuln.get("aliases") else ""
        fix = ", ".join(vuln["fix_versions"]) or "no fixed version"
        lines.append(
            f"    {vuln['severity']:>8}  {dep['name']} {dep['version']}: "
            f"{vuln['id']}{aliases}; fixed in {fix}"
        )
    if status == "fail" and vulns.get("skipped"):
        lines.append(f"    not audited: {vulns.get('reason')}")
    if any(v["severity"] == "unrated" for d in vulns.get("vulnerable", []) for v in d["vulns"]):
        lines.append(
            "    unrated: the service gave no severity (pip-audit's PyPI service never does)"
        )
    return lines
