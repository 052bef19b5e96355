"""The default retention policies, with the reason for each period (docs/compliance-retention.md).

Only rows that do not exist yet are added: a period staff changed is never reset.
"""

from typing import Any

from django.db import migrations

DEFAULTS = [
    (
        "order_buyer_data",
        1825,
        "Orders are fiscal records: kept 5 years (CTN Art. 173 and 195; LGPD Art. 16 I, legal "
        "obligation). Counted from the order's closing (or its last update if it never "
        "closed). After that the buyer's fields are anonymized; the order itself stays.",
    ),
    (
        "buyer_questions",
        730,
        "Buyers' questions serve the sale and its after-sales (LGPD Art. 7 V and IX); two years "
        "covers consumer complaints about apparent defects and service (CDC Art. 26) with room "
        "to spare. Then they are deleted (LGPD Art. 15 I, purpose achieved).",
    ),
    (
        "ml_webhook_inbox",
        30,
        "Mercado Livre notifications are only needed until processed and for a month of "
        "troubleshooting (LGPD Art. 6 III, necessity). Processed, ignored and orphaned rows "
        "are deleted; pending, processing and dead ones are kept until they are dealt with.",
    ),
    (
        "stripe_webhook_inbox",
        30,
        "Stripe events are mirrored into invoices and subscriptions (which keep the fiscal "
        "record); the raw event is needed for a month of troubleshooting (LGPD Art. 6 III). "
        "Processed, ignored and orphaned rows are deleted; pending, failed and dead ones stay.",
    ),
    (
        "audit_access_log",
        184,
        "Access logs must be kept at least 6 months (Marco Civil da Internet, Lei 12.965/2014, "
        "Art. 15); 184 days is never shorter than 6 calendar months. Security records beyond "
        "that are not needed (LGPD Art. 6 III). Minimum 183 days.",
    ),
    (
        "subject_exports",
        7,
        "Export files of data-subject requests (LGPD Arts. 18-19) are needed only while their "
        "signed link is valid; never shorter than COMPLIANCE_EXPORT_LINK_DAYS.",
    ),
    (
        "closed_stores",
        90,
        "A closed store's data is kept 90 days so a seller who changes their mind or disputes "
        "the closing can come back (LGPD Art. 7 V and IX); then the owner gets a final export "
        "(Art. 18 V, portability) and the store's schema is dropped (Art. 16). Invoices and "
        "billing records stay in the public schema under Art. 16 I.",
    ),
]


def seed(apps: Any, schema_editor: Any) -> None:
    policy = apps.get_model("retention", "RetentionPolicy")
    for category, days, reason in DEFAULTS:
        policy.objects.get_or_create(
            category=category, defaults={"keep_days": days, "legal_basis": reason}
        )


class Migration(migrations.Migration):
    dependencies = [("retention", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
