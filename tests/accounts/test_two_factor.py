"""Two-factor: setup with a QR code, login asks for a code, backup codes, turning it off."""

import re

import pytest
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import tenant_context

from compliance.audit.models import AuditAction, AuditEvent
from tests.accounts.conftest import PASSWORD, logged_in, login, totp_code, user_create
from tests.support.clients import store_client

pytestmark = pytest.mark.usefixtures("no_code_backoff")


def enable_two_factor(client, tenant):
    """Go through the setup page as the user would; the backup codes shown."""
    page = client.get("/account/2fa/setup/")
    assert page.status_code == 200
    key = client.session["accounts_totp_setup_key"]
    with tenant_context(tenant):
        user = page.context["user"]
        device = TOTPDevice(user=user, key=key)
    response = client.post("/account/2fa/setup/", {"code": totp_code(device)})
    assert response.status_code == 200, response.content
    return response.context["codes"]


def device_of(tenant, email):
    with tenant_context(tenant):
        return TOTPDevice.objects.get(user__email=email, confirmed=True)


def test_the_setup_page_shows_a_qr_code_and_the_secret(tenant_a):
    client = logged_in(tenant_a, user_create(tenant_a, "ana@a.example.com").email)

    html = client.get("/account/2fa/setup/").content.decode()

    assert "<svg" in html
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', html)
    assert secret
    assert len(secret.group(1).replace(" ", "")) == 32
    with tenant_context(tenant_a):
        assert not TOTPDevice.objects.exists()  # nothing stored until confirmed


def test_a_wrong_setup_code_is_refused_next_to_the_field(tenant_a):
    client = logged_in(tenant_a, user_create(tenant_a, "ana@a.example.com").email)
    client.get("/account/2fa/setup/")

    response = client.post("/account/2fa/setup/", {"code": "000000"})

    assert response.status_code == 400
    html = response.content.decode()
    assert html.index('id="id_code"') < html.index('id="id_code_error"')
    with tenant_context(tenant_a):
        assert not TOTPDevice.objects.exists()


def test_setup_login_code_backup_code_and_disable(tenant_a):
    email = user_create(tenant_a, "ana@a.example.com").email
    client = logged_in(tenant_a, email)

    codes = enable_two_factor(client, tenant_a)

    assert len(codes) == 10
    # The session that set it up stays logged in.
    assert client.get("/settings/").status_code == 200
    event = AuditEvent.objects.get(details__operation="two_factor_enabled")
    assert (event.action, event.actor_email, event.tenant) == (
        AuditAction.ADMIN_PERMISSION_CHANGE,
        email,
        tenant_a,
    )

    # Logging in again: the password alone logs nobody in.
    second = store_client(tenant_a)
    response = login(second, email)
    assert response.status_code == 302
    assert response["Location"] == "/login/verify/"
    assert second.get("/settings/")["Location"].startswith("/login/")

    # A wrong code is refused, and is a failed login in the audit log.
    wrong = second.post("/login/verify/", {"code": "123456"})
    assert wrong.status_code == 400
    assert "That code is not right" in wrong.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED, actor_email=email).exists()
    assert second.get("/settings/").status_code == 302

    # The app's code logs in.
    device = device_of(tenant_a, email)
    ok = second.post("/login/verify/", {"code": totp_code(device, steps_ahead=1)})
    assert ok.status_code == 302
    assert second.get("/settings/").status_code == 200

    # A backup code logs in once.
    third = store_client(tenant_a)
    login(third, email)
    assert third.post("/login/verify/", {"code": codes[0]}).status_code == 302
    assert third.get("/settings/").status_code == 200
    fourth = store_client(tenant_a)
    login(fourth, email)
    assert fourth.post("/login/verify/", {"code": codes[0]}).status_code == 400

    # Turning it off needs a code; a wrong one changes nothing.
    refused = third.post("/account/2fa/disable/", {"code": "zzzzzzzz"})
    assert refused.status_code == 400
    assert 'id="id_code_error"' in refused.content.decode()
    assert third.post("/account/2fa/disable/", {"code": codes[1]}).status_code == 302
    with tenant_context(tenant_a):
        assert not TOTPDevice.objects.exists()
        assert not StaticDevice.objects.exists()
    assert AuditEvent.objects.filter(details__operation="two_factor_disabled").count() == 1
    assert login(store_client(tenant_a), email)["Location"] == "/"


def test_a_code_is_asked_again_once_the_pending_login_is_too_old(tenant_a, monkeypatch):
    email = user_create(tenant_a, "ana@a.example.com").email
    enable_two_factor(logged_in(tenant_a, email), tenant_a)
    client = store_client(tenant_a)
    login(client, email)
    session = client.session
    session["accounts_pending_login"]["at"] -= 301
    session.save()

    response = client.post("/login/verify/", {"code": "123456"})

    assert response["Location"] == "/login/"


def test_a_session_opened_before_two_factor_was_turned_on_must_verify(tenant_a):
    email = user_create(tenant_a, "ana@a.example.com").email
    earlier = logged_in(tenant_a, email)
    enable_two_factor(logged_in(tenant_a, email), tenant_a)

    response = earlier.get("/settings/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_verify_step_without_a_password_step_goes_back_to_login(tenant_a):
    response = store_client(tenant_a).get("/login/verify/")

    assert response["Location"] == "/login/"


def test_a_pending_login_is_for_its_own_store_only(tenant_a, tenant_b):
    """The second step looks the user up in this store's schema: another store's pending
    session carries no user of this one."""
    email = user_create(tenant_a, "ana@a.example.com").email
    enable_two_factor(logged_in(tenant_a, email), tenant_a)
    client = store_client(tenant_a)
    login(client, email)

    other_host = store_client(tenant_b)
    other_host.cookies = client.cookies

    assert other_host.get("/login/verify/")["Location"] == "/login/"


def test_wrong_codes_count_toward_the_lockout(tenant_a):
    email = user_create(tenant_a, "ana@a.example.com").email
    enable_two_factor(logged_in(tenant_a, email), tenant_a)
    client = store_client(tenant_a)
    login(client, email)

    statuses = [client.post("/login/verify/", {"code": "111111"}).status_code for _ in range(5)]

    assert statuses == [400, 400, 400, 400, 429]
    assert login(store_client(tenant_a), email, PASSWORD).status_code == 429
