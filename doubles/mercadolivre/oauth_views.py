"""``/authorization`` (the consent page) and ``POST /oauth/token``.

The consent page refuses with a 400 page, never a redirect, until client_id and redirect_uri
are known good; after that, approval and denial go back to the registered redirect URI.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from urllib.parse import urlencode, urlsplit, urlunsplit

from werkzeug.wrappers import Response

from doubles.harness import html_response
from doubles.mercadolivre.errors import AuthorizationPageError, NotFound
from doubles.mercadolivre.oauth import PKCE_METHODS
from doubles.mercadolivre.records import Seller
from doubles.mercadolivre.web import Call, Route, json_response


@dataclass(frozen=True)
class AuthorizationRequest:
    client_id: str
    redirect_uri: str
    state: str | None
    code_challenge: str | None
    code_challenge_method: str | None


def _authorization_request(call: Call) -> AuthorizationRequest:
    args = call.request.args
    client_id = args.get("client_id", "")
    application = call.state.oauth.applications.get(client_id)
    if application is None:
        raise AuthorizationPageError("Unknown application: check client_id.")
    redirect_uri = args.get("redirect_uri", "")
    if redirect_uri not in application.redirect_uris:
        raise AuthorizationPageError(
            "The redirect_uri does not match exactly any redirect URI registered for this "
            "application."
        )
    if args.get("response_type") != "code":
        raise AuthorizationPageError("response_type must be 'code'.")
    challenge = args.get("code_challenge") or None
    method = args.get("code_challenge_method") or None
    if challenge is None:
        if application.pkce_required:
            raise AuthorizationPageError(
                "This application has PKCE enabled: code_challenge and code_challenge_method "
                "are required."
            )
        method = None
    else:
        method = method or "plain"  # RFC 7636's default when the method is left out
        if method not in PKCE_METHODS:
            raise AuthorizationPageError("code_challenge_method must be S256 or plain.")
    return AuthorizationRequest(
        client_id=client_id,
        redirect_uri=redirect_uri,
        state=args.get("state"),
        code_challenge=challenge,
        code_challenge_method=method,
    )


def _redirect(auth: AuthorizationRequest, params: dict[str, str]) -> Response:
    if auth.state is not None:
        params["state"] = auth.state
    parts = urlsplit(auth.redirect_uri)
    query = f"{parts.query}&{urlencode(params)}" if parts.query else urlencode(params)
    location = urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
    return Response(status=302, headers={"Location": location})


def _approved(call: Call, auth: AuthorizationRequest, seller_id_text: str | None) -> Response:
    seller = None
    if seller_id_text and seller_id_text.isdigit():
        seller = call.state.seller(int(seller_id_text))
    if seller is None:
        raise AuthorizationPageError("Unknown sandbox user: choose one of the sandbox sellers.")
    code = call.state.oauth.code_issue(
        client_id=auth.client_id,
        redirect_uri=auth.redirect_uri,
        seller_id=seller.id,
        code_challenge=auth.code_challenge,
        code_challenge_method=auth.code_challenge_method,
    )
    return _redirect(auth, {"code": code})


def authorization(call: Call) -> Response:
    auth = _authorization_request(call)
    request = call.request
    if request.method == "POST":
        decision = request.form.get("decision")
        if decision == "deny":
            return _redirect(
                auth,
                {"error": "access_denied", "error_description": "The user denied the access."},
            )
        if decision != "approve":
            raise AuthorizationPageError("Choose Authorize or Deny.")
        return _approved(call, auth, request.form.get("sandbox_user_id"))
    if "sandbox_user_id" in request.args:
        return _approved(call, auth, request.args.get("sandbox_user_id"))
    sellers = call.state.sellers
    if call.state.config.auto_approve and sellers:
        return _approved(call, auth, str(sellers[0].id))
    return html_response(_consent_page(auth, sellers, request.query_string.decode()))


def _consent_page(auth: AuthorizationRequest, sellers: list[Seller], query: str) -> str:
    choices = "\n".join(
        f'<label><input type="radio" name="sandbox_user_id" value="{seller.id}"'
        f"{' checked' if index == 0 else ''}> {escape(seller.nickname)} "
        f"({escape(seller.first_name)} {escape(seller.last_name)}, {seller.id})</label><br>"
        for index, seller in enumerate(sellers)
    )
    return f"""<!doctype html>
<html lang="pt-BR">
<head><meta charset="utf-8"><title>Mercado Livre sandbox: authorize application</title></head>
<body>
<h1>Mercado Livre sandbox</h1>
<p>The application <strong>{escape(auth.client_id)}</strong> wants to access your account
(offline_access read write) and will return to <code>{escape(auth.redirect_uri)}</code>.</p>
<form method="post" action="/authorization?{escape(query)}">
<fieldset><legend>Sign in as</legend>
{choices}
</fieldset>
<button type="submit" name="decision" value="approve">Authorize</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>
</body>
</html>
"""


def authorization_error_page(error: AuthorizationPageError) -> Response:
    return html_response(
        f"""<!doctype html>
<html lang="pt-BR">
<head><meta charset="utf-8"><title>Mercado Livre sandbox: authorization error</title></head>
<body>
<h1>Lo sentimos, la aplicación no puede conectarse a tu cuenta</h1>
<p>{escape(error.message)}</p>
</body>
</html>
""",
        status=400,
    )


def token_grant_type(call: Call) -> str:
    """The grant a token request asks for, for counting (a query-only request counts too)."""
    request = call.request
    return request.form.get("grant_type") or request.args.get("grant_type") or ""


def token(call: Call) -> Response:
    request = call.request
    if not request.form and request.args:
        # ML answers a query-string token request like an unknown route (ISS-PHP39).
        raise NotFound(f"Resource {request.path} not found.")
    form = request.form.to_dict()
    pair = call.state.oauth.token_grant(form)
    if form.get("grant_type") == "refresh_token":
        # ML rotates on receipt: the pair above is already the only live one while this waits.
        call.state.token_answer_hold()
    return json_response(pair.to_json(), headers={"Cache-Control": "no-store"})


ROUTES = (
    Route("/authorization", ("GET", "POST"), authorization, "auth_page"),
    Route("/oauth/token", ("POST",), token, "oauth"),
)
