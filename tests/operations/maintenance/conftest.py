from __future__ import annotations

import importlib
import socket
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.apps import apps

from peepers.celery import app


@pytest.fixture(autouse=True)
def backup_dir(settings: Any, tmp_path: Path) -> Path:
    settings.BACKUP_DIR = tmp_path / "backups"
    return Path(settings.BACKUP_DIR)


@pytest.fixture
def schedule_migration() -> ModuleType:
    return importlib.import_module("operations.maintenance.migrations.0002_schedule")


@pytest.fixture
def installed_schedule(schedule_migration: ModuleType, db: None) -> None:
    """The beat entries as the data migration makes them (a committed test may have emptied
    the tables the session's migration filled)."""
    schedule_migration.schedule_install(apps, None)


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def celery_eager() -> Iterator[None]:
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = False
