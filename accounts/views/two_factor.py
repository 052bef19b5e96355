"""Two-factor setup (QR code and secret, confirmed by a code, backup codes shown once) and
turning it off with a code."""

from __future__ import annotations

from base64 import b32encode
from binascii import unhexlify

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.util import random_hex

from accounts.errors import AccountError
from accounts.forms import CodeForm
from accounts.selectors import backup_codes_left, two_factor_enabled
from accounts.services import totp_device_for_setup, two_factor_disable, two_factor_enable
from tenants.context import request_tenant
from users.models import User

SETUP_KEY = "accounts_totp_setup_key"


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _status_page(
    request: HttpRequest, *, form: CodeForm | None = None, status: int = 200
) -> HttpResponse:
    user = _user(request)
    context = {
        "enabled": two_factor_enabled(user=user),
        "backup_codes_left": backup_codes_left(user=user),
        "form": form or CodeForm(),
    }
    return render(request, "accounts/two_factor.html", context, status=status)


@never_cache
@login_required
@require_http_methods(["GET"])
def two_factor(request: HttpRequest) -> HttpResponse:
    return _status_page(request)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if two_factor_enabled(user=user):
        return redirect("two-factor")
    key = request.session.get(SETUP_KEY)
    if not isinstance(key, str):
        key = random_hex(20)
        request.session[SETUP_KEY] = key
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                codes = two_factor_enable(
                    tenant=request_tenant(request),
                    user=user,
                    key=key,
                    code=form.cleaned_data["code"],
                    request=request,
                )
            except AccountError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                request.session.pop(SETUP_KEY, None)
                return render(request, "accounts/two_factor_backup_codes.html", {"codes": codes})
    device = totp_device_for_setup(user=user, key=key)
    secret = b32encode(unhexlify(key)).decode()
    context = {
        "form": form,
        "qr_svg": segno.make(device.config_url, error="m").svg_inline(
            scale=5, omitsize=True, title=_("QR code for your authenticator app")
        ),
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    }
    return render(request, "accounts/two_factor_setup.html", context, status=status)


@never_cache
@login_required
@require_POST
def two_factor_disable_view(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            two_factor_disable(
                tenant=request_tenant(request),
                user=_user(request),
                code=form.cleaned_data["code"],
                request=request,
            )
        except AccountError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Two-factor authentication is off."))
            return redirect("two-factor")
    return _status_page(request, form=form, status=400)
