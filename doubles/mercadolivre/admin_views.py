"""``/_sandbox/*``: inspect the sandbox, set faults, reset, expire tokens, release held token
answers, simulate events.

Guarded by ``Authorization: Bearer <client_secret>``; never subject to injected faults.
"""

from __future__ import annotations

import hmac
import json

from werkzeug.wrappers import Response

from doubles.mercadolivre.errors import BadRequest, SandboxError
from doubles.mercadolivre.events import event_apply
from doubles.mercadolivre.web import Call, Route, json_response

REVOKE_KEY = "revoke_refresh_tokens"


class AdminUnauthorized(SandboxError):
    def __init__(self) -> None:
        super().__init__(401, "unauthorized", "send Authorization: Bearer <client_secret>")


def admin_authorized(call: Call) -> None:
    scheme, _, secret = call.request.headers.get("Authorization", "").partition(" ")
    expected = call.state.config.client_secret
    if scheme.lower() != "bearer" or not hmac.compare_digest(secret.encode(), expected.encode()):
        raise AdminUnauthorized()


def _json_body(call: Call) -> dict[str, object]:
    raw = call.request.get_data(as_text=True)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise BadRequest("The body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object")
    return body


def state_get(call: Call) -> Response:
    return json_response(call.state.summary())


def faults_set(call: Call) -> Response:
    changes = _json_body(call)
    revoke = changes.pop(REVOKE_KEY, None)
    seller_ids = _revoked_sellers(revoke)
    with call.state.lock:
        settings = call.state.faults.update(changes)
        if "deactivate_after_slow" in changes:
            # Setting the switch again is the sandbox's way to subscribe to the topics anew.
            call.state.notifier.topics_reactivate()
        if revoke not in (None, False):
            call.state.oauth.refresh_tokens_revoke(seller_ids)
    return json_response(settings.to_json())


def _revoked_sellers(revoke: object) -> set[int] | None:
    """``true`` revokes every seller (None), a list revokes those sellers."""
    if revoke in (None, False, True):
        return None
    if isinstance(revoke, list) and all(
        isinstance(v, int) and not isinstance(v, bool) for v in revoke
    ):
        return {int(v) for v in revoke}
    raise BadRequest(f"{REVOKE_KEY} must be true or a list of seller ids")


def reset(call: Call) -> Response:
    call.state.reset()
    return json_response(call.state.summary())


def tokens_expire(call: Call) -> Response:
    seller_id = _json_body(call).get("seller_id")
    if seller_id is not None and (not isinstance(seller_id, int) or isinstance(seller_id, bool)):
        raise BadRequest("seller_id must be an integer")
    expired = call.state.oauth.access_tokens_expire(seller_id)
    return json_response({"expired": expired})


def token_answers_release(call: Call) -> Response:
    return json_response({"released": call.state.token_answers.release()})


def events_create(call: Call) -> Response:
    return json_response(event_apply(call.state, body=_json_body(call)))


ROUTES = (
    Route("/_sandbox/state", ("GET",), state_get, "admin"),
    Route("/_sandbox/faults", ("POST",), faults_set, "admin"),
    Route("/_sandbox/reset", ("POST",), reset, "admin"),
    Route("/_sandbox/expire_tokens", ("POST",), tokens_expire, "admin"),
    Route("/_sandbox/release_token_answers", ("POST",), token_answers_release, "admin"),
    Route("/_sandbox/events", ("POST",), events_create, "admin"),
)
