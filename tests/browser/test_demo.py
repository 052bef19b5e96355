"""The first ten minutes, on a stack run as ``make dev`` runs it: a sandbox whose data ends now
and whose buyers keep ordering, notifications sent to the web server, a worker. The demo store
shows figures, a live order appears on its open overview, and a new store's checklist is
followed from connecting to inviting the team.

With ``PEEPERS_README_SCREENSHOT=1`` the demo overview's first screen is also saved as
``docs/images/overview.png``, the picture README opens with.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from django_tenants.utils import tenant_context
from playwright.sync_api import Page, expect

from doubles.mercadolivre import SandboxConfig, SandboxServer
from integrations.mercadolivre.models import MLAccount, MLOrder, SyncKind, SyncRun, SyncStatus
from tenants.demo import DEMO_PASSWORD, DEMO_STORE, NEW_STORE
from tenants.models import Tenant
from tests.browser.conftest import _wait_for_a_worker
from tests.browser.support import log_in
from tests.support.processes import celery_worker, free_port, queues_empty, web_server
from tests.support.waiting import wait_until

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
README_IMAGE = Path(settings.BASE_DIR) / "docs" / "images" / "overview.png"
# A buyer acts this often; quick enough for a test, as make dev's 60 s is for a person.
LIVE_SECONDS = 1.5


@dataclass(frozen=True)
class DevStack:
    port: int
    sandbox: SandboxServer

    def store_url(self, slug: str) -> str:
        return f"http://{slug}.{settings.PEEPERS_BASE_DOMAIN}:{self.port}"


def _clear_of_midnight_in_sao_paulo() -> None:
    """Today's figures start again at midnight in São Paulo: a journey that crossed it would
    compare two days, so one that would start in the day's last five minutes (what the stack's
    start and the journey's waits may take at worst) waits for the new day."""
    local = timezone.localtime(timezone.now(), SAO_PAULO)
    left = 86_400 - (local.hour * 3600 + local.minute * 60 + local.second)
    if left < 300:
        time.sleep(left + 5)


@pytest.fixture
def dev_stack(committed_db: None, settings) -> Iterator[DevStack]:
    _clear_of_midnight_in_sao_paulo()
    port = free_port()
    public = f"http://{settings.PEEPERS_BASE_DOMAIN}:{port}"
    callback = f"{public}/auth/callback"
    sandbox = SandboxServer(
        SandboxConfig(
            client_id=settings.ML_CLIENT_ID,
            client_secret=settings.ML_CLIENT_SECRET,
            redirect_uris=(callback,),
            sellers=2,
            items=20,
            orders=15,
            questions=4,
            seed=5,
            webhook_url=f"{public}/api/webhook/mercado-livre",
            data_end=timezone.now().replace(microsecond=0),
            live_seconds=LIVE_SECONDS,
        ),
        host="127.0.0.1",
        port=0,
    )
    sandbox.start()
    env = {"ML_API_BASE": sandbox.url, "ML_AUTH_BASE": sandbox.url, "ML_REDIRECT_URI": callback}
    # demo_connect runs in this process, as make dev runs it beside the servers.
    settings.ML_API_BASE = settings.ML_AUTH_BASE = sandbox.url
    settings.ML_REDIRECT_URI = callback
    queues_empty()
    try:
        with web_server(port, **env), celery_worker(**env):
            _wait_for_a_worker(public)
            yield DevStack(port=port, sandbox=sandbox)
    finally:
        sandbox.stop()


def _orders_today(page: Page) -> int:
    text = page.locator("#sales-today .muted").inner_text()
    found = re.search(r"\d+", text)
    assert found is not None, text
    return int(found.group())


def test_the_demo_is_alive_and_a_new_store_follows_its_checklist(page, dev_stack, screenshots):
    call_command("seed_demo", stdout=StringIO())
    call_command("demo_connect", stdout=StringIO(), stderr=StringIO())
    demo = Tenant.objects.get(schema_name=DEMO_STORE.slug)

    # The demo store opens on figures: today, the last 7 and 30 days all sold something.
    demo_url = dev_stack.store_url(DEMO_STORE.slug)
    page.clock.install()  # the overview's refresh timer runs on a clock the test moves
    log_in(page, demo_url, DEMO_STORE.owner, DEMO_PASSWORD)
    for period in ("today", "7d", "30d"):
        expect(page.locator(f"#sales-{period} .stat-value")).not_to_have_text("R$ 0,00")
    screenshots.take(page, "demo-overview")
    if os.environ.get("PEEPERS_README_SCREENSHOT"):
        page.screenshot(path=str(README_IMAGE))  # the first screen, as README shows it
    before = _orders_today(page)
    page.evaluate("window.peepersStillHere = true")  # a reload would lose it

    # A sandbox buyer orders; ML's notification reaches the webhook and the worker fetches it.
    since = timezone.now()

    def live_order_stored() -> bool:
        with tenant_context(demo):
            return MLOrder.objects.filter(date_created__gte=since, status="paid").exists()

    assert wait_until(live_order_stored, timeout=60), "no live order reached the demo store"
    page.clock.run_for("00:31")
    expect(page.locator("#sales-today .muted")).not_to_have_text(
        re.compile(rf"^\s*{before} orders?\s*$")
    )
    assert _orders_today(page) > before
    assert page.evaluate("window.peepersStillHere") is True
    screenshots.take(page, "demo-overview-live-order")

    # The new store: its checklist leads from connecting to inviting the team.
    new_url = dev_stack.store_url(NEW_STORE.slug)
    log_in(page, new_url, NEW_STORE.owner, DEMO_PASSWORD)
    checklist = page.locator("#checklist")
    expect(checklist).to_be_visible()
    expect(page.locator("#step-connect")).to_have_class("open")
    expect(page.locator("#step-plan a")).to_have_attribute("href", "/billing/")
    screenshots.take(page, "new-store-checklist")

    page.locator("#connect-form button").click()
    second = dev_stack.sandbox.state.sellers[1]
    page.locator(f"input[name=sandbox_user_id][value='{second.id}']").check()
    page.locator("button[value=approve]").click()
    page.wait_for_url(re.compile(rf"^{re.escape(new_url)}/"))

    new = Tenant.objects.get(schema_name=NEW_STORE.slug)

    def first_sync_done() -> bool:
        with tenant_context(new):
            return SyncRun.objects.filter(
                kind=SyncKind.INITIAL, status=SyncStatus.SUCCEEDED
            ).exists()

    assert wait_until(first_sync_done, timeout=60), "the new store's first sync did not finish"
    page.goto(f"{new_url}/")
    expect(page.locator("#step-connect")).to_have_class("done")
    expect(page.locator("#step-sync")).to_have_class("done")
    expect(page.locator("#step-team")).to_have_class("open")

    page.locator("#step-team a").click()
    page.wait_for_url(f"{new_url}/team/")
    page.get_by_label("E-mail").fill("colleague@nova.example.com")
    page.get_by_role("button", name="Send invitation").click()
    page.goto(f"{new_url}/")
    expect(page.locator("#step-team")).to_have_class("done")
    screenshots.take(page, "new-store-checklist-followed")
    with tenant_context(new):
        assert MLAccount.objects.get().ml_user_id == second.id


def test_readme_opens_with_the_overview_the_browser_tests_take():
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    first_screen = "\n".join(readme.splitlines()[:15])
    assert "docs/images/overview.png" in first_screen
    assert README_IMAGE.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
