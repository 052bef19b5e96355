"""The team page: members and pending invitations, invite, change a role, remove."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from accounts.errors import AccountError, NotAllowed
from accounts.forms import InviteForm, RoleForm
from accounts.roles import ROLE_CHOICES, role_label
from accounts.selectors import team_members
from accounts.services import (
    invitation_accept,
    member_remove,
    member_role_set,
    team_invite,
)
from accounts.tokens import invited_user
from tenants.context import request_tenant
from users.models import Role, User
from users.policy import may_manage


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _page(
    request: HttpRequest,
    *,
    invite_form: InviteForm | None = None,
    row_errors: dict[int, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    actor = _actor(request)
    can_manage = may_manage(user=actor)
    members = list(team_members())
    for member in members:
        member.errors = (row_errors or {}).get(member.pk, [])  # type: ignore[attr-defined]
        member.role_label = role_label(member.role)  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "members": members,
        "can_manage": can_manage,
        "is_owner": actor.role == Role.OWNER,
        "invite_form": invite_form or InviteForm(can_grant_owner=actor.role == Role.OWNER),
        "role_choices": ROLE_CHOICES,
    }
    return render(request, "accounts/team.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def team(request: HttpRequest) -> HttpResponse:
    return _page(request)


@login_required
@require_POST
def team_invite_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    form = InviteForm(request.POST, can_grant_owner=actor.role == Role.OWNER)
    if form.is_valid():
        try:
            team_invite(
                tenant=request_tenant(request),
                actor=actor,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                request=request,
            )
        except AccountError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request,
                _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]},
            )
            return redirect("team")
    status = 400 if may_manage(user=actor) else 403
    return _page(request, invite_form=form, status=status)


@login_required
@require_POST
def team_role_view(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(team_members(), pk=pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        return _page(request, row_errors={member.pk: [_("Choose a role.")]}, status=400)
    try:
        member_role_set(
            tenant=request_tenant(request),
            actor=_actor(request),
            member=member,
            role=form.cleaned_data["role"],
            request=request,
        )
    except AccountError as exc:
        return _page(request, row_errors={member.pk: [exc.message]}, status=_status(exc))
    messages.success(request, _("Role of %(email)s changed.") % {"email": member.email})
    return redirect("team")


@login_required
@require_POST
def team_remove_view(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(team_members(), pk=pk)
    try:
        member_remove(
            tenant=request_tenant(request), actor=_actor(request), member=member, request=request
        )
    except AccountError as exc:
        return _page(request, row_errors={member.pk: [exc.message]}, status=_status(exc))
    messages.success(request, _("%(email)s was removed from the team.") % {"email": member.email})
    return redirect("team")


def _status(exc: AccountError) -> int:
    return 403 if isinstance(exc, NotAllowed) else 400


@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
@require_http_methods(["GET", "POST"])
def invitation_accept_view(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The invitation link: the invited person chooses a password and is logged in."""
    user = invited_user(uidb64, token)
    if user is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_accept(
                tenant=request_tenant(request),
                user=user,
                password=form.cleaned_data["new_password1"],
                request=request,
            )
        except AccountError:
            return render(request, "accounts/invitation_invalid.html", status=404)
        auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome to the team!"))
        return redirect("home")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "accounts/invitation_accept.html",
        {"form": form, "invited": user},
        status=status,
    )
