"""The settings page: the store's profile (errors next to their fields) and its links."""

from tenants.models import Tenant
from tests.accounts.conftest import logged_in, user_create
from tests.support.db import OWNER_PASSWORD
from users.models import Role


def owner_client(tenant):
    return logged_in(tenant, tenant.owner_email, OWNER_PASSWORD)


def test_the_page_links_the_connection_api_tokens_and_two_factor(tenant_a):
    html = owner_client(tenant_a).get("/settings/").content.decode()

    for href in ("/settings/mercado-livre/", "/settings/api-tokens/", "/account/2fa/", "/team/"):
        assert f'href="{href}"' in html
    assert "tenant-a.localhost" in html


def test_an_owner_renames_the_store_and_changes_its_contact_e_mail(tenant_a):
    response = owner_client(tenant_a).post(
        "/settings/", {"name": "Loja Nova", "owner_email": "Contato@A.example.com"}
    )

    assert response.status_code == 302
    tenant_a.refresh_from_db()
    assert (tenant_a.name, tenant_a.owner_email, tenant_a.schema_name) == (
        "Loja Nova",
        "contato@a.example.com",
        "tenant-a",
    )


def test_errors_are_shown_next_to_their_fields(tenant_a):
    response = owner_client(tenant_a).post("/settings/", {"name": "", "owner_email": "nope"})

    assert response.status_code == 400
    html = response.content.decode()
    for field in ("name", "owner_email"):
        assert html.index(f'id="id_{field}"') < html.index(f'id="id_{field}_error"')
    assert 'aria-invalid="true"' in html
    assert Tenant.objects.get(pk=tenant_a.pk).name == "Store A"


def test_another_stores_contact_e_mail_is_refused_next_to_the_field(tenant_a, tenant_b):
    response = owner_client(tenant_a).post(
        "/settings/", {"name": "Store A", "owner_email": tenant_b.owner_email.upper()}
    )

    assert response.status_code == 400
    html = response.content.decode()
    error_at = html.index('id="id_owner_email_error"')
    assert "Another store already uses this e-mail." in html[error_at : error_at + 200]


def test_a_member_sees_the_profile_but_cannot_change_it(tenant_a):
    user_create(tenant_a, "ana@a.example.com", role=Role.MEMBER)
    client = logged_in(tenant_a, "ana@a.example.com")

    page = client.get("/settings/").content.decode()
    response = client.post("/settings/", {"name": "Mine now", "owner_email": "x@example.com"})

    assert "disabled" in page
    assert response.status_code == 403
    assert Tenant.objects.get(pk=tenant_a.pk).name == "Store A"


def test_the_slug_cannot_be_changed_through_the_form(tenant_a):
    owner_client(tenant_a).post(
        "/settings/",
        {"name": "Store A", "owner_email": tenant_a.owner_email, "schema_name": "evil"},
    )

    assert Tenant.objects.get(pk=tenant_a.pk).schema_name == "tenant-a"


def test_the_page_needs_a_login(tenant_a):
    from tests.support.clients import store_client

    response = store_client(tenant_a).get("/settings/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
