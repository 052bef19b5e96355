"""Rules for a store's slug, which is at once its schema name and its subdomain."""

from __future__ import annotations

import re

from django.conf import settings
from django.utils.text import slugify
from django.utils.translation import gettext as _

SLUG_MIN_LENGTH = 3
SLUG_MAX_LENGTH = 63  # a DNS label and a PostgreSQL identifier both stop at 63 bytes
_SLUG_RE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")


# Schemas that are not stores, whatever the configuration: PostgreSQL's catalogue and Citus'
# (pg_* is refused as a prefix below). The public schema and the clone template come from
# settings, with the words reserved for the site's own hosts.
INTERNAL_SCHEMAS = (
    "information_schema",
    "citus",
    "citus_internal",
    "columnar",
    "columnar_internal",
)


def slug_normal(name: str) -> str:
    """A name compared as a schema and as a host alike: case and ``_``/``-`` do not count."""
    return name.lower().replace("_", "-")


def reserved_slugs() -> frozenset[str]:
    """Every reserved name, normalised (``slug_normal``)."""
    names = {
        *settings.PEEPERS_RESERVED_SLUGS,
        *INTERNAL_SCHEMAS,
        getattr(settings, "PUBLIC_SCHEMA_NAME", "public"),
        settings.PEEPERS_TEMPLATE_SCHEMA,
    }
    return frozenset(slug_normal(name) for name in names)


def slug_problems(slug: str) -> list[str]:
    """Why ``slug`` cannot name a store; empty when it can. A reserved name is refused in
    either spelling (``tenant-template`` as well as ``tenant_template``)."""
    if not slug:
        return [_("Choose an address for your store.")]
    normal = slug_normal(slug)
    if normal in reserved_slugs() or normal.startswith("pg-"):
        return [_("“%(slug)s” is reserved; choose another address.") % {"slug": slug}]
    problems = []
    if len(slug) < SLUG_MIN_LENGTH:
        problems.append(_("Use at least %(min)s characters.") % {"min": SLUG_MIN_LENGTH})
    if len(slug) > SLUG_MAX_LENGTH:
        problems.append(
            _("Use at most %(max)s characters (this has %(length)s).")
            % {"max": SLUG_MAX_LENGTH, "length": len(slug)}
        )
    if not _SLUG_RE.match(slug):
        problems.append(
            _(
                "Use only lowercase letters a-z, digits and single hyphens, starting with a "
                "letter and not ending with a hyphen."
            )
        )
    return problems


def slug_suggest(text: str) -> str:
    """A valid-looking slug derived from a store name (may still be taken or reserved)."""
    slug = slugify(text).strip("-")
    slug = re.sub(r"[^a-z0-9-]", "", slug)
    slug = re.sub(r"-{2,}", "-", slug).lstrip("0123456789-")
    return slug[:SLUG_MAX_LENGTH].rstrip("-")
