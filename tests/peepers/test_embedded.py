"""The embedded PostgreSQL and Redis: one server per data directory, shared, crash-tolerant."""

import os
import subprocess
import sys
import textwrap

import psutil
import psycopg
import pytest
import redis

from peepers.embedded import EmbeddedPostgres, EmbeddedRedis, postgres, stop_if_unused
from tests.support.processes import BASE_DIR

HOLD_AND_REPORT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from peepers import embedded
    service = embedded.postgres(Path(sys.argv[1]), databases=("shared",))
    print(service.server_pid(), flush=True)
    sys.stdin.readline()  # hold the lease until the test says so
    """
)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("emb")
    yield path
    # Whatever a failed test left running on this directory stops with the module.
    for service in (EmbeddedPostgres(path / "postgres"), EmbeddedRedis(path / "redis")):
        if service.leases_dir.exists():
            (service.leases_dir / str(os.getpid())).unlink(missing_ok=True)
        service.stop_if_unused()


def postmasters_on(pgdata):
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        cmdline = process.info["cmdline"] or []
        if process.info["name"] == "postgres" and str(pgdata) in " ".join(cmdline):
            found.append(process.pid)
    return found


def test_two_processes_asking_at_once_share_one_server(data_dir):
    children = [
        subprocess.Popen(
            [sys.executable, "-c", HOLD_AND_REPORT, str(data_dir)],
            cwd=BASE_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(BASE_DIR)},
        )
        for _ in range(2)
    ]
    try:
        pids = {int(child.stdout.readline()) for child in children}
        service = EmbeddedPostgres(data_dir / "postgres")

        assert len(pids) == 1
        assert service.server_pid() in pids
        assert postmasters_on(service.pgdata) == [service.server_pid()]
        assert sorted(service.live_leases()) == sorted(child.pid for child in children)
        with psycopg.connect(service.endpoint.url("shared")) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        for child in children:
            child.communicate("\n", timeout=30)

    assert service.live_leases() == []
    assert service.is_running()  # one-off users leave it up for the next one
    assert "postgres" in stop_if_unused(data_dir)
    assert not service.is_running()
    assert postmasters_on(service.pgdata) == []


def test_stale_pid_and_socket_files_after_a_crash_are_cleaned_up(data_dir):
    service = EmbeddedPostgres(data_dir / "postgres")
    service.acquire()
    assert service.stop_if_unused()
    assert not service.is_running()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (service.pgdata / "postmaster.pid").write_text(f"{dead.pid}\n{service.pgdata}\n")
    (service.socket_dir / ".s.PGSQL.5432").write_text("")
    (service.leases_dir / str(dead.pid)).write_text("12345.0")

    started = postgres(data_dir, databases=("after_crash",))

    assert started.is_running()
    assert started.live_leases() == [os.getpid()]
    with psycopg.connect(started.endpoint.url("after_crash")) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == ("after_crash",)
    started.stop_if_unused()


def test_redis_keeps_its_data_across_restarts(data_dir):
    service = EmbeddedRedis(data_dir / "redis")
    service.acquire()
    redis.Redis.from_url(service.endpoint.url()).set("survives", "yes")
    assert service.stop_if_unused()
    assert not service.is_running()
    (data_dir / "redis" / "redis.pid").write_text("999999")  # stale, as after a crash

    service.acquire()

    assert redis.Redis.from_url(service.endpoint.url()).get("survives") == b"yes"
    assert service.stop_if_unused()
