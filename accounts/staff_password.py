"""Password reset for staff, on the public host next to the admin sign-in.

The same flow as a store's (Django's views, a link valid ``PASSWORD_RESET_TIMEOUT``), for active
staff members only: any other address gets the same "sent if it exists" page and no e-mail. A
new password does not skip two-factor: the next sign-in still asks for the code.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.http import HttpResponse
from django.urls import path, reverse_lazy
from django.views.generic import TemplateView

from users.models import User


class StaffPasswordResetForm(PasswordResetForm):
    def get_users(self, email: str) -> Iterator[Any]:
        return (user for user in super().get_users(email) if user.is_staff)


class StaffPasswordResetView(auth_views.PasswordResetView):
    form_class = StaffPasswordResetForm
    template_name = "admin/staff_password/form.html"
    email_template_name = "admin/staff_password/email.txt"
    subject_template_name = "admin/staff_password/subject.txt"
    success_url = reverse_lazy("staff_password_reset_done")
    extra_context = {"title": "Reset your staff password"}


class StaffPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "admin/staff_password/confirm.html"
    success_url = reverse_lazy("staff_password_reset_complete")
    extra_context = {"title": "Choose a new password"}

    def form_valid(self, form: SetPasswordForm[User]) -> HttpResponse:
        response = super().form_valid(form)
        # A new password ends a lockout of that e-mail (the person proved their mailbox).
        axes_reset(username=form.user.email)
        return response


class StaffPasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "admin/staff_password/complete.html"
    extra_context = {"title": "Password changed"}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        # Django's adds ``LOGIN_URL``, the stores' sign-in, which this host does not serve; the
        # template links to the admin's.
        context: dict[str, Any] = TemplateView.get_context_data(self, **kwargs)
        return context


urlpatterns = [
    # Before admin.site.urls, whose catch-all would answer these paths.
    path("admin/password-reset/", StaffPasswordResetView.as_view(), name="admin_password_reset"),
    path(
        "admin/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(
            template_name="admin/staff_password/done.html",
            extra_context={
                "title": "Check your e-mail",
                "password_reset_timeout_hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
            },
        ),
        name="staff_password_reset_done",
    ),
    path(
        "admin/password-reset/<uidb64>/<token>/",
        StaffPasswordResetConfirmView.as_view(),
        name="staff_password_reset_confirm",
    ),
    path(
        "admin/password-reset/done/",
        StaffPasswordResetCompleteView.as_view(),
        name="staff_password_reset_complete",
    ),
]
