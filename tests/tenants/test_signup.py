"""The signup page: one form, the same rules as create_tenant, and the owner lands logged in."""

import pytest
from django.test import Client

from tenants.models import SignupAgreement, Tenant
from tests.support.state import database_state

pytestmark = pytest.mark.django_db

FORM = {
    "name": "Loja da Ana",
    "slug": "loja-da-ana",
    "email": "ana@example.com",
    "password": "a-long-enough-password-9",
    "plan": "starter",
    "accept_terms": "on",
}


def public_client():
    # The messages below are asserted in English; sellers get pt-BR unless they ask for it.
    return Client(
        HTTP_HOST="localhost", HTTP_USER_AGENT="pytest-browser", HTTP_ACCEPT_LANGUAGE="en"
    )


def test_signup_page_lists_the_plans():
    response = public_client().get("/signup/")
    assert response.status_code == 200
    for text in (b"Starter", b"Pro", b"Business", b"R$ 49,00", b"privacy notice"):
        assert text in response.content


def test_signup_creates_the_store_and_logs_the_owner_in_on_its_host():
    response = public_client().post("/signup/", FORM)

    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("http://loja-da-ana.localhost/welcome/")
    tenant = Tenant.objects.get(schema_name="loja-da-ana")
    agreement = SignupAgreement.objects.get(tenant=tenant)
    assert agreement.channel == "signup"
    assert agreement.user_agent == "pytest-browser"

    store = Client(HTTP_HOST="loja-da-ana.localhost")
    welcome = store.get(location.removeprefix("http://loja-da-ana.localhost"))
    assert welcome.status_code == 302
    assert welcome["Location"] == "/"
    home = store.get("/")
    assert home.status_code == 200
    assert "Boas-vindas à Loja da Ana" in home.content.decode()
    assert b"ana@example.com" in home.content


def test_the_welcome_link_works_once():
    location = public_client().post("/signup/", FORM)["Location"]
    path = location.removeprefix("http://loja-da-ana.localhost")
    Client(HTTP_HOST="loja-da-ana.localhost").get(path)

    second = Client(HTTP_HOST="loja-da-ana.localhost")
    response = second.get(path)

    assert response["Location"] == "/login/"
    assert second.get("/")["Location"].startswith("/login/")


def test_a_welcome_link_for_one_store_does_not_work_on_another(tenant_b):
    location = public_client().post("/signup/", FORM)["Location"]
    path = location.removeprefix("http://loja-da-ana.localhost")
    other = Client(HTTP_HOST=tenant_b.get_primary_domain().domain)

    assert other.get(path)["Location"] == "/login/"
    assert other.get("/")["Location"].startswith("/login/")


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"slug": "tenant-a"}, "slug", "is taken"),
        ({"email": "owner@a.example.com"}, "email", "already exists"),
        ({"slug": "admin"}, "slug", "reserved"),
        ({"slug": "pg_x"}, "slug", "reserved"),
        ({"slug": "Loja"}, "slug", "lowercase"),
        ({"slug": "lója"}, "slug", "lowercase"),
        ({"slug": "loja ana"}, "slug", "lowercase"),
        ({"slug": "loja'; DROP SCHEMA public; --"}, "slug", "lowercase"),
        ({"slug": "a" * 64}, "slug", "at most 63"),
        ({"plan": ""}, "plan", "Choose a plan"),
        ({"plan": "gold"}, "plan", "no plan"),
        ({"accept_terms": ""}, "accept_terms", "must accept"),
        ({"password": "abc"}, "password", "too short"),
        ({"email": "ana@"}, "email", "valid email"),
    ],
)
def test_bad_input_is_shown_next_to_its_field_and_nothing_is_created(change, field, message):
    before = database_state()

    response = public_client().post("/signup/", {**FORM, **change})

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors, errors
    assert any(message in error for error in errors[field]), errors[field]
    assert f'id="id_{field}_errors"'.encode() in response.content
    assert database_state() == before


def test_a_brazilian_visitor_signs_up_in_portuguese():
    """The form, the plans and the refusals speak the seller's language, as the page's title
    does."""
    client = Client(HTTP_HOST="localhost", HTTP_USER_AGENT="pytest-browser")
    page = client.get("/signup/").content.decode()
    for text in ("Nome da loja", "Endereço da loja", "até 63 caracteres", "R$ 49,00/mês"):
        assert text in page

    refused = client.post("/signup/", {**FORM, "slug": "a", "accept_terms": ""})

    assert refused.status_code == 400
    body = refused.content.decode()
    assert "Use pelo menos 3 caracteres." in body
    assert "É preciso aceitar os termos de uso e o aviso de privacidade." in body
    assert not Tenant.objects.filter(owner_email=FORM["email"]).exists()
