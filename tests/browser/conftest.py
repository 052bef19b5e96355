"""A real Chromium (Debian's, installed by `make browser`) driven by Playwright, against the real
stack: gunicorn on the test database, the ML sandbox and the Stripe emulator."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.conf import settings
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    ViewportSize,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError

from billing.catalog import stripe_catalog_sync
from billing.models import Plan
from billing.sync import entitlement_forget
from core.tasks import QUEUES
from doubles.mercadolivre import SandboxConfig, SandboxServer
from doubles.stripe import EmulatorConfig, StripeEmulator
from tenants.models import Tenant
from tests.billing.support import SECRET_KEY, WEBHOOK_SECRET, Stripe
from tests.support.processes import celery_worker, free_port, queues_empty, web_server
from tests.support.sandbox import SandboxAdmin
from tests.support.waiting import wait_until

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 375, "height": 812}
WORKER_QUEUES = QUEUES  # tests.support.processes.celery_worker consumes them all
CHROMIUM_MISSING = (
    "Chromium is missing: run `make browser` (make test installs it for you with apt-get)."
)
CANNOT_INSTALL = (
    "\n" + "!" * 78 + "\n"
    "!! BROWSER TESTS SKIPPED: Chromium is not installed and this machine has no apt-get\n"
    "!! to install Debian's `chromium` package. Nothing in tests/browser was checked.\n" + "!" * 78
)

_saved_screenshots: list[Path] = []
_skipped_loudly: list[str] = []


# -- reports, so fixtures know whether their test failed ------------------------------------------

_reports_key = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    item.stash.setdefault(_reports_key, {})[report.when] = report
    return report


def _failed(request: pytest.FixtureRequest) -> bool:
    reports = request.node.stash.get(_reports_key, {})
    return any(report.failed for report in reports.values())


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _skipped_loudly:
        terminalreporter.write_line(CANNOT_INSTALL, red=True, bold=True)
    if _saved_screenshots:
        folders = sorted({path.parent for path in _saved_screenshots})
        terminalreporter.write_sep("-", f"browser screenshots: {len(_saved_screenshots)}")
        for folder in folders:
            terminalreporter.write_line(f"  {folder}/")


# -- the browser --------------------------------------------------------------------------------


@pytest.fixture(scope="package")
def playwright_driver() -> Iterator[Playwright]:
    binary = shutil.which("chromium")
    if binary is None:
        if shutil.which("apt-get") is None:
            _skipped_loudly.append(CANNOT_INSTALL)
            pytest.skip(CANNOT_INSTALL)
        pytest.fail(CHROMIUM_MISSING, pytrace=False)
    # Playwright's synchronous API keeps an event loop running on this thread; the ORM calls the
    # tests make around it are still synchronous and on one thread. Package scope: the variable
    # is gone again for the tests after these (`check --deploy` refuses it).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    driver = sync_playwright().start()
    try:
        yield driver
    finally:
        driver.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    launched = playwright_driver.chromium.launch(
        executable_path=shutil.which("chromium"),
        args=[
            "--no-sandbox",
            "--disable-dev-shm-usage",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    )
    try:
        yield launched
    finally:
        launched.close()


@dataclass
class Screenshots:
    """Full-page screenshots of a test's steps: ``artifacts/<test>/<NN-step>.png``."""

    folder: Path
    taken: list[Path] = field(default_factory=list)

    def take(self, page: Page, step: str) -> Path:
        slug = re.sub(r"[^a-z0-9]+", "-", step.lower()).strip("-")
        path = self.folder / f"{len(self.taken) + 1:02d}-{slug}.png"
        page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)
        _saved_screenshots.append(path)
        return path


@pytest.fixture
def screenshots(request: pytest.FixtureRequest) -> Screenshots:
    folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return Screenshots(folder)


# -- the Content-Security-Policy: no page may break it ---------------------------------------------

# Every document of the context reports what its policy refused, as it happens, to Python.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__peepersCspViolation({
    page: document.location.href,
    directive: event.effectiveDirective,
    blocked: event.blockedURI,
    sample: event.sample,
    source: event.sourceFile,
    line: event.lineNumber,
  });
});
"""

# Resolves after the tasks a page had queued, so the reports they sent reach Python before it.
SETTLE = "() => new Promise(resolve => setTimeout(resolve, 50))"


@dataclass
class CspViolations:
    """What the pages' Content-Security-Policy refused during a test: the browser's
    ``securitypolicyviolation`` events, and Chromium's console lines about refusals (which
    also cover what the page's own listener cannot see, such as a form's blocked redirect)."""

    events: list[dict[str, Any]] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def watch(self, context: BrowserContext) -> None:
        context.expose_binding(
            "__peepersCspViolation", lambda _source, report: self.events.append(report)
        )
        context.add_init_script(script=CSP_LISTENER)
        context.on("console", self._console)

    def _console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.console.append(f"{message.location.get('url', '?')}: {message.text}")

    def clear(self) -> None:
        self.events.clear()
        self.console.clear()

    def report(self) -> str:
        return "\n".join(
            [
                *(
                    f"{event['page']}: {event['directive']} refused {event['blocked']!r}"
                    f" ({event['source']}:{event['line']}) {event['sample']!r}"
                    for event in self.events
                ),
                *self.console,
            ]
        )


@pytest.fixture
def csp_violations() -> CspViolations:
    return CspViolations()


@pytest.fixture
def context(
    browser: Browser,
    screenshots: Screenshots,
    csp_violations: CspViolations,
    request: pytest.FixtureRequest,
) -> Iterator[BrowserContext]:
    """A fresh context (cookies, storage) per test; a screenshot of each open page on failure.
    The test fails if any page it visited broke the Content-Security-Policy."""
    fresh = browser.new_context(viewport=DESKTOP, accept_downloads=True, locale="en-US")
    fresh.set_default_timeout(15_000)
    fresh.set_default_navigation_timeout(30_000)
    csp_violations.watch(fresh)
    try:
        yield fresh
        for open_page in fresh.pages:
            try:
                open_page.evaluate(SETTLE)
            except PlaywrightError as exc:
                print(f"page {open_page.url} did not answer: {exc}")
    finally:
        refused = bool(csp_violations.events or csp_violations.console)
        if refused or _failed(request):
            for number, open_page in enumerate(fresh.pages):
                try:
                    screenshots.take(open_page, f"failure-{number}")
                except PlaywrightError as exc:
                    print(f"no failure screenshot of page {number}: {exc}")
        fresh.close()
    if refused:
        pytest.fail(
            "the Content-Security-Policy refused:\n" + csp_violations.report(), pytrace=False
        )


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


# -- the stack the browser talks to --------------------------------------------------------------


@dataclass(frozen=True)
class Stack:
    port: int
    public_url: str
    sandbox: SandboxAdmin
    stripe_emulator: StripeEmulator
    env: dict[str, str]

    def store_url(self, slug: str) -> str:
        return f"http://{slug}.{settings.PEEPERS_BASE_DOMAIN}:{self.port}"


@pytest.fixture(scope="package")
def stack(django_db_setup: None) -> Iterator[Stack]:
    """gunicorn on the test database, an ML sandbox whose redirect URI is its callback, and a
    Stripe emulator it bills through; the same settings go to the tests' Celery workers."""
    port = free_port()
    callback = f"http://{settings.PEEPERS_BASE_DOMAIN}:{port}/auth/callback"
    sandbox = SandboxServer(
        SandboxConfig(
            client_id=settings.ML_CLIENT_ID,
            client_secret=settings.ML_CLIENT_SECRET,
            redirect_uris=(callback,),
            sellers=2,
            items=8,
            orders=5,
            questions=3,
            seed=3,
            webhook_url=None,
        ),
        host="127.0.0.1",
        port=0,
    )
    sandbox.start()
    emulator = StripeEmulator(EmulatorConfig(webhook_secret=WEBHOOK_SECRET, retry_scale=0.01))
    emulator.start()
    env = {
        "ML_API_BASE": sandbox.url,
        "ML_AUTH_BASE": sandbox.url,
        "ML_REDIRECT_URI": callback,
        "STRIPE_API_BASE": emulator.url,
        "STRIPE_SECRET_KEY": SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_MAX_NETWORK_RETRIES": "0",
    }
    try:
        with web_server(port, **env) as public_url:
            _wait_for_a_worker(public_url)
            yield Stack(
                port=port,
                public_url=public_url,
                sandbox=SandboxAdmin(sandbox, settings.ML_CLIENT_SECRET),
                stripe_emulator=emulator,
                env=env,
            )
    finally:
        emulator.stop()
        sandbox.stop()


def _wait_for_a_worker(public_url: str, timeout: float = 90.0) -> None:
    """gunicorn listens before its workers have booted; the first page would wait for them."""

    def answers() -> bool:
        try:
            return httpx.get(f"{public_url}/api/ping", timeout=timeout).status_code == 200
        except httpx.HTTPError:
            return False

    if not wait_until(answers, timeout=timeout):
        raise RuntimeError(f"no gunicorn worker answered within {timeout:.0f}s")


@pytest.fixture
def live_server_url(committed_db: None, stack: Stack) -> str:
    """The public host's URL; the sandbox starts from its seed, and what the test commits to
    the database is put back after it."""
    stack.sandbox.reset()
    return stack.public_url


@pytest.fixture
def stripe(live_server_url: str, stack: Stack, settings: Any) -> Iterator[Stripe]:
    """The emulator, reset, with the plan catalogue synced into it and webhooks sent to the
    test server."""
    settings.STRIPE_API_BASE = stack.stripe_emulator.url
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = [WEBHOOK_SECRET]
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    with httpx.Client(base_url=stack.stripe_emulator.url, timeout=30) as http:
        emulator = Stripe(http=http, url=stack.stripe_emulator.url)
        emulator.admin("reset")
        for tenant_id in Tenant.objects.values_list("pk", flat=True):
            entitlement_forget(tenant_id)
        # Ids from another emulator run mean nothing to this one.
        Plan.objects.update(stripe_product_id="", stripe_price_id="", stripe_price_amount=None)
        stripe_catalog_sync()
        emulator.admin(
            "webhooks", {"url": f"{live_server_url}/api/webhook/stripe", "secret": WEBHOOK_SECRET}
        )
        try:
            yield emulator
        finally:
            emulator.admin("webhooks", {"url": None})


@pytest.fixture
def start_worker(live_server_url: str, stack: Stack) -> Iterator[Callable[[], None]]:
    """Starts a real Celery worker (test database and broker, the stack's settings) when the
    test calls it; it stops after the test."""
    queues_empty()  # what earlier tests queued with no worker running is not this test's
    with ExitStack() as workers:

        def start() -> None:
            workers.enter_context(celery_worker(**stack.env))

        yield start
