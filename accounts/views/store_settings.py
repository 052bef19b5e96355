"""The store's settings page: its profile, and links to the Mercado Livre connection, the API
tokens and two-factor authentication (each has its own page)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.errors import AccountError, NotAllowed
from accounts.forms import StoreProfileForm
from accounts.selectors import two_factor_enabled
from accounts.services import store_profile_update
from tenants.context import request_tenant
from users.models import User
from users.policy import may_manage


@login_required
@require_http_methods(["GET", "POST"])
def store_settings(request: HttpRequest) -> HttpResponse:
    tenant = request_tenant(request)
    user = request.user
    assert isinstance(user, User)
    can_edit = may_manage(user=user)
    initial = {"name": tenant.name, "owner_email": tenant.owner_email}
    form = StoreProfileForm(request.POST or None, initial=initial, read_only=not can_edit)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                store_profile_update(
                    tenant=tenant,
                    actor=user,
                    name=form.cleaned_data["name"],
                    owner_email=form.cleaned_data["owner_email"],
                )
            except AccountError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                status = 403 if isinstance(exc, NotAllowed) else 400
            else:
                messages.success(request, _("Store profile saved."))
                return redirect("store-settings")
        else:
            status = 403 if not can_edit else 400
    context = {
        "form": form,
        "can_edit": can_edit,
        "two_factor_on": two_factor_enabled(user=user),
        "store_address": request.get_host(),
    }
    return render(request, "accounts/settings.html", context, status=status)
