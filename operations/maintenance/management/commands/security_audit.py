"""``security_audit``: pip-audit of the lock file, ``check --deploy``, secrets' age."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from operations.maintenance.commandline import JobCommand

MARK = {"pass": "PASS", "fail": "FAIL", "unknown": "  ? "}


class Command(JobCommand):
    help = "Audit dependencies (pip-audit), check --deploy and secret ages; exit 1 unless all pass."
    job = "security_audit"

    def render(self, summary: Mapping[str, Any]) -> list[str]:
        vulns = summary.get("vulnerabilities", {})
        lines = [f"overall: {summary.get('status')}"]
        status = vulns.get("status", "unknown")
        detail = vulns.get("reason") or f"{len(vulns.get('vulnerable', []))} vulnerable"
        lines.append(f"[{MARK.get(status, status)}] dependencies ({vulns.get('lock')}): {detail}")
        for dep in vulns.get("vulnerable", []):
            ids = ", ".join(v["id"] for v in dep["vulns"])
            lines.append(f"    {dep['name']} {dep['version']}: {ids}")
        deploy = summary.get("deploy_checks", [])
        lines.append(f"[{'FAIL' if deploy else 'PASS'}] check --deploy: {len(deploy)} finding(s)")
        lines += [f"    {d['id']} ({d['level']}): {d['message'][:160]}" for d in deploy]
        for key in summary.get("keys", []):
            age = "never recorded" if key["age_days"] is None else f"{key['age_days']} days"
            lines.append(f"[{'FAIL' if key['due'] else 'PASS'}] {key['name']} rotated: {age}")
        return lines
