"""Password reset by e-mail on a store's host: no enumeration, links on that host, one store."""

from django.core import mail

from tests.accounts.conftest import login, reset_link
from tests.support.clients import store_client

NEW_PASSWORD = "a-brand-new-password-42"


def test_a_reset_link_is_mailed_with_the_stores_host_and_sets_a_new_password(tenant_a):
    client = store_client(tenant_a)

    response = client.post("/password-reset/", {"email": tenant_a.owner_email.upper()})

    assert response.status_code == 302
    assert response["Location"] == "/password-reset/sent/"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [tenant_a.owner_email]
    link = reset_link(mail.outbox[0])
    assert link.startswith("http://tenant-a.localhost/reset/")

    path = link.split("tenant-a.localhost", 1)[1]
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    assert form_page.context["validlink"]
    set_password_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done.status_code == 302
    assert done["Location"] == "/reset/done/"

    fresh = store_client(tenant_a)
    assert login(fresh, tenant_a.owner_email, NEW_PASSWORD).status_code == 302
    assert login(store_client(tenant_a), tenant_a.owner_email).status_code == 200


def test_the_link_works_once(tenant_a):
    client = store_client(tenant_a)
    client.post("/password-reset/", {"email": tenant_a.owner_email})
    path = reset_link(mail.outbox[0]).split("tenant-a.localhost", 1)[1]
    set_url = client.get(path, follow=True).redirect_chain[-1][0]
    client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    again = store_client(tenant_a).get(path, follow=True)

    assert again.context["validlink"] is False
    assert "This link does not work" in again.content.decode()


def test_an_unknown_address_gets_the_same_answer_and_no_mail(tenant_a):
    response = store_client(tenant_a).post("/password-reset/", {"email": "nobody@a.example.com"})

    assert response.status_code == 302
    assert response["Location"] == "/password-reset/sent/"
    assert mail.outbox == []


def test_another_stores_user_cannot_be_reset_from_this_host(tenant_a, tenant_b):
    response = store_client(tenant_a).post("/password-reset/", {"email": tenant_b.owner_email})

    assert response["Location"] == "/password-reset/sent/"
    assert mail.outbox == []


def test_a_link_mailed_by_another_store_is_refused_on_this_host(tenant_a, tenant_b):
    store_client(tenant_b).post("/password-reset/", {"email": tenant_b.owner_email})
    path = reset_link(mail.outbox[0]).split("tenant-b.localhost", 1)[1]

    response = store_client(tenant_a).get(path, follow=True)

    assert response.context["validlink"] is False


def test_mismatched_new_passwords_are_shown_next_to_the_field(tenant_a):
    client = store_client(tenant_a)
    client.post("/password-reset/", {"email": tenant_a.owner_email})
    path = reset_link(mail.outbox[0]).split("tenant-a.localhost", 1)[1]
    set_url = client.get(path, follow=True).redirect_chain[-1][0]

    response = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": "other-1"})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_new_password2_error"' in html
    assert html.index('id="id_new_password2"') < html.index('id="id_new_password2_error"')


def test_the_token_expires_after_password_reset_timeout(tenant_a, settings):
    client = store_client(tenant_a)
    client.post("/password-reset/", {"email": tenant_a.owner_email})
    path = reset_link(mail.outbox[0]).split("tenant-a.localhost", 1)[1]
    settings.PASSWORD_RESET_TIMEOUT = -1

    response = client.get(path, follow=True)

    assert response.context["validlink"] is False
