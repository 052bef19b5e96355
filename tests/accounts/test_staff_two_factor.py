"""Staff two-factor: turned on with ``staff_two_factor``, asked for at the admin sign-in, and
required of every staff member where policy says so (production)."""

from __future__ import annotations

import base64
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from compliance.audit.models import AuditAction, AuditEvent
from tests.accounts.conftest import totp_code
from users.models import User

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_code_backoff")]

EMAIL = "ops@peepers.test"
PASSWORD = "a-long-staff-password-2"


@pytest.fixture
def staff():
    return User.objects.create_superuser(EMAIL, PASSWORD)


class _AppAnswers:
    """stdin for ``enable``: reads the key the command printed, answers the app's code."""

    def __init__(self, out: io.StringIO, *, wrong: bool = False) -> None:
        self.out = out
        self.wrong = wrong

    def readline(self) -> str:
        secret = re.search(r"or type the key: (\w+)", self.out.getvalue())
        assert secret is not None
        # What the app does with the key typed in: base32, no padding.
        padded = secret.group(1) + "=" * (-len(secret.group(1)) % 8)
        code = totp_code(TOTPDevice(key=base64.b32decode(padded).hex()))
        return ("000000" if code != "000000" else "111111") if self.wrong else code + "\n"


def enable(*, wrong: bool = False) -> tuple[str, TOTPDevice | None]:
    out = io.StringIO()
    call_command(
        "staff_two_factor", "enable", EMAIL, stdout=out, stdin=_AppAnswers(out, wrong=wrong)
    )
    return out.getvalue(), TOTPDevice.objects.filter(user__email=EMAIL, confirmed=True).first()


def sign_in(client: Client, code: str = "", *, password: str = PASSWORD):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": EMAIL, "password": password, "code": code},
    )


def test_enable_prints_the_key_and_backup_codes_once_the_app_answers(staff):
    output, device = enable()
    assert device is not None
    assert "otpauth://totp/" in output
    assert "Two-factor is on for ops@peepers.test." in output
    codes = re.findall(r"^  ([a-z0-9]{8})$", output, re.MULTILINE)
    assert len(codes) == 10
    assert AuditEvent.objects.filter(
        action=AuditAction.ADMIN_PERMISSION_CHANGE, details__operation="two_factor_enabled"
    ).exists()


def test_a_wrong_code_leaves_two_factor_off(staff):
    with pytest.raises(CommandError, match="stays off"):
        enable(wrong=True)
    assert not TOTPDevice.objects.filter(user=staff).exists()


def test_admin_sign_in_asks_for_the_code_of_staff_who_turned_it_on(staff):
    _, device = enable()
    assert device is not None
    client = Client(HTTP_HOST="localhost")

    page = client.get("/admin/login/")
    assert 'name="code"' in page.text
    assert 'autocomplete="one-time-code"' in page.text

    missing = sign_in(client)
    assert missing.status_code == 200
    assert "Enter the code from your authenticator app" in missing.text
    wrong = sign_in(client, "123456" if totp_code(device) != "123456" else "654321")
    assert "That code is not right" in wrong.text
    assert client.get("/admin/").status_code == 302

    # The next 30-second code (the one that turned it on cannot be used twice).
    assert sign_in(client, totp_code(device, steps_ahead=1)).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_a_backup_code_signs_in_once(staff):
    output, _ = enable()
    backup = re.findall(r"^  ([a-z0-9]{8})$", output, re.MULTILINE)[0]
    assert sign_in(Client(HTTP_HOST="localhost"), backup).status_code == 302
    again = sign_in(Client(HTTP_HOST="localhost"), backup)
    assert "That code is not right" in again.text


def test_a_session_opened_before_two_factor_was_turned_on_is_signed_out(staff):
    client = Client(HTTP_HOST="localhost")
    assert sign_in(client).status_code == 302
    assert client.get("/admin/").status_code == 200
    enable()
    assert client.get("/admin/").status_code == 302


def test_where_required_staff_without_two_factor_cannot_sign_in(staff, settings):
    client = Client(HTTP_HOST="localhost")
    assert sign_in(client).status_code == 302  # not required (test settings)
    settings.PEEPERS_STAFF_TWO_FACTOR_REQUIRED = True
    # The open session no longer counts, and a new sign-in says what to do.
    assert client.get("/admin/").status_code == 302
    refused = sign_in(Client(HTTP_HOST="localhost"))
    assert "Staff must use two-factor authentication" in refused.text
    assert "staff_two_factor enable" in refused.text

    _, device = enable()
    assert device is not None
    assert sign_in(client, totp_code(device, steps_ahead=1)).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_a_wrong_password_is_refused_before_any_code_is_checked(staff):
    enable()
    response = sign_in(Client(HTTP_HOST="localhost"), "000000", password="not-the-password-1")
    assert "Please enter the correct" in response.text
    assert "That code is not right" not in response.text


def test_disable_is_the_recovery_for_a_lost_phone(staff):
    enable()
    out = io.StringIO()
    call_command("staff_two_factor", "disable", EMAIL, stdout=out)
    assert "Two-factor is off" in out.getvalue()
    assert sign_in(Client(HTTP_HOST="localhost")).status_code == 302
    assert AuditEvent.objects.filter(
        action=AuditAction.ADMIN_PERMISSION_CHANGE, details__operation="two_factor_disabled"
    ).exists()


def test_status_lists_staff_and_refuses_a_seller_email(staff):
    out = io.StringIO()
    call_command("staff_two_factor", "status", stdout=out)
    assert "ops@peepers.test: two-factor OFF" in out.getvalue()
    with pytest.raises(CommandError, match="no staff member"):
        call_command("staff_two_factor", "enable", "nobody@example.com")
