"""A small HTTP/1.1 load generator on asyncio streams, for loopback benchmarks.

Open loop (``at_rate``): request *i* is due at ``start + i / rate`` whatever happened before,
and its latency counts from when it was due, so a slow server cannot hide its queueing
(no coordinated omission). Closed loop (``saturate``): ``connections`` clients send back to
back, for the highest throughput the server sustains.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    elapsed: float = 0.0

    def record(self, status: int, latency: float) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.latencies.append(latency)

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def percentile_ms(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return 0.0
        return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000, 2)

    def summary(self) -> dict[str, object]:
        ordered = sorted(self.latencies)
        pct = self.percentile_ms

        done = len(self.latencies)
        return {
            "requests": done,
            "errors": self.errors + sum(n for s, n in self.statuses.items() if s >= 400),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "throughput_rps": round(self.throughput, 1),
            "p50_ms": pct(0.50),
            "p95_ms": pct(0.95),
            "p99_ms": pct(0.99),
            "max_ms": round(ordered[-1] * 1000, 2) if ordered else 0.0,
            "mean_ms": round(statistics.fmean(ordered) * 1000, 2) if ordered else 0.0,
        }


class _Connection:
    """One HTTP/1.1 connection, reopened when the server closes it (gunicorn sync workers
    answer ``Connection: close``; opening a connection is then part of every request, as it
    is for ML's notifier)."""

    def __init__(self, address: tuple[str, int]) -> None:
        self.address = address
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def exchange(self, request: bytes) -> int:
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection(*self.address)
        self.writer.write(request)
        await self.writer.drain()
        status_line = await self.reader.readline()
        status = int(status_line.split(b" ", 2)[1])
        length, close, chunked = 0, False, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            header, value = name.strip().lower(), value.strip().lower()
            if header == b"content-length":
                length = int(value)
            elif header == b"connection" and value == b"close":
                close = True
            elif header == b"transfer-encoding" and value == b"chunked":
                chunked = True
        if chunked:
            while (size := int((await self.reader.readline()).strip(), 16)) > 0:
                await self.reader.readexactly(size + 2)
            await self.reader.readline()
        elif length:
            await self.reader.readexactly(length)
        if close:
            self.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def build_request(
    method: str,
    host: str,
    path: str,
    body: bytes = b"",
    *,
    headers: dict[str, str] | None = None,
    keep_alive: bool = True,
) -> bytes:
    """One request's bytes. ``keep_alive=False`` asks the server to close the connection
    after answering: the next request opens a new one, as a proxy in front sends them."""
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: {host}",
        f"Connection: {'keep-alive' if keep_alive else 'close'}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
    ]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _pool(address: tuple[str, int], count: int) -> asyncio.Queue[_Connection]:
    pool: asyncio.Queue[_Connection] = asyncio.Queue()
    for _ in range(count):
        pool.put_nowait(_Connection(address))
    return pool


async def _at_rate(
    address: tuple[str, int],
    make: Callable[[int], bytes],
    rate: float,
    seconds: float,
    connections: int,
) -> Results:
    results = Results()
    pool = _pool(address, connections)
    total = int(rate * seconds)
    start = time.perf_counter() + 0.05

    async def one(index: int, due: float) -> None:
        connection = await pool.get()
        try:
            status = await connection.exchange(make(index))
            results.record(status, time.perf_counter() - due)
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            results.errors += 1
            connection.close()
        finally:
            pool.put_nowait(connection)

    # One scheduler starts each request when it is due: thousands of sleeping coroutines
    # would slow the event loop itself and show up as server latency.
    running: set[asyncio.Task[None]] = set()
    for index in range(total):
        due = start + index / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(index, due))
        running.add(task)
        task.add_done_callback(running.discard)
    await asyncio.gather(*running)
    results.elapsed = time.perf_counter() - start
    return results


async def _closed_loop(
    address: tuple[str, int],
    make: Callable[[int], bytes],
    connections: int,
    *,
    seconds: float | None = None,
    total: int | None = None,
) -> Results:
    """``connections`` clients, each sending its next request when the last one answered,
    for ``seconds`` or until ``total`` requests were sent between them."""
    results = Results()
    counter = iter(range(total if total is not None else 10**9))
    stop = time.perf_counter() + seconds if seconds is not None else float("inf")

    async def client() -> None:
        connection = _Connection(address)
        for index in counter:
            if time.perf_counter() >= stop:
                break
            sent = time.perf_counter()
            try:
                status = await connection.exchange(make(index))
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                results.errors += 1
                connection.close()
                continue
            results.record(status, time.perf_counter() - sent)
        connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(connections)))
    results.elapsed = time.perf_counter() - started
    return results


def at_rate(
    address: tuple[str, int],
    make: Callable[[int], bytes],
    *,
    rate: float,
    seconds: float,
    connections: int = 64,
) -> Results:
    return asyncio.run(_at_rate(address, make, rate, seconds, connections))


def saturate(
    address: tuple[str, int], make: Callable[[int], bytes], *, seconds: float, connections: int = 16
) -> Results:
    return asyncio.run(_closed_loop(address, make, connections, seconds=seconds))


def closed_loop(
    address: tuple[str, int], make: Callable[[int], bytes], *, total: int, connections: int
) -> Results:
    """``total`` requests shared by ``connections`` clients sending back to back."""
    return asyncio.run(_closed_loop(address, make, connections, total=total))
