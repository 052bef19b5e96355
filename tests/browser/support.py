"""What the browser tests share: logging in, a store with synced data, the pages to visit."""

from __future__ import annotations

from typing import Any

from django_tenants.utils import tenant_context
from playwright.sync_api import Page

from integrations.mercadolivre.models import MLItem, MLOrder
from integrations.mercadolivre.sync import ml_sync_initial
from tenants.models import Tenant
from tests.browser.conftest import Stack
from tests.integrations.support import connect
from tests.support.db import OWNER_PASSWORD

# Store pages a seller reaches from the main navigation and the settings page.
STORE_PAGES = (
    "/",
    "/products/",
    "/orders/",
    "/questions/",
    "/sync/",
    "/billing/",
    "/privacy/",
    "/team/",
    "/settings/",
    "/settings/mercado-livre/",
    "/account/2fa/",
)
PUBLIC_PAGES = ("/", "/signup/", "/legal/terms/", "/legal/privacy/")


def log_in(
    page: Page, store: str, email: str = "owner@a.example.com", password: str = OWNER_PASSWORD
) -> None:
    page.goto(f"{store}/login/")
    page.locator("[name=username]").fill(email)
    page.locator("[name=password]").fill(password)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{store}/")


def store_with_data(stack: Stack, settings: Any) -> tuple[Tenant, list[str]]:
    """Store A connected to the sandbox's first seller and synced (in this process); its
    pages, the detail pages of one product and one order included."""
    settings.ML_API_BASE = settings.ML_AUTH_BASE = stack.sandbox.server.url
    settings.ML_REDIRECT_URI = stack.env["ML_REDIRECT_URI"]
    tenant = Tenant.objects.get(schema_name="tenant-a")
    connect(stack.sandbox, tenant)
    ml_sync_initial(tenant=tenant)
    with tenant_context(tenant):
        item = MLItem.objects.order_by("pk").values_list("pk", flat=True).first()
        order = MLOrder.objects.order_by("pk").values_list("pk", flat=True).first()
    assert item is not None
    assert order is not None
    return tenant, [*STORE_PAGES, f"/products/{item}/", f"/orders/{order}/"]
