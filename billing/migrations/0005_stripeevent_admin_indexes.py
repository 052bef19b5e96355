"""Indexes for the admin Stripe event list, built without locking the inbox against inserts."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("billing", "0004_plan_limits")]

    operations = [
        AddIndexConcurrently(
            model_name="stripeevent",
            index=models.Index(fields=["-received_at", "-id"], name="stripe_evt_received"),
        ),
        AddIndexConcurrently(
            model_name="stripeevent",
            index=models.Index(
                fields=["status", "-received_at", "-id"], name="stripe_evt_status_received"
            ),
        ),
        AddIndexConcurrently(
            model_name="stripeevent",
            index=models.Index(fields=["object_id"], name="stripe_evt_object"),
        ),
    ]
