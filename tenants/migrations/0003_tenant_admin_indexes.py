"""Indexes for the admin store list: ordered by name, filtered by plan."""

from core.migration_operations import AddIndexConcurrentlyWhereMigrated
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("tenants", "0002_tenant_is_small_agent")]

    operations = [
        AddIndexConcurrentlyWhereMigrated(
            model_name="tenant",
            index=models.Index(fields=["name", "id"], name="tenant_name"),
        ),
        AddIndexConcurrentlyWhereMigrated(
            model_name="tenant",
            index=models.Index(fields=["plan_code", "name", "id"], name="tenant_plan_name"),
        ),
    ]
