"""Removing personal data from JSON copies of provider objects (ML orders, Stripe events)."""

from __future__ import annotations

import hashlib
from typing import Any

# Keys whose values identify or locate a person in ML and Stripe payloads.
PERSONAL_KEYS = frozenset(
    {
        "buyer",
        "buyer_id",
        "payer_id",
        "payer",
        "receiver_name",
        "receiver_phone",
        "receiver_address",
        "billing_info",
        "first_name",
        "last_name",
        "nickname",
        "email",
        "phone",
        "address",
        "address_line",
        "street_name",
        "street_number",
        "zip_code",
        "doc_number",
        "identification",
        "customer_email",
        "customer_name",
        "customer_phone",
        "customer_address",
        "customer_details",
        "billing_details",
        "shipping",
        "name",
        "from",
    }
)
ERASED = "[erased]"
ERASED_DOMAIN = "@erased.invalid"


def scrubbed(value: Any) -> Any:
    """``value`` with every personal key's value replaced by ``ERASED`` (recursively)."""
    if isinstance(value, dict):
        return {
            key: (ERASED if key in PERSONAL_KEYS and item is not None else scrubbed(item))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [scrubbed(item) for item in value]
    return value


def erased_email(email: str) -> str:
    """A unique, non-deliverable stand-in for an erased address (unique constraints hold)."""
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]
    return f"erased-{digest}{ERASED_DOMAIN}"


def is_erased_email(email: str) -> bool:
    """Whether ``email`` is a stand-in left by an erasure (``erased_email``)."""
    return email.strip().lower().endswith(ERASED_DOMAIN)
