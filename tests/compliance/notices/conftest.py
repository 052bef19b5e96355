"""The seeded purposes, put back after database resets (committed-db tests truncate public)."""

import importlib

import pytest
from django.apps import apps

seed_migration = importlib.import_module("compliance.notices.migrations.0002_seed_purposes")


@pytest.fixture(autouse=True)
def purposes(request):
    # Committed-db tests must not also get the per-test transaction of ``db``.
    committed = "committed_db" in request.fixturenames
    request.getfixturevalue("committed_db" if committed else "db")
    seed_migration.seed(apps)
