"""An owner connects Mercado Livre in a real browser: store → sandbox consent page → store."""

from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from integrations.mercadolivre.models import MLAccount, MLAccountStatus
from tenants.models import Tenant
from tests.browser.support import log_in


def test_owner_connects_mercado_livre_through_the_consent_page(
    page, live_server_url, stack, screenshots
):
    store = stack.store_url("tenant-a")
    seller = stack.sandbox.sellers[1]
    log_in(page, store)

    page.goto(f"{store}/settings/mercado-livre/")
    screenshots.take(page, "ml-settings")
    page.get_by_role("button", name="Connect Mercado Livre", exact=True).click()
    page.wait_for_url(f"{stack.sandbox.server.url}/**")
    screenshots.take(page, "sandbox-consent")
    page.locator(f"input[name=sandbox_user_id][value='{seller.id}']").check()
    page.locator("button[value=approve]").click()

    page.wait_for_url("**/settings/mercado-livre/?connected=1")
    assert page.url.startswith(f"{store}/settings/mercado-livre/")
    main = page.locator("main")
    expect(main).to_contain_text("Connected. Peepers can now sync this account.")
    expect(main).to_contain_text(seller.nickname)
    screenshots.take(page, "connected")
    with tenant_context(Tenant.objects.get(schema_name="tenant-a")):
        assert MLAccount.objects.get().status == MLAccountStatus.ACTIVE


def test_denying_on_the_consent_page_shows_a_clear_page(page, live_server_url, stack, screenshots):
    store = stack.store_url("tenant-a")
    log_in(page, store)

    page.goto(f"{store}/settings/mercado-livre/")
    page.get_by_role("button", name="Connect Mercado Livre", exact=True).click()
    page.wait_for_url(f"{stack.sandbox.server.url}/**")
    page.locator("button[value=deny]").click()

    page.wait_for_url("**/auth/callback?**")
    expect(page.locator("main")).to_contain_text("You did not authorize Peepers")
    screenshots.take(page, "denied")
