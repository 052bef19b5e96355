"""The dependency scan: the lock's pins for this interpreter through pip-audit, against a fake
OSV service run as a real HTTP server (OSV API v1: POST /v1/query, GET /v1/vulns/{id})."""

from __future__ import annotations

import importlib.metadata
import json
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from packaging.utils import canonicalize_name

from operations.maintenance.dependencies import (
    _findings,
    dependency_vulnerabilities,
    lock_requirements,
    pip_audit_program,
)
from operations.maintenance.errors import InvalidArgument

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(pip_audit_program() is None, reason="pip-audit is a project dependency"),
]

HERE = f"{sys.version_info.major}.{sys.version_info.minor}"
REGISTRY = '{ registry = "https://pypi.org/simple" }'
# As uv writes it: networkx pinned twice, split by Python version around this interpreter, the
# project's edges naming each pin with its marker; a dev dependency for Windows only.
SPLIT_LOCK = f"""
version = 1
requires-python = ">=3.11"

[[package]]
name = "colorama"
version = "0.4.6"
source = {REGISTRY}

[[package]]
name = "django"
version = "5.2.0"
source = {REGISTRY}

[[package]]
name = "networkx"
version = "3.6.1"
source = {REGISTRY}
resolution-markers = ["python_full_version < '{HERE}'"]

[[package]]
name = "networkx"
version = "3.7"
source = {REGISTRY}
resolution-markers = ["python_full_version >= '{HERE}'"]

[[package]]
name = "peepers"
version = "0.1.0"
source = {{ virtual = "." }}
dependencies = [
    {{ name = "django" }},
    {{ name = "networkx", version = "3.6.1", marker = "python_full_version < '{HERE}'" }},
    {{ name = "networkx", version = "3.7", marker = "python_full_version >= '{HERE}'" }},
]

[package.dev-dependencies]
dev = [{{ name = "colorama", marker = "sys_platform == 'win32'" }}]
"""
ADVISORY: dict[str, Any] = {
    "id": "GHSA-test-0001",
    "aliases": ["CVE-2099-0001"],
    "summary": "SQL injection in a test advisory",
    "affected": [
        {
            "package": {"name": "django", "ecosystem": "PyPI"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "5.2.1"}]}],
        }
    ],
    "database_specific": {"severity": "HIGH"},
}


class FakeOSV(BaseHTTPRequestHandler):
    vulnerable: dict[str, dict[str, Any]] = {}
    queried: list[str] = []

    def do_POST(self) -> None:
        query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        name = query["package"]["name"]
        self.queried.append(f"{name}=={query['version']}")
        advisory = self.vulnerable.get(name)
        self._answer({"vulns": [advisory]} if advisory else {})

    def do_GET(self) -> None:
        wanted = self.path.rsplit("/", 1)[-1]
        found = [a for a in self.vulnerable.values() if a["id"] == wanted]
        if found:
            self._answer(found[0])
        else:
            self.send_error(404)

    def _answer(self, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def osv() -> Iterator[tuple[str, type[FakeOSV]]]:
    handler = type("Handler", (FakeOSV,), {"vulnerable": {}, "queried": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1/query", handler
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def split_lock(tmp_path: Path) -> Path:
    lock = tmp_path / "uv.lock"
    lock.write_text(SPLIT_LOCK)
    return lock


def _command(*args: str) -> tuple[int, str]:
    out: list[str] = []

    class Sink:
        def write(self, text: str) -> None:
            out.append(text)

        def flush(self) -> None:
            pass

    try:
        call_command("security_audit", "--only", "dependencies", *args, stdout=Sink())
    except CommandError as exc:
        return exc.returncode, "".join(out) + str(exc)
    return 0, "".join(out)


def test_split_pins_resolve_to_the_one_for_this_interpreter(split_lock: Path) -> None:
    assert lock_requirements(split_lock) == ["django==5.2.0", "networkx==3.7"]


def test_the_project_lock_gives_exactly_what_is_installed_here(settings: Any) -> None:
    pins = lock_requirements(Path(settings.BASE_DIR) / "uv.lock")

    installed = {
        f"{canonicalize_name(d.metadata['Name'])}=={d.version}"
        for d in importlib.metadata.distributions()
    }
    assert {f"{canonicalize_name(p.split('==')[0])}=={p.split('==')[1]}" for p in pins} == installed
    assert len({pin.split("==")[0] for pin in pins}) == len(pins)


def test_a_lock_still_pinning_a_name_twice_here_is_an_error(tmp_path: Path) -> None:
    lock = tmp_path / "uv.lock"
    lock.write_text(SPLIT_LOCK.replace(f"< '{HERE}'", f"<= '{HERE}.99'"))

    with pytest.raises(InvalidArgument, match="networkx is pinned twice"):
        lock_requirements(lock)


def test_a_split_lock_is_scanned_without_the_duplicate_error(
    split_lock: Path, osv: tuple[str, type[FakeOSV]]
) -> None:
    url, handler = osv

    result = dependency_vulnerabilities(service="osv", osv_url=url, lock=split_lock)

    assert result["status"] == "pass", result
    assert sorted(handler.queried) == ["django==5.2.0", "networkx==3.7"]
    assert result["audited"] == 2


def test_a_finding_fails_the_scan_with_its_severity_and_fix(
    split_lock: Path, osv: tuple[str, type[FakeOSV]]
) -> None:
    url, handler = osv
    handler.vulnerable["django"] = ADVISORY

    result = dependency_vulnerabilities(service="osv", osv_url=url, lock=split_lock)

    assert result["status"] == "fail"
    assert result["by_severity"] == {"high": 1}
    [dep] = result["vulnerable"]
    assert dep["name"] == "django"
    assert dep["vulns"] == [
        {
            "id": "CVE-2099-0001",
            "aliases": ["GHSA-test-0001"],
            "fix_versions": ["5.2.1"],
            "severity": "high",
        }
    ]


def test_the_command_exits_1_on_a_finding_and_names_it(
    split_lock: Path, osv: tuple[str, type[FakeOSV]]
) -> None:
    url, handler = osv
    handler.vulnerable["django"] = ADVISORY

    code, out = _command("--service", "osv", "--osv-url", url, "--lock", str(split_lock))

    assert code == 1
    assert "high  django 5.2.0: CVE-2099-0001 (GHSA-test-0001); fixed in 5.2.1" in out


def test_findings_are_listed_worst_first_and_an_unrated_one_says_so(
    split_lock: Path, osv: tuple[str, type[FakeOSV]]
) -> None:
    url, handler = osv
    unrated = {**ADVISORY, "id": "PYSEC-2099-7", "aliases": [], "database_specific": {}}
    unrated["affected"] = [
        {**ADVISORY["affected"][0], "package": {"name": "networkx", "ecosystem": "PyPI"}}
    ]
    handler.vulnerable.update({"networkx": unrated, "django": ADVISORY})

    code, out = _command("--service", "osv", "--osv-url", url, "--lock", str(split_lock))

    assert code == 1
    assert "2 vulnerable package(s) (1 high, 1 unrated)" in out
    assert out.index("high  django") < out.index("unrated  networkx 3.7: PYSEC-2099-7")
    assert "unrated: the service gave no severity" in out


def test_the_command_exits_0_when_every_pin_was_audited_clean(
    split_lock: Path, osv: tuple[str, type[FakeOSV]]
) -> None:
    url, _handler = osv

    code, out = _command("--service", "osv", "--osv-url", url, "--lock", str(split_lock))

    assert code == 0, out
    assert "no known vulnerabilities in 2 audited packages" in out


def test_an_unreachable_service_is_unknown_with_its_own_exit_code(
    split_lock: Path, closed_port: int
) -> None:
    url = f"http://127.0.0.1:{closed_port}/v1/query"

    result = dependency_vulnerabilities(service="osv", osv_url=url, lock=split_lock)
    code, out = _command("--service", "osv", "--osv-url", url, "--lock", str(split_lock))

    assert result["status"] == "unknown"
    assert result["reason"].startswith(f"could not reach OSV at {url}")
    assert code == 3
    assert "unknown: could not reach OSV at" in out
    assert "no known vulnerabilities" not in out.lower()


def test_skipped_packages_make_the_scan_unknown_never_clean() -> None:
    # pip-audit's JSON (its real shape) when PyPI has no record of a pin (404 on its JSON API).
    report = {
        "dependencies": [
            {"name": "django", "version": "5.2.0", "vulns": []},
            {
                "name": "networkx",
                "skip_reason": "Dependency not found on PyPI and could not be audited: "
                "networkx (3.7)",
            },
        ],
        "fixes": [],
    }

    result = _findings(report, packages=2, service="pypi", osv_url="")

    assert result["status"] == "unknown"
    assert result["skipped"] == ["networkx"]
    assert result["reason"].startswith("1 of 2 packages could not be audited (networkx)")


def test_every_package_skipped_is_a_service_not_reached() -> None:
    report = {
        "dependencies": [
            {
                "name": name,
                "skip_reason": "Dependency not found on PyPI and could not be audited: "
                f"{name} (1.0)",
            }
            for name in ("django", "networkx")
        ],
        "fixes": [],
    }

    result = _findings(report, packages=2, service="pypi", osv_url="")

    assert result["status"] == "unknown"
    assert result["reason"].startswith(
        "could not reach PyPI's JSON API (https://pypi.org/pypi)'s vulnerability records: "
        "none of the 2 packages could be audited (django, networkx)"
    )


def test_a_non_http_osv_url_is_refused(split_lock: Path) -> None:
    with pytest.raises(InvalidArgument, match="http"):
        dependency_vulnerabilities(service="osv", osv_url="file:///etc/passwd", lock=split_lock)
