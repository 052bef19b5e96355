"""Connect Mercado Livre: the store's settings page, the redirect to ML, and the callback."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from integrations.mercadolivre.errors import MLConnectError, MLDisconnectNotAllowed
from integrations.mercadolivre.models import MLAccount, MLAccountStatus
from integrations.mercadolivre.services import ml_connect_complete, ml_connect_start, ml_disconnect
from tenants.context import request_tenant
from tenants.services import store_url
from users.policy import may_manage


@login_required
@require_GET
def ml_settings(request: HttpRequest) -> HttpResponse:
    account = MLAccount.objects.exclude(status=MLAccountStatus.DISCONNECTED).first()
    return render(
        request,
        "integrations/ml_settings.html",
        {"account": account, "may_manage": may_manage(user=request.user)},
    )


@login_required
@require_POST
def ml_connect(request: HttpRequest) -> HttpResponse:
    if not may_manage(user=request.user):
        messages.error(request, _("Only the store's owner or an admin can connect Mercado Livre."))
        return redirect("ml-settings")
    try:
        started = ml_connect_start(tenant=request_tenant(request), started_by=request.user.email)  # type: ignore[union-attr]
    except MLConnectError as exc:
        messages.error(request, exc.message)
        return redirect("ml-settings")
    return HttpResponseRedirect(started.authorization_url)


@login_required
@require_POST
def ml_disconnect_view(request: HttpRequest) -> HttpResponse:
    try:
        disconnected = ml_disconnect(tenant=request_tenant(request), actor=request.user)  # type: ignore[arg-type]
    except MLDisconnectNotAllowed as exc:
        messages.error(request, exc.message)
        return redirect("ml-settings")
    if disconnected:
        messages.success(
            request, _("Mercado Livre disconnected. Peepers deleted its access tokens.")
        )
    return redirect("ml-settings")


@require_GET
def ml_callback(request: HttpRequest) -> HttpResponse:
    """``ML_REDIRECT_URI`` on the public host: finish connecting, then back to the store."""
    try:
        connected = ml_connect_complete(callback_data=request.GET.dict())
    except MLConnectError as exc:
        return render(
            request, "integrations/ml_connect_error.html", {"message": exc.message}, status=400
        )
    return HttpResponseRedirect(
        store_url(connected.tenant.schema_name, "/settings/mercado-livre/?connected=1")
    )
