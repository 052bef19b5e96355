"""Indexes for the admin inbox list, built without locking the inbox against inserts."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("integrations", "0002_mlnotification")]

    operations = [
        AddIndexConcurrently(
            model_name="mlnotification",
            index=models.Index(fields=["-arrived_at", "-id"], name="mlnotif_arrived"),
        ),
        AddIndexConcurrently(
            model_name="mlnotification",
            index=models.Index(
                fields=["status", "-arrived_at", "-id"], name="mlnotif_status_arrived"
            ),
        ),
        AddIndexConcurrently(
            model_name="mlnotification",
            index=models.Index(
                fields=["tenant", "-arrived_at", "-id"], name="mlnotif_tenant_arrived"
            ),
        ),
        AddIndexConcurrently(
            model_name="mlnotification",
            index=models.Index(fields=["resource"], name="mlnotif_resource"),
        ),
    ]
