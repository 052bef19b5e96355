"""Downloading a closed store's final export on the public host (its own host is gone)."""

from __future__ import annotations

from django.http import FileResponse, HttpRequest, HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET

from compliance.retention.errors import OffboardingLinkInvalid
from compliance.retention.offboarding import offboarding_export_from_token


@require_GET
def offboarding_export_download(request: HttpRequest, token: str) -> HttpResponseBase:
    """The signed link is the credential, as for any export link; it expires the same way."""
    try:
        path = offboarding_export_from_token(token=token)
    except OffboardingLinkInvalid as exc:
        return render(
            request, "compliance/export_unavailable.html", {"reason": exc.message}, status=404
        )
    response = FileResponse(path.open("rb"), as_attachment=True, filename=path.name)
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
