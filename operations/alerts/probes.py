"""What the evaluator measures itself on each run: health probes (uptime) and queue depth."""

from __future__ import annotations

from core.metrics import metric_count, metric_gauges, metric_labels
from core.tasks import queue_depths
from operations.health import run_checks


def health_probe() -> dict[str, dict[str, object]]:
    """Run the /api/health checks once and count each outcome (``health_probe``)."""
    results = run_checks()
    for name, result in results.items():
        metric_count("health_probe", {"check": name, "outcome": "up" if result["ok"] else "down"})
    healthy = all(result["ok"] for result in results.values())
    metric_count("health_probe", {"check": "all", "outcome": "up" if healthy else "down"})
    return results


def queue_depth_record() -> dict[str, int] | None:
    depths = queue_depths()
    if depths is not None:
        metric_gauges(
            "queue_depth", {metric_labels({"queue": q}): float(n) for q, n in depths.items()}
        )
    return depths
