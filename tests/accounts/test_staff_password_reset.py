"""Staff reset a forgotten password from the admin sign-in: a link by e-mail, on the public host,
for active staff only; two-factor is still asked afterwards."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from users.models import User

pytestmark = pytest.mark.django_db

EMAIL = "ops@peepers.test"
OLD = "a-long-staff-password-3"
NEW = "another-long-password-4"


@pytest.fixture
def staff():
    return User.objects.create_superuser(EMAIL, OLD)


def reset_link(client: Client, email: str) -> str | None:
    mail.outbox.clear()
    response = client.post("/admin/password-reset/", {"email": email})
    assert response.status_code == 302
    assert response["Location"] == "/admin/password-reset/sent/"
    if not mail.outbox:
        return None
    body = str(mail.outbox[0].body)
    found = re.search(r"http://localhost(?::\d+)?(/admin/password-reset/\S+/)", body)
    assert found is not None, body
    return found.group(1)


def test_the_sign_in_page_links_to_the_reset(staff):
    page = Client(HTTP_HOST="localhost").get("/admin/login/")
    assert 'href="/admin/password-reset/"' in page.text


def test_a_staff_member_chooses_a_new_password_from_the_mailed_link(staff):
    client = Client(HTTP_HOST="localhost")
    link = reset_link(client, EMAIL)
    assert link is not None
    assert mail.outbox[0].to == [EMAIL]
    assert mail.outbox[0].subject == "Reset your Peepers staff password"

    form = client.get(link, follow=True)
    assert 'id="set-password-form"' in form.text
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW}, follow=True
    )
    assert 'id="reset-complete"' in done.text

    signed_in = Client(HTTP_HOST="localhost")
    assert signed_in.login(username=EMAIL, password=NEW)
    assert not Client(HTTP_HOST="localhost").login(username=EMAIL, password=OLD)
    # The link worked once.
    assert 'id="link-invalid"' in client.get(link, follow=True).text


def test_unknown_inactive_and_non_staff_addresses_get_the_same_page_and_no_mail(staff):
    User.objects.create_user("clerk@peepers.test", "a-long-clerk-password-5")
    User.objects.create_superuser("gone@peepers.test", OLD, is_active=False)
    client = Client(HTTP_HOST="localhost")
    for email in ("nobody@peepers.test", "clerk@peepers.test", "gone@peepers.test"):
        assert reset_link(client, email) is None
    sent = client.get("/admin/password-reset/sent/")
    assert 'id="reset-sent"' in sent.text


def test_a_store_host_has_no_staff_reset(tenant_a):
    from tests.support.clients import store_client

    assert store_client(tenant_a).get("/admin/password-reset/").status_code == 404
