"""Indexes for the lists and the overview by account: one account's products and orders in their
default order (keyset pages, capped counts), and the account in the overview's sales and
out-of-stock indexes so the per-account figures stay index-only. One transaction per store: a
store either has the new indexes or the old ones."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("mercadolivre", "0007_attach_rows_to_account"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="mlitem",
            name="mlitem_out_of_stock",
        ),
        migrations.RemoveIndex(
            model_name="mlorder",
            name="mlorder_created_sales",
        ),
        migrations.AddIndex(
            model_name="mlitem",
            index=models.Index(
                condition=models.Q(
                    ("available_quantity__lte", 0), models.Q(("status", "closed"), _negated=True)
                ),
                fields=["account", "id"],
                name="mlitem_out_of_stock",
            ),
        ),
        migrations.AddIndex(
            model_name="mlitem",
            index=models.Index(
                fields=["account", "last_updated", "id"],
                include=("title", "sku", "status", "available_quantity"),
                name="mlitem_account_recent",
            ),
        ),
        migrations.AddIndex(
            model_name="mlorder",
            index=models.Index(
                fields=["date_created"],
                include=("status", "total_cents", "account"),
                name="mlorder_created_sales",
            ),
        ),
        migrations.AddIndex(
            model_name="mlorder",
            index=models.Index(
                fields=["account", "date_created", "id"], name="mlorder_account_created"
            ),
        ),
    ]
