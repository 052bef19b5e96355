"""The seller's language in tests: the shipped default (pt-BR) and the switch to English."""

from __future__ import annotations

from django.test import Client


def choose_english(client: Client, next_path: str = "/") -> None:
    """What the language switch in the page header does."""
    response = client.post("/i18n/setlang/", {"language": "en", "next": next_path})
    assert response.status_code == 302
