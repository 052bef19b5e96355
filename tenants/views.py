"""Onboarding and account pages: signup (public host), login and home (store hosts)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.module_loading import import_string
from django.views.decorators.http import require_http_methods

from tenants.context import request_tenant
from tenants.errors import (
    HandoffTokenInvalid,
    HandoffUserUnavailable,
    TenantError,
    TenantInvalid,
)
from tenants.forms import SignupForm
from tenants.handoff import handoff_token_consume, handoff_token_make
from tenants.models import Tenant
from tenants.services import tenant_create
from users.models import User


def render_for_visitor(
    request: HttpRequest, template: str, context: dict[str, Any], *, status: int
) -> HttpResponse:
    """A page answered by the tenant router, before ``LocaleMiddleware`` has run.

    It is rendered in the visitor's language (language cookie, then Accept-Language, then
    ``LANGUAGE_CODE``), chosen here for this response only: the thread's language is left as
    it was.
    """
    language = translation.get_language_from_request(request)
    with translation.override(language):
        response = render(request, template, context, status=status)
    response.headers.setdefault("Content-Language", language)
    patch_vary_headers(response, ("Accept-Language", "Cookie"))
    return response


def unknown_host(request: HttpRequest) -> HttpResponse:
    """No store answers to this host (``DEFAULT_NOT_FOUND_TENANT_VIEW``)."""
    # The routing middleware validated the host before it looked for a store.
    host = request.get_host().split(":")[0]
    return render_for_visitor(request, "tenants/unknown_host.html", {"host": host}, status=404)


def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "tenants/landing.html")


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None, initial={"plan": settings.PEEPERS_DEFAULT_PLAN})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = tenant_create(
                name=data["name"],
                slug=data["slug"],
                owner_email=data["email"],
                owner_password=data["password"],
                plan_code=data["plan"],
                terms_accepted=data["accept_terms"],
                channel="signup",
                ip_address=request.META.get("REMOTE_ADDR"),
                user_agent=request.headers.get("user-agent", ""),
            )
        except TenantInvalid as exc:
            for field, errors in exc.errors.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        except TenantError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            assert result.owner is not None
            return HttpResponseRedirect(_handoff_url(request, result.tenant, result.owner))
    status = 400 if request.method == "POST" else 200
    return render(request, "tenants/signup.html", {"form": form}, status=status)


def _handoff_url(request: HttpRequest, tenant: Tenant, user: User) -> str:
    """A one-time link that logs the new owner in on their store's host."""
    token = handoff_token_make(tenant=tenant, user=user)
    domain = tenant.get_primary_domain()
    port = request.get_port()
    default_port = "443" if request.is_secure() else "80"
    netloc = domain.domain if port in ("", default_port) else f"{domain.domain}:{port}"
    return f"{request.scheme}://{netloc}/welcome/{token}/"


def welcome(request: HttpRequest, token: str) -> HttpResponse:
    """Consume a signup hand-off link on the store's own host, then go home logged in."""
    try:
        user = handoff_token_consume(token=token, tenant=request_tenant(request))
    except HandoffUserUnavailable:
        return redirect("login")
    except HandoffTokenInvalid as exc:
        messages.info(request, exc.message)
        return redirect("login")
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect("home")


class LegalNotice(Protocol):
    """A published notice as ``PEEPERS_LEGAL_NOTICE_PROVIDER`` returns it (compliance owns them)."""

    version: str
    title: str
    body_html: str
    effective_at: datetime


def _published_notice(kind: str) -> LegalNotice | None:
    """The current notice of ``kind`` from the configured provider; None: use the template."""
    path = getattr(settings, "PEEPERS_LEGAL_NOTICE_PROVIDER", "")
    if not path:
        return None
    provider: Callable[..., LegalNotice | None] = import_string(path)
    return provider(kind=kind)


def _legal_page(request: HttpRequest, *, kind: str, template: str, version: str) -> HttpResponse:
    notice = _published_notice(kind)
    if notice is not None:
        return render(request, "compliance/privacy_legal_notice.html", {"notice": notice})
    return render(request, template, {"version": version})


def legal_terms(request: HttpRequest) -> HttpResponse:
    return _legal_page(
        request, kind="terms", template="legal/terms.html", version=settings.PEEPERS_TERMS_VERSION
    )


def legal_privacy(request: HttpRequest) -> HttpResponse:
    return _legal_page(
        request,
        kind="privacy",
        template="legal/privacy.html",
        version=settings.PEEPERS_PRIVACY_NOTICE_VERSION,
    )
