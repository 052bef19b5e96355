"""Indexes for the admin Stripe event list, built without locking the inbox against inserts."""

from core.migration_operations import AddIndexConcurrentlyWhereMigrated
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("billing", "0004_plan_limits")]

    operations = [
        AddIndexConcurrentlyWhereMigrated(
            model_name="stripeevent",
            index=models.Index(fields=["-received_at", "-id"], name="stripe_evt_received"),
        ),
        AddIndexConcurrentlyWhereMigrated(
            model_name="stripeevent",
            index=models.Index(
                fields=["status", "-received_at", "-id"], name="stripe_evt_status_received"
            ),
        ),
        AddIndexConcurrentlyWhereMigrated(
            model_name="stripeevent",
            index=models.Index(fields=["object_id"], name="stripe_evt_object"),
        ),
    ]
