"""The purposes Peepers processes personal data for, each with its LGPD Art. 7 legal basis.

``seed`` is idempotent (update_or_create by code), so the test suite can call it again after a
database reset empties the public tables.
"""

from django.db import migrations

PURPOSES = [
    {
        "code": "service_contract",
        "name": "Providing the service",
        "description": (
            "Your account, your store and the Mercado Livre data you connect (products, orders, "
            "questions, including buyers' names and addresses, which we process as your operator)."
        ),
        "legal_basis": "contract",
        "needs_consent": False,
        "data_categories": "Name, e-mail, password hash, store data, Mercado Livre tokens and orders",
        "recipients": "Mercado Livre (API), our hosting provider",
        "retention": "While the store is open; closed stores are deleted after a final export",
        "position": 10,
    },
    {
        "code": "billing",
        "name": "Billing and fiscal records",
        "description": (
            "Charging your subscription and keeping invoices and payment records; the records "
            "stay for the period tax law requires (Art. 7 II, Art. 16 I)."
        ),
        "legal_basis": "contract",
        "needs_consent": False,
        "data_categories": "Name, e-mail, billing address, tax id, payment status (no card numbers)",
        "recipients": "Stripe (payments)",
        "retention": "Invoices and payments: the fiscal retention period; the rest with the store",
        "position": 20,
    },
    {
        "code": "marketing_email",
        "name": "News and offers by e-mail",
        "description": "Product news, tips and offers from Peepers. Never shared with others.",
        "legal_basis": "consent",
        "needs_consent": True,
        "data_categories": "E-mail, name",
        "recipients": "Our e-mail provider",
        "retention": "Until you revoke consent",
        "position": 30,
    },
    {
        "code": "product_analytics",
        "name": "Product analytics",
        "description": "How you use Peepers' pages, to improve them. No data from your buyers.",
        "legal_basis": "consent",
        "needs_consent": True,
        "data_categories": "Pages visited, features used, browser type",
        "recipients": "None (processed by Peepers)",
        "retention": "13 months, then aggregated",
        "position": 40,
    },
    {
        "code": "security_logs",
        "name": "Security and access logs",
        "description": (
            "Records of logins and access to the application, which the law requires us to "
            "keep (Marco Civil da Internet, Lei 12.965/2014, Art. 15)."
        ),
        "legal_basis": "legal_obligation",
        "needs_consent": False,
        "data_categories": "IP address, date and time, browser, account",
        "recipients": "Authorities, only under a court order",
        "retention": "6 months at least (Marco Civil Art. 15)",
        "position": 50,
    },
]


def seed(apps, schema_editor=None):
    Purpose = apps.get_model("notices", "Purpose")
    for purpose in PURPOSES:
        values = dict(purpose)
        Purpose.objects.update_or_create(code=values.pop("code"), defaults=values)


class Migration(migrations.Migration):
    dependencies = [("notices", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
