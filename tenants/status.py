"""``tenant_status``'s document: one JSON object per store, with sections apps contribute.

Each app registers its sections (``@status_section("subscription")``) in ``AppConfig.ready``;
the document lists them in registration order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.conf import settings
from django_tenants.utils import tenant_context

from tenants.models import Tenant
from tenants.plans import plan_get

Section = Callable[[Tenant], Any]
_SECTIONS: dict[str, Section] = {}
# Cloned from the template into every schema; not the store's data.
_REFERENCE_MODELS = {"contenttypes.ContentType", "auth.Permission"}


def status_section(name: str) -> Callable[[Section], Section]:
    def register(func: Section) -> Section:
        _SECTIONS[name] = func
        return func

    return register


def tenant_status_document(*, tenant: Tenant) -> dict[str, Any]:
    return {name: section(tenant) for name, section in _SECTIONS.items()}


@status_section("tenant")
def _tenant(tenant: Tenant) -> dict[str, Any]:
    domain = tenant.get_primary_domain()
    return {
        "id": str(tenant.public_id),
        "name": tenant.name,
        "slug": tenant.slug,
        "domain": domain.domain if domain else None,
        "owner_email": tenant.owner_email,
        "ml_user_id": tenant.ml_user_id,
        "created_at": tenant.created_at.isoformat(),
        "updated_at": tenant.updated_at.isoformat(),
    }


@status_section("status")
def _status(tenant: Tenant) -> str:
    return str(tenant.status)


@status_section("plan")
def _plan(tenant: Tenant) -> dict[str, Any]:
    plan = plan_get(tenant.plan_code)
    if plan is None:
        return {"code": tenant.plan_code, "known": False}
    return {
        "code": plan.code,
        "known": True,
        "name": plan.name,
        "monthly_price_cents": plan.monthly_price_cents,
        "currency": plan.currency,
    }


@status_section("row_counts")
def _row_counts(tenant: Tenant) -> dict[str, int]:
    counts: dict[str, int] = {}
    with tenant_context(tenant):
        for config in apps.get_app_configs():
            if config.name not in settings.TENANT_APPS:
                continue
            for model in config.get_models():
                if model._meta.label not in _REFERENCE_MODELS:
                    counts[model._meta.label] = model._default_manager.count()
    return dict(sorted(counts.items()))
