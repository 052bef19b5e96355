"""Indexes for the admin inbox list, built without locking the inbox against inserts."""

from core.migration_operations import AddIndexConcurrentlyWhereMigrated
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("integrations", "0002_mlnotification")]

    operations = [
        AddIndexConcurrentlyWhereMigrated(
            model_name="mlnotification",
            index=models.Index(fields=["-arrived_at", "-id"], name="mlnotif_arrived"),
        ),
        AddIndexConcurrentlyWhereMigrated(
            model_name="mlnotification",
            index=models.Index(
                fields=["status", "-arrived_at", "-id"], name="mlnotif_status_arrived"
            ),
        ),
        AddIndexConcurrentlyWhereMigrated(
            model_name="mlnotification",
            index=models.Index(
                fields=["tenant", "-arrived_at", "-id"], name="mlnotif_tenant_arrived"
            ),
        ),
        AddIndexConcurrentlyWhereMigrated(
            model_name="mlnotification",
            index=models.Index(fields=["resource"], name="mlnotif_resource"),
        ),
    ]
