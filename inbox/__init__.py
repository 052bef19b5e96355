"""Inbound webhooks, one mechanism for every provider: a ledger of stored deliveries, claimed
and processed by one task, retried on one policy, published to Celery after commit.

Providers (Stripe in ``billing``, Mercado Livre in ``integrations``) keep their verification,
parsing and handlers and declare a ``Ledger`` over their own row model; this package names none.
"""
