"""Real subprocesses (a Celery worker, a web server) running against the test database."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from core.redis import broker_redis_client
from core.tasks import QUEUES, queue_keys
from peepers.celery import app as celery_app
from tests.support.waiting import wait_until

BASE_DIR = Path(settings.BASE_DIR)


def test_database_url() -> str:
    db = connection.settings_dict
    host = db.get("HOST") or ""
    auth = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    if host.startswith("/"):
        return f"postgres://{auth}@{quote(host, safe='')}:{db.get('PORT') or 5432}/{db['NAME']}"
    return f"postgres://{auth}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"


def child_environment(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_ENV="test",
        DATABASE_URL=test_database_url(),
        REDIS_URL=settings.REDIS_URL,
        PYTHONPATH=str(BASE_DIR),
    )
    env.update(extra)
    return env


@contextmanager
def celery_worker(*includes: str, **env: str) -> Iterator[subprocess.Popen[bytes]]:
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "peepers",
        "worker",
        "--pool",
        "solo",
        "--queues",
        ",".join(QUEUES),
        "--loglevel",
        "INFO",
        "--without-mingle",
        "--without-gossip",
        "--without-heartbeat",
        "--hostname",
        f"test-{os.getpid()}@%h",
    ]
    for module in includes:
        command += ["--include", module]
    process = subprocess.Popen(command, cwd=BASE_DIR, env=child_environment(**env))
    try:
        yield process
    finally:
        _stop(process)


def worker_answering(timeout: float = 60.0) -> str:
    """The name of the first worker that answers a ping (one ``celery_worker`` is starting)."""

    def names() -> list[str]:
        # limit=1: back with the first reply, instead of listening out the whole second.
        replies = celery_app.control.ping(timeout=1, limit=1) or []
        return [name for reply in replies for name in reply]

    return wait_until(
        names, timeout=timeout, every=0, message=f"no worker answered within {timeout:g} s"
    )[0]


def worker_queues(worker: str) -> set[str]:
    """The queues ``worker`` consumes now."""
    active = celery_app.control.inspect(destination=[worker], timeout=2).active_queues() or {}
    return {queue["name"] for queue in active.get(worker, [])}


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def web_server(port: int, **env: str) -> Iterator[str]:
    """gunicorn serving the test database on ``port``; yields the public base URL."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "peepers.wsgi",
            "--workers",
            "2",
            "--threads",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--graceful-timeout",
            "5",
        ],
        cwd=BASE_DIR,
        env=child_environment(PORT=str(port), **env),
    )
    try:

        def listening() -> bool:
            if process.poll() is not None:
                raise RuntimeError("the test web server exited during start-up")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return True
            except OSError:
                return False

        if not wait_until(listening, timeout=60, every=0.1):
            raise RuntimeError("the test web server did not start within 60s")
        yield f"http://{settings.PEEPERS_BASE_DOMAIN}:{port}"
    finally:
        _stop(process)


def queues_empty() -> None:
    """Drop every message waiting in the broker: what a test sent on commit with no worker
    running is for no later test (a fresh emulator reuses ids: another test's worker would act
    on their objects)."""
    broker_redis_client().delete(*(key for queue in QUEUES for key in queue_keys(queue)))


def queued_messages() -> list[dict[str, Any]]:
    """The headers of every message waiting in the broker (every queue and priority): the task's
    name, ``argsrepr``, the ``_schema_name`` it runs for."""
    client = broker_redis_client()
    return [
        json.loads(raw)["headers"]
        for queue in QUEUES
        for key in queue_keys(queue)
        for raw in client.lrange(key, 0, -1)
    ]


def supervised(
    log: Path,
    programs: dict[str, list[str]],
    *,
    hurry: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
    options: dict[str, float] | None = None,
) -> subprocess.Popen[bytes]:
    """``peepers.supervisor.Supervisor`` running ``programs`` in a process of its own (signal
    handlers belong to a main thread), logging to ``log``; ``hurry`` names a program's hurry
    signal (``{"worker": "SIGQUIT"}``), ``options`` are the Supervisor's (``{"grace": 1}``)."""
    script = textwrap.dedent(
        f"""
        import signal, sys
        from peepers.supervisor import Supervisor
        supervisor = Supervisor(**{json.dumps(options or {})})
        hurry = {json.dumps(hurry or {})}
        for name, command in {json.dumps(programs)}.items():
            signum = hurry.get(name)
            supervisor.add(name, command, hurry=signal.Signals[signum] if signum else None)
        sys.exit(supervisor.run())
        """
    )
    with log.open("wb") as sink:
        return subprocess.Popen(
            [sys.executable, "-c", script],
            cwd=BASE_DIR,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
