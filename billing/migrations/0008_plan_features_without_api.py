"""Plans stop listing an ``api`` feature: every plan has the API, limited by ``api_calls_per_day``,
and nothing ever read the flag."""

from django.db import migrations


def drop_api_feature(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    for plan in Plan.objects.all():
        features = [f for f in plan.features or [] if f != "api"]
        if features != (plan.features or []):
            plan.features = features
            plan.save(update_fields=["features"])


class Migration(migrations.Migration):
    dependencies = [("billing", "0007_stripeevent_enqueued_at")]
    operations = [migrations.RunPython(drop_api_feature, migrations.RunPython.noop)]
