"""The main pages on a phone, by keyboard, and with a label on every form field."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE
from tests.browser.support import PUBLIC_PAGES, log_in, store_with_data

OVERFLOW = "() => [document.documentElement.scrollWidth, window.innerWidth]"
# Form fields a person fills in, and those without a label that names them.
UNLABELLED = """() => Array.from(document.querySelectorAll("input, select, textarea"))
  .filter(el => !["hidden", "submit", "button", "reset", "image"].includes(el.type))
  .filter(el => {
    const labels = Array.from(el.labels || []).some(l => l.textContent.trim());
    const aria = (el.getAttribute("aria-label") || "").trim();
    const by = (el.getAttribute("aria-labelledby") || "").split(/\\s+/).filter(Boolean)
      .map(id => document.getElementById(id)).some(ref => ref && ref.textContent.trim());
    return !labels && !aria && !by;
  })
  .map(el => el.outerHTML.slice(0, 160))"""
ACTIVE = """() => {
  const el = document.activeElement;
  return {
    tag: el.tagName.toLowerCase(), text: (el.textContent || "").trim(),
    skip: el.classList.contains("skip-link"), nav: !!el.closest("nav.mainnav"),
  };
}"""


@pytest.fixture
def store_pages(live_server_url, stack, settings):
    return store_with_data(stack, settings)[1]


def overflowing(page: Page, url: str, screenshots, step: str) -> str | None:
    page.goto(url)
    screenshots.take(page, step)
    scroll_width, inner_width = page.evaluate(OVERFLOW)
    return f"{url}: {scroll_width}px > {inner_width}px" if scroll_width > inner_width else None


def test_main_pages_fit_a_phone_screen(page, live_server_url, stack, store_pages, screenshots):
    page.set_viewport_size(PHONE)
    store = stack.store_url("tenant-a")
    wide = [
        overflowing(page, f"{live_server_url}{path}", screenshots, f"public{path}")
        for path in PUBLIC_PAGES
    ]
    wide.append(overflowing(page, f"{store}/login/", screenshots, "login"))
    log_in(page, store)
    wide += [
        overflowing(page, f"{store}{path}", screenshots, f"store{path}") for path in store_pages
    ]

    problems = [problem for problem in wide if problem]
    assert not problems, "wider than the phone:\n" + "\n".join(problems)


def test_tab_reaches_the_skip_link_first_then_the_main_nav(
    page, live_server_url, stack, screenshots
):
    store = stack.store_url("tenant-a")
    page.goto(f"{live_server_url}/signup/")
    page.keyboard.press("Tab")
    assert page.evaluate(ACTIVE)["skip"]

    log_in(page, store)
    page.keyboard.press("Tab")
    first = page.evaluate(ACTIVE)
    assert first["skip"], first
    assert first["text"] == "Skip to content"
    expect(page.locator(".skip-link")).to_be_in_viewport()
    screenshots.take(page, "skip-link-focused")

    visited = []
    for _ in range(10):
        page.keyboard.press("Tab")
        active = page.evaluate(ACTIVE)
        visited.append(active)
        if active["nav"]:
            break
    assert visited[-1]["nav"], visited
    assert visited[-1]["text"] == "Overview"
    screenshots.take(page, "main-nav-focused")

    # The skip link takes keyboard focus past the header, to the page's content.
    page.keyboard.press("Shift+Tab")
    while not page.evaluate(ACTIVE)["skip"]:
        page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "content"


def test_every_form_field_has_a_label(page, live_server_url, stack, store_pages, screenshots):
    store = stack.store_url("tenant-a")
    missing = {}
    for url in [f"{live_server_url}{path}" for path in PUBLIC_PAGES] + [f"{store}/login/"]:
        page.goto(url)
        missing[url] = page.evaluate(UNLABELLED)
    log_in(page, store)
    for path in store_pages:
        page.goto(f"{store}{path}")
        missing[path] = page.evaluate(UNLABELLED)
    screenshots.take(page, "last-page-checked")

    unlabelled = {url: fields for url, fields in missing.items() if fields}
    assert not unlabelled, unlabelled
