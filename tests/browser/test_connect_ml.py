"""An owner connects Mercado Livre in a real browser: store → sandbox consent page → store."""

from django_tenants.utils import tenant_context
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from integrations.mercadolivre.models import MLAccount, MLAccountStatus
from tenants.models import Tenant
from tests.support.db import OWNER_PASSWORD


def log_in(browser, base_url):
    browser.get(f"{base_url}/login/")
    browser.find_element(By.NAME, "username").send_keys("owner@a.example.com")
    browser.find_element(By.NAME, "password").send_keys(OWNER_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(browser, 20).until(expected_conditions.url_to_be(f"{base_url}/"))


def test_owner_connects_mercado_livre_through_the_consent_page(
    chromium, live_server_url, browser_sandbox
):
    sandbox, port = browser_sandbox
    store = f"http://tenant-a.localhost:{port}"
    seller = sandbox.state.sellers[1]
    log_in(chromium, store)

    chromium.get(f"{store}/settings/mercado-livre/")
    chromium.find_element(By.XPATH, "//button[normalize-space()='Connect Mercado Livre']").click()
    WebDriverWait(chromium, 20).until(expected_conditions.url_contains(sandbox.url))
    chromium.find_element(
        By.CSS_SELECTOR, f"input[name=sandbox_user_id][value='{seller.id}']"
    ).click()
    chromium.find_element(By.CSS_SELECTOR, "button[value=approve]").click()

    WebDriverWait(chromium, 30).until(expected_conditions.url_contains("connected=1"))
    assert chromium.current_url.startswith(f"{store}/settings/mercado-livre/")
    page = chromium.find_element(By.TAG_NAME, "main").text
    assert "Connected. Peepers can now sync this account." in page
    assert seller.nickname in page
    with tenant_context(Tenant.objects.get(schema_name="tenant-a")):
        assert MLAccount.objects.get().status == MLAccountStatus.ACTIVE


def test_denying_on_the_consent_page_shows_a_clear_page(chromium, live_server_url, browser_sandbox):
    sandbox, port = browser_sandbox
    store = f"http://tenant-a.localhost:{port}"
    log_in(chromium, store)

    chromium.get(f"{store}/settings/mercado-livre/")
    chromium.find_element(By.XPATH, "//button[normalize-space()='Connect Mercado Livre']").click()
    WebDriverWait(chromium, 20).until(expected_conditions.url_contains(sandbox.url))
    chromium.find_element(By.CSS_SELECTOR, "button[value=deny]").click()

    WebDriverWait(chromium, 30).until(expected_conditions.url_contains("/auth/callback"))
    assert "You did not authorize Peepers" in chromium.find_element(By.TAG_NAME, "main").text
