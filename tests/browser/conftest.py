"""A real Chromium (Debian's, installed by `make browser`) driving a real server."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator

import pytest
from django.conf import settings
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from integrations.mercadolivre.sandbox import SandboxConfig, SandboxServer
from tests.support.processes import free_port, web_server


@pytest.fixture(scope="session")
def chromium() -> Iterator[webdriver.Chrome]:
    binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not binary or not driver:
        pytest.fail("Chromium is missing: run `make browser` (make test does it for you)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    profile = tempfile.mkdtemp(prefix="peepers-chromium-")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
        "--window-size=1280,900",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    browser = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    browser.set_page_load_timeout(30)
    try:
        yield browser
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session")
def browser_sandbox() -> Iterator[tuple[SandboxServer, int]]:
    """An ML sandbox whose registered redirect URI is the test web server's callback."""
    port = free_port()
    server = SandboxServer(
        SandboxConfig(
            client_id=settings.ML_CLIENT_ID,
            client_secret=settings.ML_CLIENT_SECRET,
            redirect_uris=(f"http://localhost:{port}/auth/callback",),
            sellers=2,
            items=5,
            orders=3,
            questions=2,
            webhook_url=None,
        ),
        host="127.0.0.1",
        port=0,
    )
    server.start()
    try:
        yield server, port
    finally:
        server.stop()


@pytest.fixture(scope="session")
def _web_server(django_db_setup: None, browser_sandbox: tuple[SandboxServer, int]) -> Iterator[str]:
    sandbox, port = browser_sandbox
    with web_server(
        port,
        ML_API_BASE=sandbox.url,
        ML_AUTH_BASE=sandbox.url,
        ML_REDIRECT_URI=f"http://localhost:{port}/auth/callback",
    ) as url:
        yield url


@pytest.fixture
def live_server_url(committed_db: None, _web_server: str) -> str:
    """A gunicorn server on the test database; what the test commits is put back after it."""
    return _web_server
