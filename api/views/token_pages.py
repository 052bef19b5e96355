"""Settings → API tokens: create (the secret is shown once), list and revoke one's tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from api.errors import ApiTokenInvalid
from api.forms import ApiTokenForm
from api.models import ApiToken
from api.tokens import api_token_create, api_token_revoke, api_tokens_of
from users.models import User


def _store_only(request: HttpRequest) -> None:
    tenant = getattr(request, "tenant", None)
    if tenant is None or tenant.is_public:
        raise Http404


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    _store_only(request)
    user: User = request.user  # type: ignore[assignment]
    form = ApiTokenForm(request.POST or None)
    secret = ""
    if request.method == "POST" and form.is_valid():
        try:
            issued = api_token_create(
                user=user,
                name=form.cleaned_data["name"],
                expires_at=form.expires_at(),
                request=request,
            )
        except ApiTokenInvalid as exc:
            form.add_error("name", exc.message)
        else:
            # Rendered, not redirected: the secret must not travel through the session.
            secret = issued.secret
            form = ApiTokenForm()
    response = render(
        request,
        "api/tokens.html",
        {"form": form, "tokens": api_tokens_of(user=user), "secret": secret},
        status=400 if request.method == "POST" and not secret else 200,
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def api_token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    _store_only(request)
    user: User = request.user  # type: ignore[assignment]
    token = ApiToken.objects.filter(pk=pk, user=user).first()
    if token is None:
        raise Http404
    api_token_revoke(token=token, user=user, request=request)
    messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("api-tokens")
