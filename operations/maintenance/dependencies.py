"""Known vulnerabilities in the dependencies this interpreter runs: the pins of ``uv.lock`` that
``uv sync`` installs here (edges and per-Python splits resolved by their markers), audited by
pip-audit.

``pass`` only when the service answered for every pin; a pin it skipped, or a service it could
not reach, makes the scan ``unknown`` with the reason ("could not reach …"), never a pass.
Severity: pip-audit's JSON carries ids, aliases and fix versions but no severity; with the OSV
service each finding's severity is read from OSV's record of it, otherwise it is ``unrated``.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import tomllib
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from packaging.markers import InvalidMarker, Marker

from operations.maintenance.errors import InvalidArgument

PIP_AUDIT_TIMEOUT_SECONDS = 600
# Seconds pip-audit waits on one request to the service before calling it unreachable.
SERVICE_TIMEOUT_SECONDS = 15
SERVICES = {
    "pypi": "PyPI's JSON API (https://pypi.org/pypi)",
    "osv": "OSV",
}
DEFAULT_OSV_URL = "https://api.osv.dev/v1/query"
# GHSA's words for severity (OSV ``database_specific.severity``), worst first.
SEVERITIES = ("critical", "high", "moderate", "low", "unrated")


def lock_file() -> Path | None:
    """The dependency lock: ``uv.lock``, else a ``requirements*.txt`` beside manage.py."""
    base = Path(settings.BASE_DIR)
    if (base / "uv.lock").exists():
        return base / "uv.lock"
    found = sorted(base.glob("requirements*.txt"))
    return found[0] if found else None


def _holds_here(marker: str | None, *, where: str) -> bool:
    if not marker:
        return True
    try:
        return Marker(marker).evaluate({"extra": ""})
    except InvalidMarker as exc:
        raise InvalidArgument(f"uv.lock: {where}: bad marker {marker!r}: {exc}") from exc


def _applies_here(package: Mapping[str, Any]) -> bool:
    """A package the lock resolved for some Pythons only (``resolution-markers``) applies to this
    interpreter when one of those markers holds here."""
    markers = package.get("resolution-markers")
    if not markers:
        return True
    return any(_holds_here(marker, where=str(package.get("name"))) for marker in markers)


def _installed_here(packages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The packages ``uv sync`` installs for this interpreter: from the project (its
    dependencies and dependency groups) along every edge whose marker holds here, with the
    extras the edges ask for; the one pin of a split package the edge names. A lock without a
    project entry gives every package whose resolution markers hold here."""
    roots = [p for p in packages if {"virtual", "editable"} & set(p.get("source", {}))]
    if not roots:
        return [p for p in packages if _applies_here(p)]
    by_name: dict[str, list[dict[str, Any]]] = {}
    for package in packages:
        by_name.setdefault(package["name"], []).append(package)

    def target(edge: Mapping[str, Any]) -> dict[str, Any]:
        candidates = [
            p
            for p in by_name.get(edge["name"], [])
            if ("version" not in edge or p["version"] == edge["version"]) and _applies_here(p)
        ]
        if len(candidates) != 1:
            found = ", ".join(p["version"] for p in by_name.get(edge["name"], []))
            raise InvalidArgument(
                f"uv.lock: {edge['name']} is pinned {len(candidates)} times for this interpreter"
                f" ({found or 'no pin'})"
            )
        return candidates[0]

    seen: dict[tuple[str, str], dict[str, Any]] = {}
    todo: list[tuple[dict[str, Any], tuple[str, ...]]] = [(root, ()) for root in roots]
    done: set[tuple[str, str, tuple[str, ...]]] = set()
    while todo:
        package, extras = todo.pop()
        key = (package["name"], package["version"], extras)
        if key in done:
            continue
        done.add(key)
        seen[(package["name"], package["version"])] = package
        edges = list(package.get("dependencies", []))
        for extra in extras:
            edges += package.get("optional-dependencies", {}).get(extra, [])
        if package in roots:
            for group in package.get("dev-dependencies", {}).values():
                edges += group
        for edge in edges:
            if _holds_here(edge.get("marker"), where=f"{package['name']} -> {edge['name']}"):
                todo.append((target(edge), tuple(sorted(edge.get("extra", [])))))
    return list(seen.values())


def lock_requirements(lock: Path) -> list[str]:
    """``name==version`` of every registry package the lock installs for this interpreter (the
    project itself is not one); a requirements file is taken as it is. Raises InvalidArgument
    when the lock still pins one name twice for this interpreter."""
    if lock.suffix == ".txt":
        return [line.strip() for line in lock.read_text().splitlines() if line.strip()]
    try:
        data = tomllib.loads(lock.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise InvalidArgument(f"{lock}: not a readable lock file: {exc}") from exc
    pins: dict[str, str] = {}
    for package in _installed_here(list(data.get("package", []))):
        if "registry" not in package.get("source", {}):
            continue
        name, version = package["name"], package["version"]
        if pins.get(name, version) != version:
            raise InvalidArgument(
                f"{lock}: {name} is pinned twice for this interpreter ({pins[name]} and {version})"
            )
        pins[name] = version
    return sorted(f"{name}=={version}" for name, version in pins.items())


def pip_audit_program() -> list[str] | None:
    """How to run pip-audit here: the module in this interpreter, else a program on PATH."""
    if importlib.util.find_spec("pip_audit") is not None:
        return [sys.executable, "-m", "pip_audit"]
    found = shutil.which("pip-audit")
    return [found] if found else None


def _service_name(service: str, osv_url: str) -> str:
    return f"OSV at {osv_url}" if service == "osv" else SERVICES[service]


def dependency_vulnerabilities(
    *,
    env: Mapping[str, str] | None = None,
    service: str = "pypi",
    osv_url: str | None = None,
    lock: Path | None = None,
) -> dict[str, Any]:
    """pip-audit over the lock's pins for this interpreter against ``service`` (``pypi`` or
    ``osv``, at ``osv_url``). ``status``: pass, fail (``vulnerable``, ``by_severity``) or
    unknown (``reason``: no lock, no pip-audit, service unreachable, packages skipped)."""
    if service not in SERVICES:
        raise InvalidArgument(f"unknown vulnerability service {service!r}; one of pypi, osv")
    osv_url = osv_url or DEFAULT_OSV_URL
    if not osv_url.startswith(("http://", "https://")):
        raise InvalidArgument(f"the OSV URL must be http(s), not {osv_url!r}")
    lock = lock or lock_file()
    if lock is None:
        return {"status": "unknown", "reason": "no uv.lock or requirements*.txt found"}
    program = pip_audit_program()
    if program is None:
        return {"status": "unknown", "reason": "pip-audit is not installed", "lock": str(lock)}
    pins = lock_requirements(lock)
    where = _service_name(service, osv_url)
    base: dict[str, Any] = {"lock": str(lock), "packages": len(pins), "service": where}
    with tempfile.TemporaryDirectory() as scratch:
        requirements = Path(scratch) / "requirements.txt"
        requirements.write_text("\n".join(pins) + "\n")
        args = [
            *program,
            *("--requirement", str(requirements), "--no-deps", "--disable-pip"),
            *("--vulnerability-service", service, "--format", "json", "--aliases", "on"),
            *("--desc", "off", "--progress-spinner", "off"),
            *("--timeout", str(SERVICE_TIMEOUT_SECONDS), "--cache-dir", f"{scratch}/cache"),
        ]
        if service == "osv":
            args += ["--osv-url", osv_url]
        try:
            # Fixed argv of pip-audit, no shell.
            done = subprocess.run(  # noqa: S603
                args,
                capture_output=True,
                text=True,
                timeout=PIP_AUDIT_TIMEOUT_SECONDS,
                env=dict(env) if env is not None else None,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return {**base, "status": "unknown", "reason": f"could not reach {where} (timeout)"}
    try:
        report = json.loads(done.stdout)
    except ValueError:
        # No report: pip-audit stopped before auditing (its error is the last stderr line).
        tail = (done.stderr or "").strip().splitlines()[-1:] or [""]
        error = tail[0].removeprefix("ERROR:pip_audit._cli:")[:300]
        reason = (
            f"could not reach {where}: {error}"
            if _is_connection_error(done.stderr or "")
            else f"pip-audit failed (exit {done.returncode}): {error}"
        )
        return {**base, "status": "unknown", "reason": reason}
    return {**base, **_findings(report, packages=len(pins), service=service, osv_url=osv_url)}


def _is_connection_error(stderr: str) -> bool:
    words = ("connection", "connect to", "timed out", "max retries", "name resolution", "proxy")
    lowered = stderr.lower()
    return any(word in lowered for word in words)


def _findings(
    report: Mapping[str, Any], *, packages: int, service: str, osv_url: str
) -> dict[str, Any]:
    """The scan's verdict from pip-audit's JSON (``{"dependencies": [{name, version, vulns:
    [{id, aliases, fix_versions}]} | {name, skip_reason}]}``)."""
    dependencies = report.get("dependencies", [])
    vulnerable = [
        {
            "name": dep["name"],
            "version": dep.get("version"),
            "vulns": [
                {
                    "id": v.get("id"),
                    "aliases": v.get("aliases", []),
                    "fix_versions": v.get("fix_versions", []),
                    "severity": _severity(
                        service=service, osv_url=osv_url, ids=[v["id"], *v.get("aliases", [])]
                    ),
                }
                for v in dep.get("vulns", [])
            ],
        }
        for dep in dependencies
        if dep.get("vulns")
    ]
    by_severity = dict.fromkeys(SEVERITIES, 0)
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            by_severity[vuln["severity"]] += 1
    skipped = {dep["name"]: str(dep["skip_reason"]) for dep in dependencies if "skip_reason" in dep}
    result: dict[str, Any] = {
        "vulnerable": vulnerable,
        "by_severity": {level: n for level, n in by_severity.items() if n},
        "audited": packages - len(skipped),
        "skipped": sorted(skipped),
    }
    if vulnerable:
        result["status"] = "fail"
    elif skipped or not dependencies:
        result["status"] = "unknown"
    else:
        result["status"] = "pass"
    if skipped:
        shown = ", ".join(sorted(skipped)[:5]) + (
            f" and {len(skipped) - 5} more" if len(skipped) > 5 else ""
        )
        why = "; ".join(sorted({reason.split(":")[0] for reason in skipped.values()}))[:300]
        if len(skipped) == packages:
            # The service answered, but with no record of any pin: its vulnerability data was
            # not reached (e.g. a mirror that serves the index and not the JSON API).
            result["reason"] = (
                f"could not reach {_service_name(service, osv_url)}'s vulnerability records: "
                f"none of the {packages} packages could be audited ({shown}): {why}"
            )
        else:
            result["reason"] = (
                f"{len(skipped)} of {packages} packages could not be audited ({shown}): {why}"
            )
    elif not dependencies:
        result["reason"] = "pip-audit audited no package"
    return result


def _severity(*, service: str, osv_url: str, ids: list[str]) -> str:
    """The GHSA severity OSV records for the first of ``ids`` (the finding's id, then its
    aliases) it knows; ``unrated`` when the service gives none (pip-audit's PyPI service has no
    severity) or OSV cannot be asked."""
    if service != "osv":
        return "unrated"
    root = osv_url.rsplit("/query", 1)[0]
    for vuln_id in ids:
        try:
            # The configured OSV endpoint, http(s) only (checked before pip-audit ran).
            with urllib.request.urlopen(  # noqa: S310
                f"{root}/vulns/{vuln_id}", timeout=SERVICE_TIMEOUT_SECONDS
            ) as answer:
                record = json.loads(answer.read())
        except (OSError, ValueError):
            continue
        level = str((record.get("database_specific") or {}).get("severity", "")).lower()
        if level in SEVERITIES:
            return level
    return "unrated"
