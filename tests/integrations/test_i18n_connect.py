"""The Mercado Livre connection page's messages, pt-BR by default and English when chosen."""

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from tests.integrations.support import connect
from tests.support.clients import store_client
from tests.support.i18n import choose_english
from users.models import Role, User

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("portuguese")]

SETTINGS_PAGE = "/settings/mercado-livre/"


@pytest.mark.parametrize(
    ("in_english", "expected"),
    [
        (False, "Mercado Livre desconectado. O Peepers excluiu os tokens de acesso que tinha."),
        (True, "Mercado Livre disconnected. Peepers deleted its access tokens."),
    ],
)
def test_disconnecting_is_confirmed_in_the_sellers_language(
    sandbox, tenant_a, in_english, expected
):
    connect(sandbox, tenant_a)
    client = store_client(tenant_a, login=True)
    if in_english:
        choose_english(client, SETTINGS_PAGE)

    page = client.post("/settings/mercado-livre/disconnect", follow=True)

    assert page.redirect_chain == [(SETTINGS_PAGE, 302)]
    assert expected in page.text


def test_a_member_is_refused_connecting_in_portuguese_then_in_english(tenant_a):
    with tenant_context(tenant_a):
        User.objects.create_user("clerk@a.example.com", "a-long-password-22", role=Role.MEMBER)
    client = Client(HTTP_HOST="tenant-a.localhost")
    client.post("/login/", {"username": "clerk@a.example.com", "password": "a-long-password-22"})

    pt = client.post("/settings/mercado-livre/connect", follow=True).text
    choose_english(client, SETTINGS_PAGE)
    en = client.post("/settings/mercado-livre/connect", follow=True).text

    assert "Só o proprietário da loja ou um administrador pode conectar o Mercado Livre." in pt
    # The apostrophe of "store's" is HTML-escaped on the page.
    assert "or an admin can connect Mercado Livre." in en
    assert "Só o proprietário" not in en
