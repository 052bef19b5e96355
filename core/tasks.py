"""The one way Peepers declares Celery tasks and sends them after commit.

``@task(...)`` demands a dotted name, a queue, time limits and a retry policy, and says whether
the task belongs to a tenant. A tenant task sent or run outside a tenant fails loudly instead
of running in ``public`` (tenant-schemas-celery's default). A retry waits at least as long as
the error says (``retry_after``: a provider's ``Retry-After``, a circuit breaker's reopen time).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec, Protocol, TypeVar, cast

from celery import Celery, current_app
from celery.app.task import Task
from django.conf import settings
from django.db import connection, transaction
from django_tenants.utils import get_public_schema_name
from redis.exceptions import RedisError
from tenant_schemas_celery.task import TenantTask

from core.errors import retry_after_of
from core.log_context import LogContext, current_log_context, log_context
from core.redis import broker_redis_client

logger = logging.getLogger(__name__)

# Mercado Livre work of MEDIUM and LOW priority (syncs, product and shipment notifications,
# missed feeds) has queues of its own, so the rate-limit runbook can hold the calls to ML alone
# while e-mails, watchdogs and deadline alerts on ``default`` and ``low`` keep running. Every
# worker command line consumes all six (peepers/run.py, docs/deploy.md).
ML_QUEUES = ("ml-default", "ml-low")
QUEUES = ("critical", "high", "default", "low", *ML_QUEUES)
# Kombu's Redis transport keeps a queue's messages of priority N > 0 in "<queue>\x06\x16N".
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")
# Task name -> queue, filled by @task and read by the router (CELERY_TASK_ROUTES).
_QUEUE_OF: dict[str, str] = {}

P = ParamSpec("P")
R = TypeVar("R")


# What a retry adds to an error's ``retry_after``, as a share of it (at least a second): stores
# held back by the same breaker or rate limit come back spread out, not all at one instant.
RETRY_AFTER_SPREAD = 0.1


@dataclass(frozen=True)
class RetryPolicy:
    """Retries for the listed exception types, at most ``max_retries`` of them.

    Each waits a random time up to ``backoff_seconds * 2**retries`` (capped at
    ``backoff_max_seconds``), or, when the error carries ``retry_after``, at least that long
    plus a little spread (``RETRY_AFTER_SPREAD``): an error that knows when trying again can
    succeed is not retried before.
    """

    on: tuple[type[Exception], ...] = ()
    max_retries: int = 5
    backoff_seconds: int = 2
    backoff_max_seconds: int = 600

    def countdown(self, *, retries: int, exc: Exception, rng: random.Random | None = None) -> float:
        """Seconds before retry number ``retries + 1`` of a task that raised ``exc``."""
        rng = rng or _RNG
        cap = min(self.backoff_max_seconds, self.backoff_seconds * 2**retries)
        return wait_at_least(float(rng.randint(0, cap)), retry_after_of(exc), rng=rng)


def wait_at_least(
    delay: float, retry_after: float | None, *, rng: random.Random | None = None
) -> float:
    """``delay``, or ``retry_after`` and a little spread (``RETRY_AFTER_SPREAD``) when that is
    longer: the one rule task retries and the webhook inboxes follow."""
    if retry_after is None:
        return delay
    spread = (rng or _RNG).uniform(0, max(1.0, retry_after * RETRY_AFTER_SPREAD))
    return max(delay, retry_after + spread)


NO_RETRY = RetryPolicy()
_RNG = random.Random()  # noqa: S311  # spreading retries, not secrecy


class TaskSentWithoutTenant(RuntimeError):
    """A tenant task was sent or run outside any tenant; it must never run in ``public``."""


class PeepersTask(TenantTask):
    """Base of every task: tenant tasks refuse the public schema at send and at run time."""

    abstract = True
    tenant_scoped = True
    retry_policy: RetryPolicy = NO_RETRY

    # Same parameters as Celery's; checks the tenant and adds the correlation id, then defers.
    def apply_async(  # type: ignore[override]
        self, args: Any = None, kwargs: Any = None, **options: Any
    ) -> Any:
        headers = dict(options.get("headers") or {})
        if self.tenant_scoped:
            schema = headers.get("_schema_name", current_schema())
            if schema in (None, get_public_schema_name()):
                raise TaskSentWithoutTenant(
                    f"{self.name} is a tenant task; send it inside tenant_context(tenant) "
                    "or with enqueue_on_commit(..., tenant=tenant)"
                )
        correlation_id = current_log_context().correlation_id
        if correlation_id != "-":
            headers.setdefault("correlation_id", correlation_id)
        options["headers"] = headers
        return super().apply_async(args, kwargs, **options)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.tenant_scoped and current_schema() == get_public_schema_name():
            raise TaskSentWithoutTenant(
                f"{self.name} is a tenant task and reached a worker without a tenant; "
                "refusing to run it in the public schema"
            )
        request = self.request
        correlation_id = (request.headers or {}).get("correlation_id") or request.id or "-"
        token = log_context.set(LogContext(task=self.name, correlation_id=correlation_id))
        try:
            return super().__call__(*args, **kwargs)
        except self.retry_policy.on as exc:
            # Sent again with a countdown (Celery's ``retry``), or ``exc`` itself once the
            # retries (``max_retries``, the policy's) are spent or when the task was called as a
            # plain function.
            countdown = self.retry_policy.countdown(retries=request.retries or 0, exc=exc)
            raise self.retry(exc=exc, countdown=countdown) from exc
        finally:
            log_context.reset(token)


def current_schema() -> str:
    return str(connection.schema_name)  # type: ignore[attr-defined]


def celery_app() -> Celery:
    """The project's Celery app: importing Django's settings module imports the project package,
    whose ``__init__`` creates the app and makes it current (``peepers/celery.py``)."""
    settings.INSTALLED_APPS  # noqa: B018  # loads the settings, hence the project package
    app: Celery = current_app._get_current_object()  # type: ignore[attr-defined]  # a Proxy
    if app.main is None:  # Celery's unnamed fallback: tasks bound to it would never run
        raise RuntimeError("no project Celery app is current (peepers/celery.py creates it)")
    return app


def task(
    *,
    name: str,
    queue: str,
    tenant_scoped: bool,
    soft_time_limit: int,
    time_limit: int | None = None,
    retry: RetryPolicy = NO_RETRY,
) -> Callable[[Callable[P, R]], Task[P, R]]:
    """Declare a Celery task the Peepers way (see the module docstring)."""
    if "." not in name:
        raise ValueError(f"task names are dotted (app.action), not {name!r}")
    if queue not in QUEUES:
        raise ValueError(f"queue must be one of {QUEUES}, not {queue!r}")

    def decorate(func: Callable[P, R]) -> Task[P, R]:
        options: dict[str, Any] = {
            "name": name,
            "base": PeepersTask,
            "soft_time_limit": soft_time_limit,
            "time_limit": time_limit or soft_time_limit + 30,
            "tenant_scoped": tenant_scoped,
        }
        if retry.on:
            options.update(retry_policy=retry, max_retries=retry.max_retries)
        _QUEUE_OF[name] = queue
        # lazy=False binds and registers the task now, not on first use of an unfinalized app.
        decorator: Any = celery_app().task(lazy=False, **options)
        return cast("Task[P, R]", decorator(func))

    return decorate


def route(
    name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **kw: Any
) -> dict[str, str]:
    """Celery router: each task goes to the queue its ``@task`` declaration named."""
    return {"queue": _QUEUE_OF.get(name, "default")}


class HasSchema(Protocol):
    schema_name: str


def enqueue_on_commit(
    task: Task[Any, Any],
    *,
    args: Sequence[Any] = (),
    kwargs: dict[str, Any] | None = None,
    tenant: HasSchema | None = None,
    countdown: float | None = None,
) -> None:
    """Send ``task`` once the current transaction commits (at once outside one).

    It runs for ``tenant``, or for the schema current now: captured at the call, not at commit,
    so a task enqueued inside ``tenant_context(a)`` runs for ``a`` even if the context has ended
    by then. A tenant task enqueued for no tenant fails here, before anything commits. A broker
    outage is logged, never raised into a request whose data is already committed.
    """
    schema = tenant.schema_name if tenant is not None else current_schema()
    if getattr(task, "tenant_scoped", False) and schema == get_public_schema_name():
        raise TaskSentWithoutTenant(f"{task.name} is a tenant task; enqueue it for a tenant")

    def send() -> None:
        options: dict[str, Any] = {"headers": {"_schema_name": schema}}
        if countdown is not None:
            options["countdown"] = countdown
        try:
            task.apply_async(args=tuple(args), kwargs=kwargs or {}, **options)
        except Exception:
            logger.exception("could not enqueue %s for schema %s", task.name, schema)

    transaction.on_commit(send)


def queue_keys(queue: str) -> list[str]:
    """The Redis lists that hold ``queue``'s messages, one per priority."""
    return [queue + suffix for suffix in _PRIORITY_SUFFIXES]


def queue_depths() -> dict[str, int] | None:
    """Messages waiting in each Celery queue (every priority); None when the broker is down."""
    try:
        pipe = broker_redis_client().pipeline(transaction=False)
        for queue in QUEUES:
            for key in queue_keys(queue):
                pipe.llen(key)
        lengths = pipe.execute()
    except RedisError:
        logger.warning("queue depth unavailable: the broker did not answer", exc_info=True)
        return None
    step = len(_PRIORITY_SUFFIXES)
    return {
        queue: sum(int(n) for n in lengths[i * step : (i + 1) * step])
        for i, queue in enumerate(QUEUES)
    }
