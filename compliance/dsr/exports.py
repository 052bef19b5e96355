"""Access and portability exports: a zip of JSON + CSV per model with a manifest, streamed.

Rows are read with server-side iteration and written straight into the zip, so a store with
100,000 orders exports in bounded memory. The file lands under ``MEDIA_ROOT/exports/<store>/``
and is handed out through a signed link that expires (``COMPLIANCE_EXPORT_LINK_DAYS``).
"""

from __future__ import annotations

import csv
import io
import json
import secrets
import zipfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context, tenant_context

from compliance.audit.models import AuditAction
from compliance.audit.services import audit_record
from compliance.dsr.requests import subject_of
from compliance.errors import ExportLinkInvalid, ExportWithdrawn
from compliance.models import DataSubjectRequest, RequestScope
from compliance.registry import PersonalData, declarations, external_sources
from tenants.models import Tenant

EXPORT_CHUNK = 2000
LINK_SALT = "compliance.export"


def _exports_dir(tenant: Tenant) -> Path:
    path = Path(settings.MEDIA_ROOT) / "exports" / tenant.schema_name
    path.mkdir(parents=True, exist_ok=True)
    return path


def _context(declared: PersonalData, tenant: Tenant) -> Any:
    return tenant_context(tenant) if declared.schema == "tenant" else schema_context("public")


def _columns(declared: PersonalData) -> list[str]:
    """What an export holds of each row: its key, its personal fields, where it came from."""
    return ["pk", *declared.fields, *(name for name, _ in declared.provenance)]


def _values(declared: PersonalData, rows: Any) -> Any:
    sources = {name: F(lookup) for name, lookup in declared.provenance}
    return rows.values("pk", *declared.fields, **sources).iterator(chunk_size=EXPORT_CHUNK)


def _write_model(archive: zipfile.ZipFile, declared: PersonalData, rows: Any, name: str) -> int:
    """The rows as ``name.json`` then ``name.csv``: two passes, one zip entry open at a time."""
    columns = _columns(declared)
    count = 0
    with archive.open(f"{name}.json", "w") as raw_json:
        raw_json.write(b"[")
        for row in _values(declared, rows):
            separator = b",\n" if count else b"\n"
            raw_json.write(separator + _json(row).encode())
            count += 1
        raw_json.write(b"\n]\n")
    with archive.open(f"{name}.csv", "w") as raw_csv:
        text_csv = io.TextIOWrapper(raw_csv, encoding="utf-8", newline="")
        writer = csv.writer(text_csv)
        writer.writerow(columns)
        for row in _values(declared, rows):
            writer.writerow(
                [_json(row[c]) if isinstance(row[c], dict | list) else row[c] for c in columns]
            )
        text_csv.flush()
        text_csv.detach()
    return count


def _json(value: Any) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)


@dataclass(frozen=True)
class ExportDone:
    path: Path
    manifest: dict[str, Any]


def subject_export(*, request: DataSubjectRequest) -> ExportDone:
    """Everything the registry knows about the request's subject in its store, zipped."""
    tenant = request.tenant
    subject = subject_of(request)
    path = _exports_dir(tenant) / f"request-{request.pk}-{secrets.token_hex(8)}.zip"
    entries: list[dict[str, Any]] = []
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for declared in declarations():
            if subject.kind not in declared.subjects:
                continue
            name = declared.label.replace(".", "_")
            with _context(declared, tenant):
                rows = _write_model(archive, declared, declared.locate(tenant, subject), name)
            entries.append(
                {
                    "model": declared.label,
                    "fields": list(declared.fields),
                    "provenance": [column for column, _ in declared.provenance],
                    "rows": rows,
                    "files": [f"{name}.json", f"{name}.csv"],
                }
            )
        external: dict[str, Any] = {}
        for source in external_sources():
            external.update(source(tenant, subject))
        if external:
            archive.writestr(
                "external.json", json.dumps(external, cls=DjangoJSONEncoder, ensure_ascii=False)
            )
        manifest = {
            "request": request.pk,
            "kind": request.kind,
            "store": {"id": str(tenant.public_id), "name": tenant.name},
            "subject": subject.label(),
            "generated_at": timezone.now().isoformat(),
            "controller": "Peepers" if request.scope == "seller_user" else tenant.name,
            # A subject we hold nothing about gets an export that says so (Art. 19 I).
            "found": any(entry["rows"] for entry in entries) or bool(external),
            "models": entries,
            "external": sorted(external),
        }
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
    relative = path.relative_to(Path(settings.MEDIA_ROOT))
    DataSubjectRequest.objects.filter(pk=request.pk).update(
        export_path=str(relative), export_withdrawn_at=None
    )
    audit_record(
        action=AuditAction.DATA_EXPORT,
        tenant=tenant,
        obj=request,
        details={"kind": request.kind, "rows": {m["model"]: m["rows"] for m in entries}},
    )
    return ExportDone(path=path, manifest=manifest)


def export_link_token(*, request: DataSubjectRequest) -> str:
    """The signed token of the request's export (for ``/privacy/exports/<token>``)."""
    return signing.dumps(
        {"request": request.pk, "store": request.tenant_id, "path": request.export_path},
        salt=LINK_SALT,
        compress=True,
    )


def export_from_token(*, token: str, tenant: Tenant) -> Path:
    """The file a token grants on ``tenant``'s host; ``ExportLinkInvalid`` otherwise."""
    max_age = timedelta(days=settings.COMPLIANCE_EXPORT_LINK_DAYS)
    try:
        payload = signing.loads(token, salt=LINK_SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise ExportLinkInvalid(_("This download link has expired; ask for a new one.")) from None
    except signing.BadSignature:
        raise ExportLinkInvalid(_("This download link is not valid.")) from None
    if payload.get("store") != tenant.pk:
        raise ExportLinkInvalid(_("This download link is not valid."))
    if DataSubjectRequest.objects.filter(
        pk=payload.get("request"), tenant=tenant, export_withdrawn_at__isnull=False
    ).exists():
        raise ExportWithdrawn(
            _(
                "This export was withdrawn: the data it held was erased at the subject's "
                "request, so it can no longer be downloaded."
            )
        )
    root = Path(settings.MEDIA_ROOT).resolve()
    path = (root / str(payload.get("path", ""))).resolve()
    if root not in path.parents or not path.is_file():
        raise ExportLinkInvalid(_("This export is no longer available; ask for a new one."))
    return path


def export_link_request_id(*, token: str) -> int | None:
    """The request a download token names, or None for a token not signed by us.

    Judging the token (age, store, file) is ``export_from_token``'s work; ask it first.
    """
    try:
        payload = signing.loads(token, salt=LINK_SALT)
    except signing.BadSignature:
        return None
    found = payload.get("request")
    return found if isinstance(found, int) else None


def subject_exports_withdraw(*, request: DataSubjectRequest) -> list[int]:
    """Delete every export file of the request's subject in its store (their data was erased)
    and mark those requests' links withdrawn; the requests whose exports were withdrawn."""
    tenant = request.tenant
    same_subject = DataSubjectRequest.objects.filter(tenant=tenant, scope=request.scope)
    if request.scope == RequestScope.BUYER:
        same_subject = same_subject.filter(subject_ml_user_id=request.subject_ml_user_id)
    else:
        same_subject = same_subject.filter(subject_email=request.subject_email)
    folder = Path(settings.MEDIA_ROOT) / "exports" / tenant.schema_name
    withdrawn: list[int] = []
    for pk, export_path in same_subject.values_list("pk", "export_path"):
        # Every file a request ever produced: exporting again writes a new one.
        files = list(folder.glob(f"request-{pk}-*.zip")) if folder.is_dir() else []
        for path in files:
            path.unlink(missing_ok=True)
        if files or export_path:
            withdrawn.append(pk)
    DataSubjectRequest.objects.filter(pk__in=withdrawn).update(
        export_path="", export_withdrawn_at=timezone.now()
    )
    return withdrawn
