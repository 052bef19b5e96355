"""A new seller signs up in a real browser and lands logged in on their store's own host."""

from urllib.parse import urlsplit

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

from tenants.models import Tenant


def fill_signup(browser, **values):
    for name, value in values.items():
        field = browser.find_element(By.NAME, name)
        if name == "plan":
            Select(field).select_by_value(value)
        elif name == "accept_terms":
            if value and not field.is_selected():
                field.click()
        else:
            field.clear()
            field.send_keys(value)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


def test_signup_lands_the_owner_logged_in_on_the_store_host(chromium, live_server_url):
    chromium.get(f"{live_server_url}/signup/")
    assert chromium.find_element(By.TAG_NAME, "h1").text == "Create your store"

    fill_signup(
        chromium,
        name="Loja do Browser",
        slug="loja-browser",
        email="browser@example.com",
        password="a-long-enough-password-9",
        plan="pro",
        accept_terms=True,
    )

    WebDriverWait(chromium, 30).until(expected_conditions.url_contains("loja-browser.localhost"))
    url = urlsplit(chromium.current_url)
    assert url.hostname == "loja-browser.localhost"
    assert url.path == "/"
    page = chromium.find_element(By.TAG_NAME, "main").text
    assert "Welcome to Loja do Browser" in page
    assert "browser@example.com" in page
    assert Tenant.objects.filter(schema_name="loja-browser", plan_code="pro").exists()

    # Logging out on the store's host leaves the visitor at its login page.
    chromium.find_element(By.CSS_SELECTOR, "form[action='/logout/'] button").click()
    WebDriverWait(chromium, 10).until(expected_conditions.url_contains("/login/"))


def test_signup_errors_appear_next_to_their_fields(chromium, live_server_url):
    chromium.get(f"{live_server_url}/signup/")

    fill_signup(
        chromium,
        name="Loja",
        slug="Admin Store",
        email="dup@example.com",
        password="a-long-enough-password-9",
        plan="starter",
        accept_terms=False,
    )

    WebDriverWait(chromium, 30).until(
        expected_conditions.presence_of_element_located((By.ID, "id_slug_errors"))
    )
    slug_error = chromium.find_element(By.ID, "id_slug_errors").text
    terms_error = chromium.find_element(By.ID, "id_accept_terms_errors").text
    assert "lowercase letters" in slug_error
    assert "must accept" in terms_error
    assert chromium.find_element(By.NAME, "name").get_attribute("value") == "Loja"
    assert not Tenant.objects.filter(owner_email="dup@example.com").exists()
