"""Retention fixtures: the seeded policies (a committed test's reset truncates them), a private
MEDIA_ROOT, and rows past and within their periods."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime

import pytest

from compliance.retention.models import RetentionPolicy

# Real time: the audit log's own purge measures its legal floor from the wall clock.
NOW = datetime.now(UTC).replace(microsecond=0)
SEED = importlib.import_module("compliance.retention.migrations.0002_seed_policies")


def policies_seed() -> None:
    for category, days, reason in SEED.DEFAULTS:
        RetentionPolicy.objects.update_or_create(
            category=category, defaults={"keep_days": days, "legal_basis": reason, "active": True}
        )


@pytest.fixture
def policies(db: None) -> None:
    policies_seed()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT
