"""A new seller signs up in a real browser and lands logged in on their store's own host."""

from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from tenants.models import Tenant


def fill_signup(page: Page, *, accept_terms: bool, plan: str, **values: str) -> None:
    for name, value in values.items():
        page.locator(f"[name={name}]").fill(value)
    page.locator("select[name=plan]").select_option(plan)
    page.locator("input[name=accept_terms]").set_checked(accept_terms)
    page.locator("main button[type=submit]").click()


def test_signup_lands_the_owner_logged_in_on_the_store_host(page, live_server_url, screenshots):
    page.goto(f"{live_server_url}/signup/")
    expect(page.locator("h1")).to_have_text("Create your store")
    screenshots.take(page, "signup")

    fill_signup(
        page,
        name="Loja do Browser",
        slug="loja-browser",
        email="browser@example.com",
        password="a-long-enough-password-9",
        plan="pro",
        accept_terms=True,
    )

    page.wait_for_url("http://loja-browser.localhost:*/")
    url = urlsplit(page.url)
    assert url.hostname == "loja-browser.localhost"
    assert url.path == "/"
    expect(page.locator("main h1")).to_have_text("Welcome to Loja do Browser")
    expect(page.locator("header .who")).to_have_text("browser@example.com")
    screenshots.take(page, "store-home")
    assert Tenant.objects.filter(schema_name="loja-browser", plan_code="pro").exists()

    # Logging out on the store's host leaves the visitor at its login page.
    page.locator("form[action='/logout/'] button").click()
    page.wait_for_url("**/login/**")
    screenshots.take(page, "logged-out")


def test_signup_errors_appear_next_to_their_fields(page, live_server_url, screenshots):
    page.goto(f"{live_server_url}/signup/")

    fill_signup(
        page,
        name="Loja",
        slug="Admin Store",
        email="dup@example.com",
        password="a-long-enough-password-9",
        plan="starter",
        accept_terms=False,
    )

    expect(page.locator("#id_slug_errors")).to_contain_text("lowercase letters")
    expect(page.locator("#id_accept_terms_errors")).to_contain_text("must accept")
    expect(page.locator("[name=name]")).to_have_value("Loja")
    screenshots.take(page, "signup-errors")
    assert not Tenant.objects.filter(owner_email="dup@example.com").exists()
