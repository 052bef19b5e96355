"""The products search's title words (GIN) and the overview's out-of-stock count (partial)."""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("mercadolivre", "0003_list_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="mlitem",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.search.SearchVector("title", config="simple"),
                name="mlitem_title_search",
            ),
        ),
        migrations.AddIndex(
            model_name="mlitem",
            index=models.Index(
                condition=models.Q(
                    ("available_quantity__lte", 0), models.Q(("status", "closed"), _negated=True)
                ),
                fields=["id"],
                name="mlitem_out_of_stock",
            ),
        ),
    ]
