"""The store's billing page: plan, status, invoices; subscribe, change plan, the Portal."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from billing.checkout import (
    checkout_return,
    checkout_start,
    plan_change_apply,
    plan_change_preview,
    plan_price_breakdown,
    proration_from_token,
)
from billing.entitlements import entitlements_for
from billing.errors import BillingError
from billing.models import LIVE_STATUSES, InvoiceRecord, Plan, SubscriptionMirror
from billing.portal import portal_session_create
from billing.usage import usage_for
from core.money import brl
from tenants.context import request_tenant
from tenants.services import store_url
from users.policy import may_manage

INVOICES_SHOWN = 24


def _base_url(request: HttpRequest) -> str:
    return store_url(request_tenant(request).schema_name, "").rstrip("/")


@login_required
@require_GET
def billing_page(request: HttpRequest) -> HttpResponse:
    tenant = request_tenant(request)
    mirror = SubscriptionMirror.objects.select_related("plan").filter(tenant=tenant).first()
    if request.GET.get("checkout") == "canceled":
        messages.info(request, _("Checkout canceled; nothing was charged."))
    plans = [
        {"plan": plan, "price": plan_price_breakdown(plan)}
        for plan in Plan.objects.filter(is_public=True).prefetch_related("tax_rates")
    ]
    invoices = InvoiceRecord.objects.filter(tenant=tenant)[:INVOICES_SHOWN]
    entitlement = entitlements_for(tenant=tenant)
    return render(
        request,
        "billing/billing.html",
        {
            "mirror": mirror,
            "live": mirror is not None and mirror.status in LIVE_STATUSES,
            "entitlement": entitlement,
            "usage": usage_for(tenant=tenant),
            "plans": plans,
            "invoices": invoices,
            "may_manage": may_manage(user=request.user),
        },
    )


def _refuse(request: HttpRequest) -> HttpResponse:
    messages.error(request, _("Only the store's owner or an admin can change billing."))
    return redirect("billing")


@login_required
@require_POST
def checkout_view(request: HttpRequest) -> HttpResponse:
    if not may_manage(user=request.user):
        return _refuse(request)
    plan = Plan.objects.filter(code=request.POST.get("plan", ""), is_public=True).first()
    if plan is None:
        messages.error(request, _("Choose one of the plans below."))
        return redirect("billing")
    try:
        started = checkout_start(
            tenant=request_tenant(request),
            plan=plan,
            started_by=request.user.email,  # type: ignore[union-attr]
            base_url=_base_url(request),
        )
    except BillingError as exc:
        messages.error(request, exc.message)
        return redirect("billing")
    return HttpResponseRedirect(started.url, status=303)


@login_required
@require_GET
def checkout_success(request: HttpRequest) -> HttpResponse:
    session_id = request.GET.get("session_id", "")
    try:
        mirror = checkout_return(tenant=request_tenant(request), session_id=session_id)
    except BillingError:
        mirror = None
    if mirror is not None and mirror.status in ("active", "trialing"):
        if mirror.plan is not None:
            thanks = _("Thank you! Your store is now on %(plan)s.") % {"plan": mirror.plan.name}
        else:
            thanks = _("Thank you! Your store is now subscribed.")
        messages.success(request, thanks)
    else:
        messages.info(
            request,
            _(
                "Thank you! Stripe is confirming your payment; this page updates when it does "
                "(boleto payments take up to one business day)."
            ),
        )
    return redirect("billing")


@login_required
@require_POST
def portal_view(request: HttpRequest) -> HttpResponse:
    if not may_manage(user=request.user):
        return _refuse(request)
    try:
        url = portal_session_create(tenant=request_tenant(request), base_url=_base_url(request))
    except BillingError as exc:
        messages.error(request, exc.message)
        return redirect("billing")
    return HttpResponseRedirect(url, status=303)


@login_required
def plan_change_view(request: HttpRequest, code: str) -> HttpResponse:
    if not may_manage(user=request.user):
        return _refuse(request)
    plan = get_object_or_404(Plan, code=code, is_public=True)
    tenant = request_tenant(request)
    try:
        if request.method == "POST":
            proration_date = proration_from_token(
                tenant=tenant, plan=plan, token=request.POST.get("preview", "")
            )
            mirror = plan_change_apply(tenant=tenant, plan=plan, proration_date=proration_date)
            messages.success(
                request,
                _("Your store is now on %(plan)s.")
                % {"plan": mirror.plan.name if mirror.plan else plan.name},
            )
            return redirect("billing")
        preview = plan_change_preview(tenant=tenant, plan=plan)
    except BillingError as exc:
        messages.error(request, exc.message)
        return redirect("billing")
    return render(
        request,
        "billing/change.html",
        {
            "preview": preview,
            "amount_due": brl(preview.amount_due),
            "lines": [(text, brl(amount)) for text, amount in preview.lines],
        },
    )
