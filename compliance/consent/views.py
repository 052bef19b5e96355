"""The seller's privacy center on the store host: consent per purpose, the notice, the DPO, and
"download my data" / "delete my data". Views parse, call the services and render."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from compliance.consent.errors import ConsentError
from compliance.consent.forms import ConsentDecisionForm, ErasureRequestForm
from compliance.consent.models import ConsentChannel
from compliance.consent.privacy_center import (
    privacy_buyer_requests,
    privacy_erasure_request,
    privacy_export,
    privacy_open_requests,
)
from compliance.consent.selectors import consent_history, consent_states
from compliance.consent.services import consent_grant, consent_revoke
from compliance.dsr.forms import BuyerRequestForm
from compliance.dsr.requests import dsr_clock, dsr_file
from compliance.errors import ComplianceError
from compliance.notices.errors import NoticeError
from compliance.notices.models import NoticeKind
from compliance.notices.selectors import notice_current
from tenants.context import request_tenant
from users.models import User
from users.policy import may_manage

_EXPORT_LINK_KEY = "privacy_export_link"


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # login_required
    return user


def _page(request: HttpRequest, *, status: int = 200, **forms: Any) -> HttpResponse:
    user = _user(request)
    tenant = request_tenant(request)
    token = request.session.pop(_EXPORT_LINK_KEY, None)
    states = consent_states(user=user)
    consent_form = forms.get("consent_form")
    consent_errors = (
        [e for errors in consent_form.errors.values() for e in errors] if consent_form else []
    )
    posted = consent_form.data.get("purpose", "") if consent_form else ""
    context = {
        "states": states,
        # Errors go next to the purpose's row, or above the table when it names no purpose shown.
        "consent_errors": consent_errors,
        "consent_error_row": posted if any(s.purpose.code == posted for s in states) else "",
        "history": consent_history(user=user, limit=20),
        "notice": notice_current(kind=NoticeKind.PRIVACY),
        "fallback_version": settings.PEEPERS_PRIVACY_NOTICE_VERSION,
        "open_requests": privacy_open_requests(tenant=tenant, user=user),
        "store_time_zone": tenant.time_zone,
        "export_url": reverse("privacy-export-download", args=[token]) if token else "",
        "erasure_form": forms.get("erasure_form") or ErasureRequestForm(),
    }
    if may_manage(user=user):
        context["buyer_form"] = forms.get("buyer_form") or BuyerRequestForm(store=tenant)
        context["buyer_requests"] = privacy_buyer_requests(tenant=tenant)
    return render(request, "compliance/privacy_center.html", context, status=status)


@require_GET
@login_required
def privacy_center(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@login_required
def privacy_consent(request: HttpRequest) -> HttpResponse:
    """One click: grant or revoke one purpose."""
    form = ConsentDecisionForm(request.POST)
    if not form.is_valid():
        return _page(request, status=400, consent_form=form)
    decide = consent_grant if form.cleaned_data["decision"] == "grant" else consent_revoke
    try:
        decide(
            user=_user(request),
            purpose=form.cleaned_data["purpose"],
            channel=ConsentChannel.PRIVACY_CENTER,
            request=request,
        )
    except (ConsentError, NoticeError) as exc:
        form.add_error("purpose", exc.message)
        return _page(request, status=400, consent_form=form)
    if form.cleaned_data["decision"] == "grant":
        messages.success(request, _("Consent granted. You can revoke it here at any time."))
    else:
        messages.success(request, _("Consent revoked."))
    return redirect(f"{reverse('privacy-center')}#purpose-{form.cleaned_data['purpose']}")


@require_POST
@login_required
def privacy_export_start(request: HttpRequest) -> HttpResponse:
    """Download my data: export now, then show the link once (it is the credential)."""
    try:
        ready = privacy_export(tenant=request_tenant(request), user=_user(request), request=request)
    except ComplianceError as exc:
        messages.error(request, exc.message)
        return redirect("privacy-center")
    request.session[_EXPORT_LINK_KEY] = ready.token
    messages.success(request, _("Your data is ready to download."))
    return redirect(f"{reverse('privacy-center')}#my-data")


@require_POST
@login_required
def privacy_erasure(request: HttpRequest) -> HttpResponse:
    """Request deletion: a request staff verify and carry out within the legal deadline."""
    form = ErasureRequestForm(request.POST)
    if not form.is_valid():
        return _page(request, status=400, erasure_form=form)
    try:
        opened = privacy_erasure_request(
            tenant=request_tenant(request), user=_user(request), request=request
        )
    except ComplianceError as exc:
        form.add_error(None, exc.message)
        return _page(request, status=400, erasure_form=form)
    due = formats.date_format(dsr_clock(request=opened).due_on, "SHORT_DATE_FORMAT")
    messages.success(
        request,
        _("We received your deletion request. Our staff will handle it by %(due)s.") % {"due": due},
    )
    return redirect(f"{reverse('privacy-center')}#my-data")


@require_POST
@login_required
def privacy_buyer_request(request: HttpRequest) -> HttpResponse:
    """File a buyer's request for them: the store is the controller of its buyers' data."""
    user = _user(request)
    if not may_manage(user=user):
        raise PermissionDenied
    tenant = request_tenant(request)
    form = BuyerRequestForm(request.POST, store=tenant)
    if not form.is_valid():
        return _page(request, status=400, buyer_form=form)
    try:
        opened = dsr_file(tenant=tenant, by=user, http_request=request, **form.filed())
    except ComplianceError as exc:
        form.add_error(None, exc.message)
        return _page(request, status=400, buyer_form=form)
    due = formats.date_format(opened.request.due_at, "SHORT_DATE_FORMAT")
    if opened.created:
        messages.success(
            request,
            _("Request filed for buyer %(buyer)s; it must be answered by %(due)s.")
            % {"buyer": opened.request.subject_ml_user_id, "due": due},
        )
    else:
        messages.warning(
            request,
            _("Buyer %(buyer)s already has this request open; it must be answered by %(due)s.")
            % {"buyer": opened.request.subject_ml_user_id, "due": due},
        )
    return redirect(f"{reverse('privacy-center')}#buyer-requests")
