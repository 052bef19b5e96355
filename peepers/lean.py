"""A lean Django handler for machine-to-machine endpoints on the public host (webhooks).

The browser middleware (sessions, CSRF, auth, messages, locale, security headers) costs about
half of a webhook's CPU and does nothing for a POST from ML or Stripe. Paths listed in
``PEEPERS_LEAN_PATHS`` go through ``PEEPERS_LEAN_MIDDLEWARE`` instead; everything else goes
through the full stack. Both are ordinary Django ``WSGIHandler`` instances.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class LeanHandler(WSGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        # Django builds the chain from settings.MIDDLEWARE; this runs once, at import time.
        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = settings.PEEPERS_LEAN_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full


def lean_dispatch(full: WSGIApp) -> WSGIApp:
    lean = LeanHandler()
    paths = frozenset(settings.PEEPERS_LEAN_PATHS)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") in paths:
            return lean(environ, start_response)
        return full(environ, start_response)

    return application
