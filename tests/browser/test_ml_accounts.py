"""An owner connects two Mercado Livre sellers to one store in a real browser (the sandbox's
"Not you?" switch between them), sees both accounts and both sellers' products, filters the
products by account, then disconnects the second."""

from django_tenants.utils import tenant_context
from playwright.sync_api import Page, expect

from integrations.mercadolivre.models import MLAccount, MLAccountStatus, MLItem
from integrations.mercadolivre.sync import ml_sync_initial
from tenants.models import Tenant
from tests.browser.support import log_in
from tests.support.billing import subscription_set


def back_connected(page: Page, store: str) -> None:
    page.locator("button[value=approve]").click()
    page.wait_for_url(f"{store}/settings/mercado-livre/?connected=1")


def test_owner_connects_a_second_seller_and_disconnects_it(
    page, live_server_url, stack, screenshots, settings
):
    settings.ML_API_BASE = settings.ML_AUTH_BASE = stack.sandbox.server.url
    settings.ML_REDIRECT_URI = stack.env["ML_REDIRECT_URI"]
    tenant = Tenant.objects.get(schema_name="tenant-a")
    subscription_set(tenant, "active", plan_code="pro")  # two accounts
    first, second = stack.sandbox.sellers[0], stack.sandbox.sellers[1]
    store = stack.store_url("tenant-a")
    log_in(page, store)

    # The first seller, then its initial sync (here, in this process).
    page.goto(f"{store}/settings/mercado-livre/")
    page.get_by_role("button", name="Connect Mercado Livre", exact=True).click()
    page.wait_for_url(f"{stack.sandbox.server.url}/**")
    page.locator(f"input[name=sandbox_user_id][value='{first.id}']").check()
    back_connected(page, store)
    ml_sync_initial(tenant=tenant, ml_user_id=first.id)

    # Another account: ML remembers the first seller; "Not you?" signs in as the second.
    page.get_by_role("button", name="Connect another account").click()
    page.wait_for_url(f"{stack.sandbox.server.url}/**")
    expect(page.locator("#sandbox-signed-in")).to_contain_text(first.nickname)
    page.locator("a#sandbox-switch-account").click()
    page.locator(f"input[name=sandbox_user_id][value='{second.id}']").check()
    screenshots.take(page, "sandbox-switched")
    back_connected(page, store)
    ml_sync_initial(tenant=tenant, ml_user_id=second.id)

    page.reload()
    main = page.locator("main")
    expect(main).to_contain_text("2 of 2 accounts on the Pro plan.")
    expect(page.locator(f"#ml-account-{first.id}")).to_contain_text(first.nickname)
    expect(page.locator(f"#ml-account-{second.id}")).to_contain_text(second.nickname)
    expect(page.get_by_role("button", name="Connect another account")).to_have_count(0)
    screenshots.take(page, "two-accounts")

    # Products: both sellers' listings, side by side.
    with tenant_context(tenant):
        items = dict(MLItem.objects.values_list("id", "account__ml_user_id"))
    assert set(items.values()) == {first.id, second.id}
    page.goto(f"{store}/products/")
    expect(page.locator("#products tbody tr")).to_have_count(len(items))
    for seller_id in (first.id, second.id):
        one = next(item_id for item_id, owner in items.items() if owner == seller_id)
        expect(page.locator(f"#item-{one}")).to_be_visible()
    screenshots.take(page, "products-of-both")

    # Filtered by account: only the second seller's listings.
    page.locator("select#id_account").select_option(str(second.id))
    seconds = [item_id for item_id, owner in items.items() if owner == second.id]
    firsts = [item_id for item_id, owner in items.items() if owner == first.id]
    expect(page.locator("#products tbody tr")).to_have_count(len(seconds))
    expect(page.locator(f"#item-{seconds[0]}")).to_be_visible()
    expect(page.locator(f"#item-{firsts[0]}")).to_have_count(0)
    screenshots.take(page, "products-of-one-account")

    # Disconnect the second: what happens is said first; then it leaves the connected list.
    page.goto(f"{store}/settings/mercado-livre/")
    card = page.locator(f"#ml-account-{second.id}")
    card.get_by_text("Disconnect this account").click()
    expect(card.get_by_role("link", name="Export its orders (CSV) first")).to_be_visible()
    card.get_by_role("button", name=f"Disconnect {second.nickname}").click()
    page.wait_for_url(f"{store}/settings/mercado-livre/")
    expect(page.locator(f"#ml-account-{second.id}")).to_have_count(0)
    expect(page.locator(f"#ml-account-{first.id}")).to_be_visible()
    expect(page.locator("#ml-accounts-disconnected")).to_contain_text(second.nickname)
    screenshots.take(page, "second-disconnected")
    with tenant_context(tenant):
        assert dict(MLAccount.objects.values_list("ml_user_id", "status")) == {
            first.id: MLAccountStatus.ACTIVE,
            second.id: MLAccountStatus.DISCONNECTED,
        }
        assert MLItem.objects.filter(account__ml_user_id=second.id).count() == len(seconds)
