"""Every page of both hosts, error pages included, carries the Content-Security-Policy header:
scripts, styles and fonts from the page's own host only, no inline code, no framing."""

import base64
import json
import re
import secrets
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.test import Client
from django.urls import path

from peepers import urls_tenant as tenant_urls
from tenants.models import TenantStatus
from tenants.services import tenant_set_status
from tests.support.clients import store_client
from tests.support.settings_env import manage

pytestmark = pytest.mark.django_db

# Directives whose sources are the same on every page and in every environment.
FIXED = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:", "https://*.mlstatic.com"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def policy(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.status_code} {response.request}"
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def assert_strict(response) -> dict[str, list[str]]:
    directives = policy(response)
    assert {name: directives.get(name) for name in FIXED} == FIXED
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]
    return directives


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 200),
        ("/signup/", 200),
        ("/legal/privacy/", 200),
        ("/admin/login/", 200),
        ("/admin/password-reset/", 200),
        ("/no-such-page/", 404),
    ],
)
def test_public_host_pages_carry_the_policy(path, status):
    response = Client(HTTP_HOST=settings.PEEPERS_BASE_DOMAIN).get(path)
    assert response.status_code == status
    assert_strict(response)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 200),
        ("/products/", 200),
        ("/billing/", 200),
        ("/privacy/", 200),
        ("/settings/", 200),
        ("/account/2fa/setup/", 200),
        ("/no-such-page/", 404),
    ],
)
def test_store_pages_carry_the_policy(tenant_a, path, status):
    response = store_client(tenant_a, login=True).get(path)
    assert response.status_code == status
    assert_strict(response)


def test_store_login_page_carries_the_policy(tenant_a):
    assert_strict(store_client(tenant_a).get("/login/"))


def test_unknown_host_page_carries_the_policy():
    response = Client(HTTP_HOST=f"no-such-store.{settings.PEEPERS_BASE_DOMAIN}").get("/")
    assert response.status_code == 404
    assert_strict(response)


@pytest.mark.parametrize(
    ("status_set", "status"), [(TenantStatus.SUSPENDED, 403), (TenantStatus.CLOSED, 410)]
)
def test_suspended_and_closed_store_pages_carry_the_policy(tenant_a, status_set, status):
    tenant_set_status(tenant=tenant_a, status=status_set)
    response = store_client(tenant_a).get("/")
    assert response.status_code == status
    assert_strict(response)


def test_csrf_failure_page_carries_the_policy(tenant_a):
    client = Client(HTTP_HOST=tenant_a.get_primary_domain().domain, enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert_strict(response)


def fails(request):
    raise RuntimeError("a page that fails")


# The store hosts' URLs plus a page that fails, for the 500 page (tenant hosts' handler500).
urlpatterns = [path("fails/", fails), *tenant_urls.urlpatterns]
handler500 = tenant_urls.handler500


def test_server_error_page_carries_the_policy(tenant_a, settings):
    settings.ROOT_URLCONF = __name__
    client = Client(HTTP_HOST=tenant_a.get_primary_domain().domain, raise_request_exception=False)
    response = client.get("/fails/")
    assert response.status_code == 500
    assert "<!doctype html>" in response.content.decode()
    assert_strict(response)


def test_forms_may_be_redirected_only_to_peepers_ml_consent_and_stripe(tenant_a):
    form_action = assert_strict(store_client(tenant_a).get("/login/"))["form-action"]
    scheme, base, port = (
        settings.PEEPERS_URL_SCHEME,
        settings.PEEPERS_BASE_DOMAIN,
        settings.PEEPERS_URL_PORT,
    )
    ml = re.match(r"^https?://[^/]+", settings.ML_AUTH_BASE)
    stripe = re.match(r"^https?://[^/]+", settings.STRIPE_API_BASE)
    assert ml
    assert stripe
    assert form_action == [
        "'self'",
        f"{scheme}://{base}{port}",
        f"{scheme}://*.{base}{port}",
        ml.group(),
        stripe.group(),
    ]


def test_api_docs_run_their_one_inline_script_by_nonce(tenant_a):
    response = store_client(tenant_a, login=True).get("/api/docs/")
    assert response.status_code == 200
    directives = policy(response)
    nonces = [source for source in directives["script-src"] if source.startswith("'nonce-")]
    assert directives["script-src"][0] == "'self'"
    assert len(nonces) == 1
    nonce = nonces[0].removeprefix("'nonce-").removesuffix("'")
    page = response.content.decode()
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page)
    assert inline == [f' nonce="{nonce}"']
    assert "<style" not in page
    assert directives["style-src"] == ["'self'"]
    # A nonce is issued per response, and only to a page that uses one.
    again = policy(store_client(tenant_a, login=True).get("/api/docs/"))["script-src"]
    assert nonces[0] not in again
    assert policy(store_client(tenant_a, login=True).get("/"))["script-src"] == ["'self'"]


# Attributes that run or style inline: the policy would refuse them in the browser.
INLINE = re.compile(
    r"<style|\sstyle=|\son[a-z]+=|javascript:|hx-on|hx-vals=['\"]\s*js:|"
    r"<script(?![^>]*\bsrc=)(?![^>]*\bnonce=)",
    re.IGNORECASE,
)
# Rendered to a file for staff to open from disk, never served: no header applies to it.
NOT_SERVED = {"compliance/report.html"}


def our_templates() -> dict[str, Path]:
    """Peepers' templates (the project's folder and its apps'), by name."""
    base = Path(settings.BASE_DIR)
    folders = [base / "templates"]
    folders += [
        Path(config.path) / "templates"
        for config in apps.get_app_configs()
        if Path(config.path).is_relative_to(base)
        and "site-packages" not in Path(config.path).parts
        and (Path(config.path) / "templates").is_dir()
    ]
    return {
        str(path.relative_to(folder)): path for folder in folders for path in folder.rglob("*.html")
    }


def test_no_template_has_inline_script_or_style():
    templates = our_templates()
    assert {"base.html", "admin/maintenance/maintenancerun/change_list.html"} <= set(templates)
    found = {
        name: INLINE.findall(path.read_text())
        for name, path in templates.items()
        if name not in NOT_SERVED
    }
    assert {name: hits for name, hits in found.items() if hits} == {}


PRINT_POLICY = "from csp.utils import build_policy; import json; print(json.dumps(build_policy()))"


def test_production_policy_lets_forms_reach_mercado_livre_and_stripe_and_reports():
    result = manage(
        "shell",
        "-c",
        PRINT_POLICY,
        DJANGO_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        FIELD_ENCRYPTION_KEYS=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        ALLOWED_HOSTS=".peepers.example.com",
        PEEPERS_BASE_DOMAIN="peepers.example.com",
        STRIPE_SECRET_KEY="sk_live_" + secrets.token_urlsafe(24),
        STRIPE_WEBHOOK_SECRET="whsec_" + secrets.token_urlsafe(24),
        STAFF_ALERT_EMAILS="oncall@peepers.example.com",
        ML_WEBHOOK_ALLOWED_IPS="off",
        NOTIFY_URLS="off",
        CSP_REPORT_URI="https://reports.example.com/csp",
    )
    assert result.returncode == 0, result.stderr
    header = json.loads(result.stdout.strip().splitlines()[-1])
    directives = {name: sources for name, *sources in (p.split() for p in header.split(";"))}
    assert directives["form-action"] == [
        "'self'",
        "https://peepers.example.com",
        "https://*.peepers.example.com",
        "https://auth.mercadolivre.com.br",
        "https://*.mercadolivre.com.br",
        "https://checkout.stripe.com",
        "https://billing.stripe.com",
    ]
    assert directives["report-uri"] == ["https://reports.example.com/csp"]
    assert directives["script-src"] == ["'self'"]
