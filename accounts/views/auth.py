"""Login in two steps when the user has two-factor on, and the password-reset pages.

The password step of a user with a confirmed device logs nobody in: it keeps who passed it in
the session for ``PENDING_SECONDS``, and only a valid code then logs them in, verified. Wrong
codes are failed logins to the audit log and to the login throttle alike.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from axes.handlers.proxy import AxesProxyHandler
from axes.utils import reset as axes_reset
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from accounts.forms import CodeForm
from accounts.selectors import two_factor_enabled
from accounts.services import two_factor_verify
from accounts.throttling import lockout_response
from users.models import User

PENDING = "accounts_pending_login"
PENDING_SECONDS = 300


@dataclass(frozen=True)
class PendingLogin:
    user: User
    backend: str
    next: str


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        if not two_factor_enabled(user=user):
            return super().form_valid(form)
        self.request.session[PENDING] = {
            "user": user.pk,
            "backend": getattr(user, "backend", "django.contrib.auth.backends.ModelBackend"),
            "next": self.get_success_url(),
            "at": int(time.time()),
        }
        return redirect("login-verify")


def _pending(request: HttpRequest) -> PendingLogin | None:
    data = request.session.get(PENDING)
    if not isinstance(data, dict) or time.time() - int(data.get("at", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return None
    user_pk = data.get("user")
    if not isinstance(user_pk, int):
        return None
    user = User.objects.filter(pk=user_pk, is_active=True).first()
    if user is None:
        return None
    return PendingLogin(user=user, backend=str(data["backend"]), next=str(data["next"]))


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def login_verify(request: HttpRequest) -> HttpResponse:
    """The second step: a code from the app, or a backup code."""
    pending = _pending(request)
    if pending is None:
        messages.info(request, _("Your login took too long. Please log in again."))
        return redirect("login")
    user = pending.user
    credentials = {"username": user.email}
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not AxesProxyHandler.is_allowed(request, credentials):
            request.session.pop(PENDING, None)
            return lockout_response(request, None, credentials)
        device = two_factor_verify(user=user, code=form.cleaned_data["code"])
        if device is not None:
            del request.session[PENDING]
            user.otp_device = device  # type: ignore[attr-defined]  # django-otp keeps it
            auth_login(request, user, backend=pending.backend)
            return redirect(pending.next)
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        if getattr(request, "axes_locked_out", False):
            request.session.pop(PENDING, None)
        form.add_error("code", _("That code is not right. Try the current one."))
    status = 400 if request.method == "POST" else 200
    return render(request, "registration/login_verify.html", {"form": form}, status=status)


class PasswordResetView(auth_views.PasswordResetView):
    """Mails a link on this store's host to the address if, and only if, it is one of this
    store's active users; the page says the same either way."""

    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form: SetPasswordForm) -> HttpResponse:  # type: ignore[type-arg]
        response = super().form_valid(form)
        # A new password ends a lockout of that e-mail (the person proved their mailbox).
        axes_reset(username=form.user.email)
        return response
