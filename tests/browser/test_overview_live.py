"""The overview and the sync page keep themselves current while open: an order or a notification
that arrives shows without a reload."""

from django.utils import timezone
from playwright.sync_api import expect

from tenants.models import Tenant
from tests.browser.support import log_in
from tests.dashboard.support import account_connect, orders_seed
from tests.factories.inbox import ml_notification


def test_a_new_order_appears_on_the_open_overview_without_a_reload(
    page, live_server_url, stack, screenshots
):
    tenant = Tenant.objects.get(schema_name="tenant-a")
    account = account_connect(tenant, ml_user_id=111)
    store = stack.store_url("tenant-a")
    # The page's timers run on a clock the test moves: no waiting out the 30 s interval.
    page.clock.install()
    log_in(page, store)
    today = page.locator("#sales-today")
    expect(today).to_contain_text("0 orders")
    # Set on this document: a reload would lose it.
    page.evaluate("window.peepersStillHere = true")

    orders_seed(
        tenant,
        1,
        first_id=9_100_000,
        nickname="LIVE",
        created=timezone.now(),
        total_cents=12_345,
        account=account,
    )

    page.clock.run_for("00:29")
    expect(today).to_contain_text("R$ 0,00")
    page.clock.run_for("00:02")
    expect(today).to_contain_text("R$ 123,45")
    expect(today).to_contain_text("1 order")
    assert page.evaluate("window.peepersStillHere") is True
    screenshots.take(page, "overview-updated")


def test_a_notification_arriving_shows_on_the_open_sync_page(page, live_server_url, stack):
    tenant = Tenant.objects.get(schema_name="tenant-a")
    account_connect(tenant, ml_user_id=111)
    store = stack.store_url("tenant-a")
    page.clock.install()
    log_in(page, store)
    page.goto(f"{store}/sync/")
    expect(page.locator("#sync-events")).to_contain_text("No notifications here yet.")

    ml_notification(
        dedup_key="live-1", resource="/orders/9100001", ml_user_id=111, payload={}, tenant=tenant
    ).save(force_insert=True)
    page.clock.run_for("00:31")

    expect(page.locator("#notifications")).to_contain_text("/orders/9100001")
