"""A new seller's first hour in a real browser, through the real stack: sign up, connect Mercado
Livre (sandbox), watch the initial sync, products, orders, answer a question, subscribe (Stripe
emulator checkout + webhooks), revoke a consent, download their data; then staff file, verify
and carry out a buyer's erasure, and a full sync does not bring the buyer back."""

import io
import json
import re
import zipfile

from django.core.management import call_command
from django_tenants.utils import tenant_context
from playwright.sync_api import Page, expect

from billing.models import EventStatus, StripeEvent, SubscriptionMirror
from compliance.models import DataSubjectRequest
from integrations.mercadolivre.models import MLAccount
from tenants.models import Tenant
from tests.factories.users import STAFF_EMAIL, STAFF_PASSWORD
from tests.support.waiting import wait_until
from users.models import User

SLUG = "loja-jornada"
EMAIL = "jornada@example.com"
PASSWORD = "a-long-enough-password-9"
# Each Mercado Livre call takes this long while the initial sync runs (see the sync step).
SLOW_ML_MS = 2_000
SYNC_TIMEOUT_MS = 60_000


def nav(page: Page, name: str) -> None:
    """Follow a link of the main navigation and wait for its page."""
    link = page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True)
    path = link.get_attribute("href") or ""
    link.click()
    page.wait_for_url(re.compile(rf"^https?://[^/]+{re.escape(path)}$"))


def webhooks_settled(tenant: Tenant) -> bool:
    events = StripeEvent.objects.filter(tenant_id=tenant.pk)
    return events.exists() and not events.exclude(status=EventStatus.PROCESSED).exists()


def test_a_new_seller_goes_from_signup_to_downloading_their_data(
    page, live_server_url, stack, stripe, start_worker, screenshots, settings
):
    sandbox_state = stack.sandbox.server.state
    seller = sandbox_state.sellers[0]
    store = stack.store_url(SLUG)

    # Sign up on the public host, as a visitor would.
    page.goto(f"{live_server_url}/signup/")
    screenshots.take(page, "signup")
    page.get_by_label("Store name").fill("Loja Jornada")
    page.get_by_label("Store address").fill(SLUG)
    page.get_by_label("E-mail").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Plan").select_option("starter")
    page.get_by_label("I accept the terms of service").check()
    page.get_by_role("button", name="Create store").click()

    page.wait_for_url(f"{store}/")
    expect(page.locator("main h1")).to_have_text("Welcome to Loja Jornada")
    screenshots.take(page, "overview-new-store")
    tenant = Tenant.objects.get(schema_name=SLUG)

    # The checklist of first steps, all open; the overview's button goes straight to the
    # sandbox's consent page, then back on the store.
    expect(page.locator("#checklist li.open")).to_have_count(4)
    page.get_by_role("main").get_by_role("button", name="Connect Mercado Livre").click()
    page.wait_for_url(f"{stack.sandbox.server.url}/**")
    page.locator(f"input[name=sandbox_user_id][value='{seller.id}']").check()
    screenshots.take(page, "sandbox-consent")
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{store}/settings/mercado-livre/?connected=1")
    expect(page.get_by_role("main")).to_contain_text(seller.nickname)
    screenshots.take(page, "ml-connected")

    # The sync page follows the initial sync by itself, from queued (no worker is running yet)
    # through running, with its progress, until it has finished. Mercado Livre answers slowly
    # here, so the sync runs long enough for the page's 2-second polls to see it.
    nav(page, "Sync")
    expect(page.locator("#sync-pending")).to_be_visible()
    screenshots.take(page, "sync-queued")
    stack.sandbox.faults(latency_ms=SLOW_ML_MS)
    start_worker()
    expect(page.locator("#sync-running")).to_be_visible(timeout=SYNC_TIMEOUT_MS)
    expect(page.locator("#runs tbody tr.run-running progress").first).to_be_visible(
        timeout=SYNC_TIMEOUT_MS
    )
    screenshots.take(page, "sync-running")
    finished = page.locator("#runs tbody tr.run-succeeded", has_text="Initial")
    expect(finished).to_be_visible(timeout=SYNC_TIMEOUT_MS)
    expect(page.locator("#sync-pending, #sync-running")).to_have_count(0)
    stack.sandbox.faults(latency_ms=0)
    screenshots.take(page, "sync-finished")

    # The overview now has the store's numbers.
    orders = [
        order for order in sandbox_state.dataset.orders.values() if order.seller_id == seller.id
    ]
    nav(page, "Overview")
    expect(page.locator("#ml-health .stat-value")).to_have_text("Connected")
    expect(page.locator("#ml-health")).to_contain_text("Last successful sync")
    expect(page.locator("#step-connect.done, #step-sync.done")).to_have_count(2)
    screenshots.take(page, "overview-synced")

    # Products: the sandbox seller's items, and a search that finds one of them.
    items = [item for item in sandbox_state.dataset.items.values() if item.seller_id == seller.id]
    nav(page, "Products")
    rows = page.locator("#products tbody tr")
    expect(rows).to_have_count(len(items))
    screenshots.take(page, "products")
    wanted = items[0]
    # The first word of its title that no other item has, or its whole title.
    words = [
        w
        for w in re.findall(r"\w{4,}", wanted.title)
        if not any(w.lower() in other.title.lower() for other in items if other is not wanted)
    ]
    page.get_by_role("search").get_by_label("Search").fill(words[0] if words else wanted.title)
    page.get_by_role("search").get_by_role("button", name="Filter").click()
    expect(page.locator(f"#item-{wanted.id}")).to_be_visible()
    expect(rows).to_have_count(1)
    screenshots.take(page, "products-search")

    # Orders: the list, then one order's page.
    nav(page, "Orders")
    order_rows = page.locator("#orders tbody tr")
    expect(order_rows).to_have_count(len(orders))
    screenshots.take(page, "orders")
    first = order_rows.first.get_by_role("link").first
    order_label = first.inner_text()
    first.click()
    expect(page.locator("#order-title")).to_have_text(f"Order {order_label.lstrip('#')}")
    expect(page.locator("#order-items tbody tr").first).to_be_visible()
    screenshots.take(page, "order-detail")

    # Questions: answer one inline; it moves to answered, and ML (the sandbox) has the answer.
    nav(page, "Questions")
    screenshots.take(page, "questions")
    question = page.locator("article.question", has=page.locator("textarea")).first
    question_id = int((question.get_attribute("id") or "").removeprefix("question-"))
    answer = "Olá! Sim, temos em estoque e enviamos no mesmo dia."
    question.locator("textarea").fill(answer)
    question.get_by_role("button", name="Send answer").click()
    answered = page.locator(f"#question-{question_id}")
    expect(answered.locator(".answer")).to_contain_text(answer)
    expect(answered.locator("textarea")).to_have_count(0)
    screenshots.take(page, "question-answered")
    ml_question = sandbox_state.dataset.questions[question_id]
    assert ml_question.answer is not None
    assert ml_question.answer.text == answer

    # Billing: subscribe, pay on the emulator's hosted checkout, come back to an active plan.
    nav(page, "Billing")
    expect(page.locator("#subscription-status")).to_have_text("No subscription")
    screenshots.take(page, "billing")
    page.locator("#subscribe-pro").click()
    page.wait_for_url(f"{stack.stripe_emulator.url}/**")
    expect(page.locator("#line-item")).to_contain_text("Pro")
    screenshots.take(page, "stripe-checkout")
    page.locator("#pay-card").click()
    page.wait_for_url(f"{store}/billing/")
    expect(page.locator("ul.messages")).to_contain_text("Your store is now on Pro")
    # The webhooks then reach the server and the worker applies them.
    assert wait_until(lambda: webhooks_settled(tenant)), list(
        StripeEvent.objects.filter(tenant_id=tenant.pk).values_list("event_type", "status")
    )
    page.reload()
    expect(page.locator("#current-plan")).to_have_text("Pro")
    # A store that never subscribed keeps what is left of its signup trial.
    expect(page.locator("#subscription-status")).to_have_text("Trialing")
    expect(
        page.get_by_role("row", name=re.compile("^Pro")).get_by_text("Current plan")
    ).to_be_visible()
    screenshots.take(page, "billing-subscribed")
    tenant.refresh_from_db()
    assert tenant.plan_code == "pro"
    assert SubscriptionMirror.objects.get(tenant=tenant).status == "trialing"

    # Privacy: grant a consent, then revoke it with one click.
    nav(page, "Privacy")
    screenshots.take(page, "privacy")
    grant = page.locator("#consents button[id^=grant-]").first
    purpose = (grant.get_attribute("id") or "").removeprefix("grant-")
    grant.click()
    row = page.locator(f"#purpose-{purpose}")
    expect(row.locator(".consent-status")).to_contain_text("Granted")
    row.locator(f"#revoke-{purpose}").click()
    expect(row.locator(".consent-status")).to_contain_text("Revoked")
    expect(row.locator(f"#grant-{purpose}")).to_be_visible()
    screenshots.take(page, "consent-revoked")

    # Download my data: the export link gives a zip of the store's data about this owner.
    page.locator("#download-my-data").click()
    link = page.locator("#export-link a")
    expect(link).to_be_visible()
    screenshots.take(page, "export-ready")
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    saved = screenshots.folder / download.suggested_filename
    download.save_as(saved)
    assert saved.suffix == ".zip"
    with zipfile.ZipFile(io.BytesIO(saved.read_bytes())) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
        consents = json.loads(archive.read("consent_ConsentRecord.json"))
        ml_accounts = json.loads(archive.read("mercadolivre_MLAccount.json"))
    assert manifest["store"]["name"] == "Loja Jornada"
    assert manifest["subject"] == EMAIL
    exported = {entry["model"]: entry["rows"] for entry in manifest["models"]}
    assert exported["users.User"] == 1
    assert exported["consent.ConsentRecord"] == len(consents) == 2  # granted, then revoked
    assert exported["billing.CheckoutAttempt"] == 1
    assert [account["nickname"] for account in ml_accounts] == [seller.nickname]
    print(f"data export: {saved} ({len(names)} files)")
    with tenant_context(tenant):
        assert MLAccount.objects.get().ml_user_id == seller.id

    # A buyer asks (by a Mercado Livre message) to have their data erased. Staff file the
    # request, record how they verified who asked, and carry it out from the admin.
    buyer = orders[0].buyer
    theirs = orders[0]
    pages_naming_the_buyer = ["/orders/", "/api/v1/orders/", f"/orders/{theirs.id}/"]
    for path in pages_naming_the_buyer:  # before the erasure they do
        page.goto(f"{store}{path}")
        assert buyer.nickname in page.content(), path
    User.objects.create_superuser(STAFF_EMAIL, STAFF_PASSWORD)
    staff = page.context.new_page()
    staff.goto(f"{live_server_url}/admin/")
    staff.locator("[name=username]").fill(STAFF_EMAIL)
    staff.locator("[name=password]").fill(STAFF_PASSWORD)
    staff.locator("#login-form [type=submit]").click()
    staff.goto(f"{live_server_url}/admin/compliance/datasubjectrequest/add/")
    staff.get_by_label("Store").select_option(str(tenant.pk))
    staff.get_by_label("Buyer").fill(buyer.nickname)
    staff.get_by_label("Request").select_option("erasure")
    staff.get_by_label("Received by").select_option("ML message")
    staff.get_by_role("button", name="File the request").click()
    expect(staff.locator("ul.messagelist")).to_contain_text("filed; answer due")
    request = DataSubjectRequest.objects.get(tenant=tenant, subject_ml_user_id=buyer.id)
    screenshots.take(staff, "staff-filed-erasure")

    staff.goto(f"{live_server_url}/admin/compliance/datasubjectrequest/{request.pk}/verify/")
    staff.get_by_label("How the identity was verified").select_option("ml_message")
    staff.get_by_role("button", name="Record the verification").click()
    expect(staff.locator("ul.messagelist")).to_contain_text("identity verified")

    staff.goto(f"{live_server_url}/admin/compliance/datasubjectrequest/")
    staff.locator(f"input.action-select[value='{request.pk}']").check()
    staff.locator("select[name=action]").select_option("erase_data")
    staff.get_by_role("button", name="Go").click()
    expect(staff.locator("ul.messagelist")).to_contain_text("erased")
    screenshots.take(staff, "staff-erased")
    request.refresh_from_db()
    assert request.status == "completed"

    # A full sync reads every order from Mercado Livre again, the buyer's included.
    settings.ML_API_BASE = stack.env["ML_API_BASE"]
    settings.ML_AUTH_BASE = stack.env["ML_AUTH_BASE"]
    call_command("initial_sync", "--tenant-id", str(tenant.public_id), "--full-sync")

    # The buyer is nowhere on the store's pages or in its API; their order is still there.
    names = [buyer.nickname, buyer.first_name, buyer.last_name]
    for path in ["/questions/", *pages_naming_the_buyer]:
        response = page.goto(f"{store}{path}")
        assert response is not None
        assert response.status == 200, path
        body = page.content()
        assert not [name for name in names if name in body], path
    expect(page.locator("#order-title")).to_contain_text(str(theirs.id))
    screenshots.take(page, "order-after-erasure")
