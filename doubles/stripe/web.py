"""What the emulator's views share: the route record, the call context and response helpers."""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from werkzeug.wrappers import Request, Response

from doubles import harness
from doubles.stripe.errors import InvalidRequest, StripeError
from doubles.stripe.params import Params, decode
from doubles.stripe.records import Record
from doubles.stripe.state import EmulatorState
from doubles.stripe.store import R, page

JSON = dict[str, object]

# api: /v1/*, Stripe's secret-key auth, faults and idempotency; page: hosted HTML pages a
# browser opens (checkout, portal, invoice); admin: /_emulator/*, never faulted.
RouteKind = Literal["api", "page", "admin"]


@dataclass
class Call:
    request: Request
    state: EmulatorState
    args: Mapping[str, str]
    pairs: list[tuple[str, str]]

    @property
    def params(self) -> Params:
        return Params(decode(self.pairs))

    def arg(self, name: str) -> str:
        return self.args[name]

    def expand_paths(self) -> list[str]:
        return self.params.str_list("expand") or []

    def respond(self, record: Record) -> JSON:
        """The record's JSON with the request's ``expand[]`` applied."""
        renderer = self.state.renderer
        return renderer.expand(renderer.render(record), self.expand_paths())

    def list(self, records: list[R], url: str) -> JSON:
        """A page of ``records`` (newest first) as Stripe's list object."""
        params = self.params
        chosen, has_more = page(
            records,
            limit=params.opt_int("limit"),
            starting_after=params.opt_str("starting_after"),
            ending_before=params.opt_str("ending_before"),
        )
        renderer = self.state.renderer
        body: JSON = {
            "object": "list",
            "data": [renderer.render(r) for r in chosen],
            "has_more": has_more,
            "url": url,
        }
        return renderer.expand(body, self.expand_paths())

    def json_body(self) -> JSON:
        raw = self.request.get_data(as_text=True)
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except ValueError:
            raise InvalidRequest("The body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise InvalidRequest("The body must be a JSON object.")
        return body


Handler = Callable[[Call], "JSON | Response"]


Route = harness.Route[Handler, RouteKind]


LIST_PARAMS = ("limit", "starting_after", "ending_before")


def json_response(
    body: object, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        json.dumps(body, indent=2),
        status=status,
        headers=dict(headers or {}),
        content_type="application/json",
    )


def error_response(error: StripeError, headers: Mapping[str, str] | None = None) -> Response:
    return json_response(error.body(), error.status, headers)


def redirect(location: str) -> Response:
    return Response(status=303, headers={"Location": location})


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def page_html(title: str, body: str) -> str:
    """A plain page in the emulator's own look (never mistaken for Stripe's)."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(title)} · Stripe emulator</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 42rem; margin: 2rem auto; color: #222; }}
.banner {{ background: #fff3cd; padding: .5rem 1rem; border-radius: .4rem; font-size: .9rem; }}
.error {{ background: #f8d7da; padding: .5rem 1rem; border-radius: .4rem; }}
table {{ border-collapse: collapse; width: 100%; }} td, th {{ padding: .3rem; text-align: left; }}
form.inline {{ display: inline; }} button {{ margin: .2rem; padding: .5rem 1rem; }}
</style></head><body>
<p class="banner">Peepers Stripe emulator — test mode, no real money moves.</p>
<h1>{esc(title)}</h1>
{body}
</body></html>"""
