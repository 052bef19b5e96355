"""``/authorization`` (the consent page), ``/logout`` and ``POST /oauth/token``.

The consent page refuses with a 400 page, never a redirect, until client_id and redirect_uri
are known good; after that, approval and denial go back to the registered redirect URI. The
browser stays signed in as the seller who approved last (a cookie, as ML keeps its own session):
the page then asks only for consent, and ``/logout`` signs it out to choose another seller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape
from urllib.parse import urlencode, urlsplit, urlunsplit

from werkzeug.wrappers import Response

from doubles.harness import html_response
from doubles.mercadolivre.errors import AuthorizationPageError, NotFound
from doubles.mercadolivre.oauth import PKCE_METHODS
from doubles.mercadolivre.records import Seller
from doubles.mercadolivre.web import Call, Route, json_response

# The browser's sandbox session: the id of the seller who approved last. Named apart from the
# app's own cookies, which share the host (localhost) in development.
SESSION_COOKIE = "ml_sandbox_session"
# Where ``/logout`` may send the browser back to: the consent page, never another site.
CONSENT_PAGE_PATH = re.compile(r"/authorization(\?[^\x00-\x20\x7f\\]*)?")


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


def _session_seller(call: Call) -> Seller | None:
    """The seller this browser is signed in as; None without a session or for a stale one."""
    seller_id_text = call.request.cookies.get(SESSION_COOKIE, "")
    return call.state.seller(int(seller_id_text)) if seller_id_text.isdigit() else None


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
    response = _redirect(auth, {"code": code})
    # Who approved is who this browser is signed in as from now on.
    response.set_cookie(SESSION_COOKIE, str(seller.id), httponly=True, samesite="Lax")
    return response


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
        chosen = request.form.get("sandbox_user_id")
        if chosen is None and (session := _session_seller(call)) is not None:
            chosen = str(session.id)
        return _approved(call, auth, chosen)
    if "sandbox_user_id" in request.args:
        return _approved(call, auth, request.args.get("sandbox_user_id"))
    sellers = call.state.sellers
    if call.state.config.auto_approve and sellers:
        return _approved(call, auth, str(sellers[0].id))
    page_path = f"/authorization?{request.query_string.decode()}"
    session = _session_seller(call)
    if session is None:
        return html_response(_consent_page(auth, page_path, _seller_chooser(sellers)))
    return html_response(_consent_page(auth, page_path, _signed_in_as(session, page_path)))


def logout(call: Call) -> Response:
    """Sign the browser out of the sandbox, then back to ``go`` if it is a consent page."""
    go = call.request.args.get("go", "")
    if CONSENT_PAGE_PATH.fullmatch(go):
        response = Response(status=302, headers={"Location": go})
    else:
        response = html_response(
            _page("signed out", "<p>You are signed out of the Mercado Livre sandbox.</p>")
        )
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="Lax")
    return response


def _seller_name(seller: Seller) -> str:
    return (
        f"{escape(seller.nickname)} "
        f"({escape(seller.first_name)} {escape(seller.last_name)}, {seller.id})"
    )


def _seller_chooser(sellers: list[Seller]) -> str:
    choices = "\n".join(
        f'<label><input type="radio" name="sandbox_user_id" value="{seller.id}"'
        f"{' checked' if index == 0 else ''}> {_seller_name(seller)}</label><br>"
        for index, seller in enumerate(sellers)
    )
    return f"""<fieldset id="sandbox-seller-chooser"><legend>Sign in as</legend>
{choices}
</fieldset>"""


def _signed_in_as(seller: Seller, page_path: str) -> str:
    switch = "/logout?" + urlencode({"go": page_path})
    return f"""<p id="sandbox-signed-in">Signed in as <strong>{_seller_name(seller)}</strong>.
<a id="sandbox-switch-account" href="{escape(switch)}">Not you? Sign in as another seller</a></p>
<input type="hidden" name="sandbox_user_id" value="{seller.id}">"""


def _consent_page(auth: AuthorizationRequest, page_path: str, account: str) -> str:
    return _page(
        "authorize application",
        f"""<h1>Mercado Livre sandbox</h1>
<p>The application <strong>{escape(auth.client_id)}</strong> wants to access your account
(offline_access read write) and will return to <code>{escape(auth.redirect_uri)}</code>.</p>
<form method="post" action="{escape(page_path)}">
{account}
<button type="submit" name="decision" value="approve">Authorize</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>""",
    )


def _page(title: str, body: str) -> str:
    return f"""<!doctype html>
<html lang="pt-BR">
<head><meta charset="utf-8"><title>Mercado Livre sandbox: {escape(title)}</title></head>
<body>
{body}
</body>
</html>
"""


def authorization_error_page(error: AuthorizationPageError) -> Response:
    return html_response(
        _page(
            "authorization error",
            f"""<h1>Lo sentimos, la aplicación no puede conectarse a tu cuenta</h1>
<p>{escape(error.message)}</p>""",
        ),
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
    Route("/logout", ("GET",), logout, "auth_page"),
    Route("/oauth/token", ("POST",), token, "oauth"),
)
