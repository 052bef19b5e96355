"""Rules for a store's slug, which is at once its schema name and its subdomain."""

from __future__ import annotations

import re

from django.conf import settings
from django.utils.text import slugify

SLUG_MIN_LENGTH = 3
SLUG_MAX_LENGTH = 63  # a DNS label and a PostgreSQL identifier both stop at 63 bytes
_SLUG_RE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")


def slug_problems(slug: str) -> list[str]:
    """Why ``slug`` cannot name a store; empty when it can."""
    if not slug:
        return ["Choose an address for your store."]
    if slug.lower() in settings.PEEPERS_RESERVED_SLUGS or slug.lower().startswith(("pg_", "pg-")):
        return [f"“{slug}” is reserved; choose another address."]
    problems = []
    if len(slug) < SLUG_MIN_LENGTH:
        problems.append(f"Use at least {SLUG_MIN_LENGTH} characters.")
    if len(slug) > SLUG_MAX_LENGTH:
        problems.append(f"Use at most {SLUG_MAX_LENGTH} characters (this has {len(slug)}).")
    if not _SLUG_RE.match(slug):
        problems.append(
            "Use only lowercase letters a-z, digits and single hyphens, starting with a letter "
            "and not ending with a hyphen."
        )
    return problems


def slug_suggest(text: str) -> str:
    """A valid-looking slug derived from a store name (may still be taken or reserved)."""
    slug = slugify(text).strip("-")
    slug = re.sub(r"[^a-z0-9-]", "", slug)
    slug = re.sub(r"-{2,}", "-", slug).lstrip("0123456789-")
    return slug[:SLUG_MAX_LENGTH].rstrip("-")
