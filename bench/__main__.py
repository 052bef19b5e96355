"""Run every benchmark, print its JSON and write it to bench/results/<name>.json."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

BENCHMARKS = [
    "tenant_provisioning",
    "ml_client",
    "ml_sync",
    "webhook_ingest",
    "stripe_webhook_ingest",
    "metrics_overhead",
    "pages",
]


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_ENV", "test")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peepers.settings")
    import django

    django.setup()
    from importlib import import_module

    import redis
    from django.conf import settings

    selected = argv or BENCHMARKS
    results_dir = Path(__file__).parent / "results"
    results_dir.mkdir(exist_ok=True)
    for name in selected:
        # Each benchmark starts on a fresh database, so its stores reuse the ids of the last
        # one's: whatever Redis remembers by store id (entitlements, say) must go too.
        for url in (settings.REDIS_URL, settings.CACHE_REDIS_URL):
            redis.Redis.from_url(url).flushdb()
        result = import_module(f"bench.{name}").run()
        text = json.dumps(result, indent=2)
        (results_dir / f"{name}.json").write_text(text + "\n")
        print(text, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
