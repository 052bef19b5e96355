"""Pages the journey does not reach keep the Content-Security-Policy in a real browser (the
``context`` fixture fails any test whose pages it refused something on): staff admin, the API
docs' Swagger UI, two-factor setup and the error pages. And the guard itself sees a refusal."""

from __future__ import annotations

from django.contrib import admin
from django_celery_beat.models import CrontabSchedule
from playwright.sync_api import Page, expect

from tenants.models import Tenant
from tests.browser.conftest import SETTLE, CspViolations
from tests.browser.support import log_in
from tests.factories.users import STAFF_EMAIL, STAFF_PASSWORD
from users.models import User

INLINE_SCRIPT = """() => {
  const script = document.createElement("script");
  script.textContent = "window.ranInline = true;";
  document.head.append(script);
  document.body.setAttribute("style", "outline: 1px solid red");
  return window.ranInline === true;
}"""


def test_the_guard_sees_an_inline_script_and_style_refused(
    page: Page, live_server_url: str, csp_violations: CspViolations
) -> None:
    page.goto(f"{live_server_url}/signup/")
    assert csp_violations.events == []

    ran = page.evaluate(INLINE_SCRIPT)
    page.evaluate(SETTLE)

    assert ran is False
    refused = {event["directive"] for event in csp_violations.events}
    assert refused == {"script-src-elem", "style-src-attr"}
    assert all(event["page"] == f"{live_server_url}/signup/" for event in csp_violations.events)
    assert any("script-src" in line for line in csp_violations.console)
    # Seen and checked: the rest of this test's pages must still be clean.
    csp_violations.clear()


def test_staff_admin_pages_run_under_the_policy(page: Page, live_server_url: str) -> None:
    User.objects.create_superuser(STAFF_EMAIL, STAFF_PASSWORD)
    tenant = Tenant.objects.get(schema_name="tenant-a")
    page.goto(f"{live_server_url}/admin/password-reset/")
    page.goto(f"{live_server_url}/admin/")
    page.locator("[name=username]").fill(STAFF_EMAIL)
    page.locator("[name=password]").fill(STAFF_PASSWORD)
    page.locator("#login-form [type=submit]").click()
    expect(page.locator("#site-name")).to_be_visible()

    lists = sorted(
        f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        for model in admin.site._registry
    )
    for path in [*lists, f"/admin/tenants/tenant/{tenant.pk}/change/", "/admin/auth/group/add/"]:
        response = page.goto(f"{live_server_url}{path}")
        assert response is not None
        assert response.status == 200, path
    # The admin's own scripts work: the changelist's select-all ticks every row.
    page.goto(f"{live_server_url}/admin/tenants/tenant/")
    page.locator("#action-toggle").check()
    expect(page.locator("input.action-select").first).to_be_checked()

    # The periodic task form explains the chosen crontab from a static script.
    crontab = CrontabSchedule.objects.create(minute="30", hour="4")
    page.goto(f"{live_server_url}/admin/django_celery_beat/periodictask/add/")
    page.locator("#id_crontab").select_option(str(crontab.pk))
    expect(page.locator(".field-crontab .help")).to_contain_text(
        f"Translation: {crontab.human_readable}"
    )
    expect(page.locator(".field-crontab_translation")).to_have_count(1)
    expect(page.locator(".field-crontab_translation")).to_be_hidden()


def test_api_docs_render_under_the_policy(page: Page, live_server_url: str, stack) -> None:
    store = stack.store_url("tenant-a")
    log_in(page, store)
    page.goto(f"{store}/api/docs/")
    # The start-up script ran (by nonce) and fetched the schema from our host.
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Peepers API")


def test_two_factor_setup_and_error_pages_run_under_the_policy(
    page: Page, live_server_url: str, stack
) -> None:
    store = stack.store_url("tenant-a")
    log_in(page, store)
    page.goto(f"{store}/account/2fa/setup/")
    expect(page.locator("figure.qr svg")).to_be_visible()

    missing = page.goto(f"{store}/no-such-page/")
    assert missing is not None
    assert missing.status == 404
    unknown = page.goto(stack.store_url("no-such-store") + "/")
    assert unknown is not None
    assert unknown.status == 404
    expect(page.locator("main")).to_be_visible()
