"""Connect Mercado Livre: the store's settings page (its accounts, each paused, made active or
disconnected there), the redirect to ML, and the callback."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from billing.entitlements import UPGRADE_PATH, entitlements_for
from integrations.mercadolivre.errors import (
    MLConnectError,
    MLDisconnectNotAllowed,
    MLNotConnected,
    MLPlanLimitReached,
)
from integrations.mercadolivre.models import COUNTED_STATUSES, MLAccountStatus
from integrations.mercadolivre.selectors.sync import (
    account_label,
    account_summaries,
    accounts_disconnected,
)
from integrations.mercadolivre.services import (
    ml_account_activate,
    ml_account_pause,
    ml_connect_complete,
    ml_connect_start,
    ml_disconnect,
)
from tenants.context import request_tenant
from tenants.services import store_url
from users.policy import may_manage


@login_required
@require_GET
def ml_settings(request: HttpRequest) -> HttpResponse:
    summaries = account_summaries()
    limits = entitlements_for(tenant=request_tenant(request)).limits
    counted = sum(1 for s in summaries if s.account.status in COUNTED_STATUSES)
    under_limit = counted < limits.max_ml_accounts
    return render(
        request,
        "integrations/ml_settings.html",
        {
            "summaries": summaries,
            "disconnected": accounts_disconnected(),
            "counted": counted,
            "limits": limits,
            "under_limit": under_limit,
            # Paused accounts the plan has no room for: the seller chooses which stay active.
            "paused_by_limit": not under_limit
            and any(s.account.status == MLAccountStatus.PAUSED for s in summaries),
            "upgrade_path": UPGRADE_PATH,
            "may_manage": may_manage(user=request.user),
            # Times read as the seller's, like every other page (São Paulo by default).
            "seller_time_zone": settings.PEEPERS_SELLER_TIME_ZONE,
        },
    )


@login_required
@require_POST
def ml_connect(request: HttpRequest) -> HttpResponse:
    """Connect an account (another one, or one already connected, to renew its access)."""
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
    """Disconnect the account named by ``ml_user_id`` in the form, or every account without."""
    named = request.POST.get("ml_user_id", "").strip()
    if not named:
        return _disconnect(request, None)
    if not named.isdigit():
        messages.error(request, _("Choose which Mercado Livre account to disconnect."))
        return redirect("ml-settings")
    return _disconnect(request, int(named))


@login_required
@require_POST
def ml_account_disconnect(request: HttpRequest, ml_user_id: int) -> HttpResponse:
    return _disconnect(request, ml_user_id)


def _disconnect(request: HttpRequest, ml_user_id: int | None) -> HttpResponse:
    try:
        disconnected = ml_disconnect(
            tenant=request_tenant(request),
            actor=request.user,  # type: ignore[arg-type]
            ml_user_id=ml_user_id,
        )
    except MLDisconnectNotAllowed as exc:
        messages.error(request, exc.message)
        return redirect("ml-settings")
    if ml_user_id is None:
        if disconnected:
            messages.success(
                request, _("Mercado Livre disconnected. Peepers deleted its access tokens.")
            )
    elif disconnected:
        messages.success(
            request,
            _(
                "Mercado Livre account %(account)s disconnected. Peepers deleted its access "
                "tokens; its products, orders and questions stay in your store."
            )
            % {"account": account_label(ml_user_id)},
        )
    else:
        messages.error(
            request,
            _("The Mercado Livre account %(account)s is not connected to this store.")
            % {"account": account_label(ml_user_id)},
        )
    return redirect("ml-settings")


def _account_change(
    request: HttpRequest, ml_user_id: int, change: Callable[..., None], done: str
) -> HttpResponse:
    """Run ``change`` (pause, make active) on account ``ml_user_id`` as the request's user; the
    service's refusal, or ``done`` naming the account, as a message on the settings page."""
    try:
        change(
            tenant=request_tenant(request),
            actor=request.user,
            ml_user_id=ml_user_id,
        )
    except (MLDisconnectNotAllowed, MLNotConnected, MLPlanLimitReached) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done % {"account": account_label(ml_user_id)})
    return redirect("ml-settings")


@login_required
@require_POST
def ml_account_pause_view(request: HttpRequest, ml_user_id: int) -> HttpResponse:
    return _account_change(
        request,
        ml_user_id,
        ml_account_pause,
        _(
            "Mercado Livre account %(account)s paused: Peepers stopped syncing it and "
            "keeps its data."
        ),
    )


@login_required
@require_POST
def ml_account_activate_view(request: HttpRequest, ml_user_id: int) -> HttpResponse:
    return _account_change(
        request,
        ml_user_id,
        ml_account_activate,
        _(
            "Mercado Livre account %(account)s is active again: Peepers is catching up on "
            "what changed while it was paused."
        ),
    )


@require_GET
def ml_callback(request: HttpRequest) -> HttpResponse:
    """``ML_REDIRECT_URI`` on the public host: finish connecting, then back to the store."""
    try:
        connected = ml_connect_complete(callback_data=request.GET.dict())
    except MLConnectError as exc:
        store = exc.store_schema
        limited = isinstance(exc, MLPlanLimitReached)
        return render(
            request,
            "integrations/ml_connect_error.html",
            {
                "message": exc.message,
                "settings_url": store_url(store, "/settings/mercado-livre/") if store else "",
                "billing_url": store_url(store, UPGRADE_PATH) if store and limited else "",
            },
            status=400,
        )
    return HttpResponseRedirect(
        store_url(connected.tenant.schema_name, "/settings/mercado-livre/?connected=1")
    )
