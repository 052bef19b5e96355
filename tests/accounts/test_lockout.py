"""Login throttling: 5 failures of one e-mail from one address lock it out for 15 minutes, in
the store (or public) schema the attempts were made on only."""

from datetime import timedelta

from axes.models import AccessAttempt
from django.core import mail
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from tests.accounts.conftest import PASSWORD, login, reset_link, user_create
from tests.support.clients import store_client
from users.models import User

STAFF_EMAIL = "staff-lockout@peepers.test"


def fail(client, email, times, **extra):
    return [login(client, email, "wrong-password-0", **extra).status_code for _ in range(times)]


def test_the_fifth_failure_locks_out_and_the_right_password_then_is_refused(tenant_a):
    email = user_create(tenant_a, "ana@a.example.com").email
    client = store_client(tenant_a)

    assert fail(client, email, 5) == [200, 200, 200, 200, 429]
    locked = login(client, email)

    assert locked.status_code == 429
    html = locked.content.decode()
    assert "Too many attempts" in html
    assert "15 minutes" in html
    assert 'href="/password-reset/"' in html


def test_the_lockout_ends_after_the_cool_off(tenant_a):
    email = user_create(tenant_a, "ana@a.example.com").email
    client = store_client(tenant_a)
    fail(client, email, 5)
    with tenant_context(tenant_a):
        AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=14))
    assert login(client, email).status_code == 429

    with tenant_context(tenant_a):
        AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))

    assert login(client, email).status_code == 302


def test_the_e_mails_case_does_not_reset_the_count(tenant_a):
    email = user_create(tenant_a, "ana@a.example.com").email
    client = store_client(tenant_a)
    fail(client, email, 4)

    assert login(client, email.upper(), "still-wrong-1").status_code == 429


def test_the_lockout_is_per_address(tenant_a):
    email = user_create(tenant_a, "ana@a.example.com").email
    fail(store_client(tenant_a), email, 5, REMOTE_ADDR="198.51.100.1")

    assert login(store_client(tenant_a), email, REMOTE_ADDR="198.51.100.2").status_code == 302


def test_a_lockout_in_one_store_does_not_reach_another(tenant_a, tenant_b):
    shared = "same@example.com"
    user_create(tenant_a, shared)
    user_create(tenant_b, shared)
    fail(store_client(tenant_a), shared, 5)

    assert login(store_client(tenant_b), shared).status_code == 302
    with tenant_context(tenant_a):
        assert AccessAttempt.objects.filter(username=shared).exists()
    with tenant_context(tenant_b):
        assert not AccessAttempt.objects.exists()
    assert not AccessAttempt.objects.exists()  # public


def test_a_successful_login_clears_the_count(tenant_a):
    email = user_create(tenant_a, "ana@a.example.com").email
    client = store_client(tenant_a)
    fail(client, email, 4)
    assert login(client, email).status_code == 302

    assert fail(store_client(tenant_a), email, 4) == [200, 200, 200, 200]


def test_a_password_reset_ends_the_lockout(tenant_a):
    email = user_create(tenant_a, "ana@a.example.com").email
    client = store_client(tenant_a)
    fail(client, email, 5)
    client.post("/password-reset/", {"email": email})
    path = reset_link(mail.outbox[0]).split("tenant-a.localhost", 1)[1]
    set_url = client.get(path, follow=True).redirect_chain[-1][0]
    new = "a-brand-new-password-42"
    client.post(set_url, {"new_password1": new, "new_password2": new})

    assert login(store_client(tenant_a), email, new).status_code == 302


def test_staff_admin_logins_are_throttled_on_the_public_host(db):
    User.objects.create_superuser(STAFF_EMAIL, PASSWORD)
    client = Client(HTTP_HOST="localhost")

    statuses = [
        client.post(
            "/admin/login/?next=/admin/", {"username": STAFF_EMAIL, "password": "nope-nope-1"}
        ).status_code
        for _ in range(5)
    ]
    right = client.post(
        "/admin/login/?next=/admin/", {"username": STAFF_EMAIL, "password": PASSWORD}
    )

    assert statuses == [200, 200, 200, 200, 429]
    assert right.status_code == 429
    assert AccessAttempt.objects.filter(username=STAFF_EMAIL).exists()


def test_logins_without_a_request_are_not_throttled(tenant_a):
    """``Client.login`` (tests, shells) has no address; it still checks the password."""
    email = user_create(tenant_a, "ana@a.example.com").email
    with tenant_context(tenant_a):
        assert not Client().login(username=email, password="wrong")
        assert Client().login(username=email, password=PASSWORD)
