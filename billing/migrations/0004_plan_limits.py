"""Limits of the plans Peepers starts with; staff edit them in admin afterwards."""

from django.db import migrations

LIMITS = {
    "starter": {
        "max_ml_accounts": 1,
        "max_items": 1_000,
        "max_orders_per_month": 500,
        "sync_interval_minutes": 60,
        "api_calls_per_day": 10_000,
        "features": [],
    },
    "pro": {
        "max_ml_accounts": 2,
        "max_items": 20_000,
        "max_orders_per_month": 5_000,
        "sync_interval_minutes": 15,
        "api_calls_per_day": 100_000,
        "features": ["csv_export", "api"],
    },
    "business": {
        "max_ml_accounts": 5,
        "max_items": 200_000,
        "max_orders_per_month": 50_000,
        "sync_interval_minutes": 5,
        "api_calls_per_day": 1_000_000,
        "features": ["csv_export", "api", "priority_support"],
    },
}


def set_limits(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    for code, limits in LIMITS.items():
        Plan.objects.filter(code=code).update(**limits)


class Migration(migrations.Migration):
    dependencies = [("billing", "0003_stripe_lifecycle")]

    operations = [migrations.RunPython(set_limits, migrations.RunPython.noop)]
