"""Incidents opened for a store before they named it take their store from the key.

A rule scoped by tenant keys its incident ``alert:<rule>:<schema>``; a row whose key ends in
an existing store's schema gets that store. Rows are read in primary-key order, a batch at a
time, each batch committed on its own (the migration is not atomic), and only rows without a
store are touched: an interrupted run resumes where it stopped, and a second run changes nothing.
"""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

BATCH_SIZE = 1000
ALERT_PREFIX = "alert:"


def backfill(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if getattr(schema_editor.connection, "schema_name", "public") != "public":
        return  # incidents live in the public schema only
    Incident = apps.get_model("incidents", "Incident")
    Tenant = apps.get_model("tenants", "Tenant")
    stores = dict(Tenant.objects.values_list("schema_name", "pk"))
    last = 0
    while True:
        batch = list(
            Incident.objects.filter(pk__gt=last, tenant__isnull=True, key__startswith=ALERT_PREFIX)
            .order_by("pk")
            .only("pk", "key")[:BATCH_SIZE]
        )
        if not batch:
            return
        last = batch[-1].pk
        linked = []
        for incident in batch:
            parts = incident.key.split(":")
            store = stores.get(parts[-1]) if len(parts) == 3 else None
            if store is not None:
                incident.tenant_id = store
                linked.append(incident)
        Incident.objects.bulk_update(linked, ["tenant"])


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("incidents", "0002_incident_tenant"),
        ("tenants", "0003_tenant_admin_indexes"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True)]
