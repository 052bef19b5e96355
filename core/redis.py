"""One Redis client per process for shared state that is not cache: rate limits, circuit
breakers, metrics. Keys are namespaced by their owner (``ml:rl:...``, ``metrics:...``)."""

from __future__ import annotations

import functools

import redis
from django.conf import settings

MAX_CONNECTIONS = 64


@functools.cache
def _client(url: str) -> redis.Redis:
    # A blocking pool: a burst of threads waits briefly for a connection instead of failing.
    pool = redis.BlockingConnectionPool.from_url(
        url, max_connections=MAX_CONNECTIONS, timeout=5, socket_connect_timeout=2, socket_timeout=2
    )
    return redis.Redis(connection_pool=pool)


def redis_client() -> redis.Redis:
    """The client for ``CACHE_REDIS_URL``'s database (cache keys there are schema-prefixed)."""
    return _client(settings.CACHE_REDIS_URL)


def broker_redis_client() -> redis.Redis:
    """The client for ``REDIS_URL``'s database, where Celery's queues are lists."""
    return _client(settings.REDIS_URL)


def redis_key(*parts: object) -> str:
    """A key in the shared Redis, under this deployment's prefix (``test`` in the tests)."""
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "peepers")
    return ":".join([str(prefix), *(str(part) for part in parts)])
