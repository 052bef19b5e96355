"""Indexes for the seller's lists and overview: index-only counts and sales, keyset orders."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("mercadolivre", "0002_mlitem_mlorder_mlquestion_syncrun"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="mlitem",
            index=models.Index(
                fields=["last_updated", "id"],
                include=("title", "sku", "status", "available_quantity"),
                name="mlitem_recent_cover",
            ),
        ),
        migrations.AddIndex(
            model_name="mlorder",
            index=models.Index(
                fields=["date_created"],
                include=("status", "total_cents"),
                name="mlorder_created_sales",
            ),
        ),
        migrations.AddIndex(
            model_name="mlorder",
            index=models.Index(
                fields=["status", "date_created", "id"], name="mlorder_status_created"
            ),
        ),
    ]
