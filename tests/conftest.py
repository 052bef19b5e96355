"""Session-wide test setup: two stores (A and B) cloned once, and fixtures to reach them."""

from __future__ import annotations

import gettext
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client

from core.redis import redis_client, redis_key
from peepers import embedded
from tenants.context import use_public_schema
from tenants.models import Tenant
from tenants.services import tenant_create
from tests.support.clients import staff_client as make_staff_client
from tests.support.db import OWNER_PASSWORD, database_reset
from tests.support.processes import queues_empty


def pytest_configure(config: pytest.Config) -> None:
    if not settings.TESTING:
        raise pytest.UsageError("run the tests with DJANGO_ENV=test, e.g. `make test`")
    _bytecode_under_data_dir()
    # The translation catalogues are build output (make install compiles them); a plain
    # `pytest` must see the current ones too.
    from django.utils.translation import trans_real

    from peepers.i18n_compile import catalogues_compile

    if catalogues_compile():
        trans_real._translations = {}  # type: ignore[attr-defined]  # Django's cache, reset
        # ...and Python's, which keeps each .mo file read so far by its path.
        gettext._translations.clear()  # type: ignore[attr-defined]


def _bytecode_under_data_dir() -> None:
    """Where the environment forbids writing compiled modules beside the sources
    (PYTHONDONTWRITEBYTECODE), they go under the data directory instead, and the source tree
    stays clean: the Pythons the tests start (workers, web servers, commands: dozens a run)
    start in half the time once the first has compiled, and this process compiles the test
    modules once, not at every run."""
    if os.environ.pop("PYTHONDONTWRITEBYTECODE", None) is None:
        return
    prefix = os.environ.setdefault(
        "PYTHONPYCACHEPREFIX", str(Path(settings.PEEPERS_DATA_DIR) / "pycache")
    )
    if sys.pycache_prefix is None:
        sys.pycache_prefix = prefix
        sys.dont_write_bytecode = False


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Stop the embedded servers this run used, unless another process (make dev) still does."""
    # The last buffered metric samples go now, while Redis still answers (not at exit).
    from core.metrics import metrics_flush

    metrics_flush()
    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        embedded.stop_if_unused(Path(settings.PEEPERS_DATA_DIR))


@pytest.fixture
def portuguese(settings: Any) -> None:
    """The shipped default language (pt-BR), whatever a package's conftest chose for its
    English-language assertions."""
    settings.LANGUAGE_CODE = "pt-br"


@pytest.fixture(scope="session")
def django_db_setup(
    request: pytest.FixtureRequest, django_test_environment: None, django_db_blocker: Any
) -> Iterator[None]:
    """The test database (public + template migrated) plus stores A and B.

    Replaces pytest-django's fixture, which sets up only the databases that tests marked
    ``django_db`` ask for: tests using ``committed_db`` or a live server need it too.
    """
    from django.test.utils import setup_databases, teardown_databases

    # The test Redis databases (broker and cache) start empty.
    for url in (settings.REDIS_URL, settings.CACHE_REDIS_URL):
        redis.Redis.from_url(url).flushdb()
    with django_db_blocker.unblock():
        config = setup_databases(
            verbosity=request.config.option.verbose,
            interactive=False,
            aliases={"default": connection},
        )
        assert connection.settings_dict["NAME"].startswith("test_"), "not the test database"
        for key in ("a", "b"):
            tenant_create(
                name=f"Store {key.upper()}",
                slug=f"tenant-{key}",
                owner_email=f"owner@{key}.example.com",
                owner_password=OWNER_PASSWORD,
                plan_code="starter",
                terms_accepted=True,
                channel="command",
            )
    yield
    with django_db_blocker.unblock():
        # Background threads (dispatch, metrics) may still hold connections: end them.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        teardown_databases(config, verbosity=request.config.option.verbose)


@pytest.fixture
def tenant_a(db: None) -> Tenant:
    return Tenant.objects.get(schema_name="tenant-a")


@pytest.fixture
def tenant_b(db: None) -> Tenant:
    return Tenant.objects.get(schema_name="tenant-b")


@pytest.fixture
def committed_db(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Database access without the per-test transaction; everything is put back afterwards.

    For tests whose work must be visible to other connections: threads, Celery workers,
    subprocesses and live servers.
    """
    with django_db_blocker.unblock():
        try:
            yield
        finally:
            database_reset()
            cache.clear()
            queues_empty()


@pytest.fixture(autouse=True)
def _public_schema_between_tests() -> Iterator[None]:
    yield
    use_public_schema()


@pytest.fixture(autouse=True)
def _no_cached_entitlements() -> Iterator[None]:
    """A test's subscription rows roll back with its transaction; their cache must go too."""
    yield
    client = redis_client()
    for key in client.scan_iter(redis_key("tenant", "*", "billing", "entitlement")):
        client.delete(key)
    # "Sync now" markers and the REST API's rate-limit counters outlive a rolled-back test too.
    for pattern in (
        redis_key("tenant", "*", "ml", "sync-requested"),
        redis_key("tenant", "*", "api", "*"),
    ):
        for key in client.scan_iter(pattern):
            client.delete(key)


@pytest.fixture
def staff_client(db: None) -> Client:
    """Admin on the public host, as a superuser (``tests.support.clients.staff_client``)."""
    return make_staff_client()
