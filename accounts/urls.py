"""URLs of the accounts app on a store's host."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, path

from accounts.views import auth, store_settings, team, two_factor

urlpatterns: list[URLPattern | URLResolver] = [
    path("login/", auth.LoginView.as_view(), name="login"),
    path("login/verify/", auth.login_verify, name="login-verify"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", auth.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(
            extra_context={"password_reset_hours": settings.PASSWORD_RESET_TIMEOUT // 3600}
        ),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("invite/<uidb64>/<token>/", team.invitation_accept_view, name="invitation-accept"),
    path("team/", team.team, name="team"),
    path("team/invite/", team.team_invite_view, name="team-invite"),
    path("team/<int:pk>/role/", team.team_role_view, name="team-role"),
    path("team/<int:pk>/remove/", team.team_remove_view, name="team-remove"),
    path("settings/", store_settings.store_settings, name="store-settings"),
    path("account/2fa/", two_factor.two_factor, name="two-factor"),
    path("account/2fa/setup/", two_factor.two_factor_setup, name="two-factor-setup"),
    path("account/2fa/disable/", two_factor.two_factor_disable_view, name="two-factor-disable"),
]
