"""The plans Peepers starts with; staff edit them in admin afterwards."""

from django.db import migrations

PLANS = [
    {"code": "starter", "name": "Starter", "monthly_price_cents": 4900, "sort_order": 10},
    {"code": "pro", "name": "Pro", "monthly_price_cents": 14900, "sort_order": 20},
    {"code": "business", "name": "Business", "monthly_price_cents": 39900, "sort_order": 30},
]


def create_plans(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    for plan in PLANS:
        Plan.objects.get_or_create(code=plan["code"], defaults={**plan, "currency": "BRL"})


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(create_plans, migrations.RunPython.noop)]
