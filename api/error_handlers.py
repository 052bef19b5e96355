"""Every API error in one shape: ``{"error": {"code", "message", "details"}}``.

``api_exception_handler`` is DRF's ``EXCEPTION_HANDLER``; ``page_not_found`` and
``server_error`` answer unrouted or crashed ``/api/`` requests on a store's host the same way
(other paths get Django's own pages). The errors themselves are in ``api.errors``, apart: this
module imports ``rest_framework.views``, which loads the API settings, whose authentication and
permission classes import ``api.errors``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

from api.errors import ApiError

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def _first_code(codes: Any) -> str:
    if isinstance(codes, str):
        return codes
    if isinstance(codes, list) and codes:
        return _first_code(codes[0])
    if isinstance(codes, dict) and codes:
        return _first_code(next(iter(codes.values())))
    return "error"


def _shaped(exc: exceptions.APIException, data: Any) -> dict[str, Any]:
    if isinstance(exc, ApiError):
        return error_body(exc.get_codes(), str(exc.detail), exc.details)  # type: ignore[arg-type]
    if isinstance(exc, exceptions.ValidationError):
        fields = data if isinstance(data, dict) else {"non_field_errors": data}
        return error_body("validation_error", "The request is not valid.", {"fields": fields})
    if isinstance(exc, exceptions.Throttled):
        seconds = getattr(exc, "wait", None)
        wait = int(seconds) if seconds is not None else None
        return error_body(
            _first_code(exc.get_codes()) or "throttled",
            str(exc.detail),
            {"retry_after": wait} if wait is not None else {},
        )
    message = data.get("detail") if isinstance(data, dict) else None
    return error_body(_first_code(exc.get_codes()), str(message or exc.detail))


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.APIException):
        response.data = _shaped(exc, response.data)
        if isinstance(exc, ApiError) and exc.retry_after is not None:
            response["Retry-After"] = str(exc.retry_after)
        return response
    if response is not None:
        # Http404 / Django's PermissionDenied, turned into DRF's by the default handler.
        response.data = error_body(
            "not_found" if response.status_code == 404 else "permission_denied",
            str(response.data.get("detail", "")) if isinstance(response.data, dict) else "",
        )
        return response
    request = context.get("request")
    logger.exception(
        "API error on %s %s",
        getattr(request, "method", "?"),
        getattr(request, "path", "?"),
        exc_info=exc,
    )
    set_rollback()
    return Response(
        error_body("server_error", "Something went wrong on our side; it was logged."),
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return JsonResponse(error_body("not_found", "There is no such API endpoint."), status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return JsonResponse(
            error_body("server_error", "Something went wrong on our side; it was logged."),
            status=500,
        )
    return defaults.server_error(request)
