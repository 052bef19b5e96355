"""``make dev`` and ``make serve``: prepare the database, then run every process with prefixed logs.

    python -m peepers.run dev     # runserver (autoreload) + worker + beat + ML sandbox + Stripe
    python -m peepers.run serve   # gunicorn (WEB_CONCURRENCY workers) + the same

A process that crashes is restarted with a growing delay (peepers/supervisor.py); Ctrl-C or
SIGTERM stops all of them, letting requests and tasks in flight finish first, and the embedded
PostgreSQL/Redis (when used) stop too unless another process still uses them.
"""

from __future__ import annotations

import os
import secrets
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from peepers.supervisor import Supervisor

BASE_DIR = Path(__file__).resolve().parent.parent
# How long gunicorn's workers may go on with the requests in flight once told to stop; the
# supervisor's grace (peepers/supervisor.py STOP_GRACE_SECONDS) is longer.
WEB_GRACEFUL_TIMEOUT_SECONDS = 20

# SIGTERM is Celery's warm shutdown: the worker stops taking messages, waits for its running tasks
# however long they take, and exits (REMAP_SIGTERM=SIGQUIT in the environment would make it a cold
# one: leave it unset). Past the grace period SIGQUIT is its cold shutdown: it cuts the tasks still
# running and puts their messages back in the queue at once (acks late), where a SIGKILL would
# leave them unacknowledged until Redis's visibility timeout. worker_soft_shutdown_timeout stays
# 0 (Celery's default): it is a wait before that cut, and the grace period was the wait.
WORKER_HURRY = signal.SIGQUIT


def _serve_environment() -> None:
    """Production settings for a local, plain-HTTP run (benchmarks, smoke tests).

    Anything already set in the environment wins. Missing secrets are generated once and kept in
    ``.data/serve-secrets.env`` (mode 0600) so sessions survive restarts.
    """
    os.environ["DJANGO_ENV"] = "production"
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("SESSION_COOKIE_SECURE", "false")
    os.environ.setdefault("CSRF_COOKIE_SECURE", "false")
    base = os.environ.get("PEEPERS_BASE_DOMAIN", "localhost")
    os.environ.setdefault("ALLOWED_HOSTS", f"{base},.{base},127.0.0.1")
    port = os.environ.get("PORT", "8000")
    os.environ.setdefault("PEEPERS_URL_SCHEME", "http")
    os.environ.setdefault("PEEPERS_URL_PORT", f":{port}")
    # A local production-style run talks to the bundled ML sandbox and Stripe emulator unless
    # told otherwise; they may run under production settings only for such a loopback run
    # (doubles/policy.py).
    os.environ.setdefault("PEEPERS_LOCAL_DOUBLES", "true")
    sandbox = f"http://localhost:{os.environ.get('ML_SANDBOX_PORT', '8001')}"
    os.environ.setdefault("ML_API_BASE", sandbox)
    os.environ.setdefault("ML_AUTH_BASE", sandbox)
    os.environ.setdefault("ML_CLIENT_ID", "peepers-sandbox-app")
    os.environ.setdefault("ML_CLIENT_SECRET", "peepers-sandbox-secret")
    os.environ.setdefault("ML_REDIRECT_URI", f"http://{base}:{port}/auth/callback")
    # Smoke tests and benchmarks run against it: its buyers stay still unless asked.
    os.environ.setdefault("ML_SANDBOX_LIVE_SECONDS", "0")
    # ...and the bundled Stripe emulator, with test-mode credentials.
    emulator = f"http://127.0.0.1:{os.environ.get('STRIPE_EMULATOR_PORT', '12111')}"
    os.environ.setdefault("STRIPE_API_BASE", emulator)
    os.environ.setdefault("STRIPE_SECRET_KEY", "sk_test_peepers_emulator")
    os.environ.setdefault("STRIPE_WEBHOOK_SECRET", "whsec_peepers_emulator")
    os.environ.setdefault("STAFF_ALERT_EMAILS", f"staff@{base}")
    # Notifications come from the sandbox on this machine; incidents page nobody, staff see
    # them in admin.
    os.environ.setdefault("ML_WEBHOOK_ALLOWED_IPS", "127.0.0.1,::1")
    os.environ.setdefault("NOTIFY_URLS", "off")
    data_dir = Path(os.environ.get("PEEPERS_DATA_DIR", BASE_DIR / ".data"))
    secrets_file = data_dir / "serve-secrets.env"
    if not secrets_file.exists():
        import base64

        data_dir.mkdir(parents=True, exist_ok=True)
        key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
        secrets_file.write_text(
            f"SECRET_KEY={secrets.token_urlsafe(50)}\nFIELD_ENCRYPTION_KEYS={key}\n"
        )
        secrets_file.chmod(0o600)
    for line in secrets_file.read_text().splitlines():
        name, _, value = line.partition("=")
        os.environ.setdefault(name, value)


def _command_in_background(supervisor: Supervisor, name: str, **options: object) -> None:
    """Run management command ``name`` on a thread beside the processes, its output shown under
    ``name`` like theirs: a double's setup that waits for it to answer (``wait``)."""

    def run() -> None:
        from django.core.management import call_command
        from django.db import connection

        output = supervisor.stream(name)
        try:
            call_command(name, stdout=output, stderr=output, **options)
        except Exception as exc:
            output.write(f"failed: {exc}\n")
        finally:
            output.flush()
            connection.close()

    threading.Thread(target=run, name=name, daemon=True).start()


def web_command(python: str, *, port: int, app: str = "peepers.wsgi") -> list[str]:
    """gunicorn as ``make serve`` runs it, serving the WSGI application ``app`` on ``port``."""
    # Threads keep connections alive and overlap database waits; see README.
    web = [python, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}"]
    web += ["--workers", os.environ.get("WEB_CONCURRENCY", "2")]
    web += ["--worker-class", "gthread", "--threads", "4", "--access-logfile", "-"]
    return [*web, "--graceful-timeout", str(WEB_GRACEFUL_TIMEOUT_SECONDS)]


def worker_command(python: str) -> list[str]:
    """The Celery worker of ``make dev`` and ``make serve``: every queue a task can be sent to."""
    from core.tasks import QUEUES  # imports Django; this module runs before settings are chosen

    worker = [python, "-m", "celery", "-A", "peepers", "worker", "--loglevel", "INFO"]
    return [*worker, "--concurrency", "2", "--queues", ",".join(QUEUES), "--hostname", "worker@%h"]


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in {"dev", "serve"}:
        print(__doc__)
        return 2
    mode = argv[0]
    if mode == "serve":
        _serve_environment()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peepers.settings")
    os.chdir(BASE_DIR)

    import django

    django.setup()  # starts or finds the embedded services when no URLs are set
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    # After django.setup(), like the Django imports above.
    from peepers import embedded
    from peepers.supervisor import Supervisor

    embedded_in_use = not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL")
    try:
        call_command("migrate_schemas", interactive=False, verbosity=1)
        if mode == "dev":
            call_command("seed_demo")
        else:
            call_command("collectstatic", interactive=False, verbosity=0)
        connections.close_all()

        python = sys.executable
        port = settings.PORT
        if mode == "dev":
            web = [python, "manage.py", "runserver", f"127.0.0.1:{port}"]
        else:
            web = web_command(python, port=port)
        supervisor = Supervisor()
        supervisor.add("web", web)
        supervisor.add("worker", worker_command(python), hurry=WORKER_HURRY)
        supervisor.add(
            "beat", [python, "-m", "celery", "-A", "peepers", "beat", "--loglevel", "INFO"]
        )
        manage = [python, "manage.py"]
        sandbox = f"http://localhost:{settings.ML_SANDBOX_PORT}"
        if settings.ML_API_BASE.rstrip("/") == sandbox:
            # Mercado Livre is the bundled sandbox (doubles/mercadolivre, the development
            # default): run it too.
            supervisor.add(
                "ml-sandbox",
                [
                    *manage,
                    "ml_sandbox",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(settings.ML_SANDBOX_PORT),
                ],
            )
            if mode == "dev":
                # The demo store connected and synced to the sandbox's first seller, whose data
                # the sandbox has just generated around this moment.
                _command_in_background(supervisor, "demo_connect", wait=60)
        emulator = f"http://127.0.0.1:{settings.STRIPE_EMULATOR_PORT}"
        if settings.STRIPE_API_BASE.rstrip("/") == emulator:
            # Stripe is the bundled emulator (doubles/stripe): run it, with webhooks to this
            # server. It keeps its state in memory, so the plan catalogue is created in it once
            # it answers.
            stripe = [*manage, "stripe_emulator", "--host", "127.0.0.1"]
            stripe += ["--port", str(settings.STRIPE_EMULATOR_PORT)]
            stripe += [
                "--webhook-url",
                f"http://{settings.PEEPERS_BASE_DOMAIN}:{port}/api/webhook/stripe",
            ]
            supervisor.add("stripe", stripe)
            _command_in_background(supervisor, "sync_stripe_catalog", wait=60)
        return supervisor.run()
    finally:
        if embedded_in_use:
            embedded.stop_if_unused(Path(settings.PEEPERS_DATA_DIR))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
