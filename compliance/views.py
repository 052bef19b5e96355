"""Downloading a data-subject export through its signed, expiring link (store host)."""

from __future__ import annotations

from django.http import FileResponse, HttpRequest, HttpResponseBase, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from compliance.consent.privacy_center import privacy_export_delivered
from compliance.dsr.exports import export_from_token
from compliance.errors import ExportLinkInvalid, ExportWithdrawn
from tenants.context import request_tenant


@require_GET
def export_download(request: HttpRequest, token: str) -> HttpResponseBase:
    """The link is the credential (a buyer has no login); it works only on its store's host.

    Handing out the file of a self-service export answers its request, which closes. An export
    withdrawn after its subject's erasure answers 410 Gone, a bad link 404.
    """
    tenant = request_tenant(request)
    try:
        path = export_from_token(token=token, tenant=tenant)
    except ExportLinkInvalid as exc:
        status = 410 if isinstance(exc, ExportWithdrawn) else 404
        code = "export_withdrawn" if status == 410 else "export_unavailable"
        if _wants_json(request):
            return JsonResponse({"code": code, "detail": exc.message}, status=status)
        return render(
            request, "compliance/export_unavailable.html", {"reason": exc.message}, status=status
        )
    response = FileResponse(path.open("rb"), as_attachment=True, filename=path.name)
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    privacy_export_delivered(tenant=tenant, token=token)
    return response


def _wants_json(request: HttpRequest) -> bool:
    return request.accepts("application/json") and not request.accepts("text/html")
