"""The bulk stores these tests make have no schema; the committed-test reset still removes them."""

from __future__ import annotations

from tenants.models import Tenant
from tests.staff_admin import rows
from tests.support.db import BASELINE_SCHEMAS, database_reset


def test_stores_without_schemas_are_removed_by_the_database_reset(committed_db):
    rows.stores(3)

    database_reset()

    assert sorted(Tenant.objects.values_list("schema_name", flat=True)) == sorted(BASELINE_SCHEMAS)
