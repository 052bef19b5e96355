import pytest
from django.utils import translation

from tenants.slugs import slug_problems, slug_suggest


@pytest.mark.parametrize("slug", ["loja", "loja-do-joao", "a1b2c3", "x" * 63])
def test_valid_slugs_have_no_problems(slug):
    assert slug_problems(slug) == []


@pytest.mark.parametrize(
    ("slug", "expected"),
    [
        ("", "Choose an address"),
        ("www", "reserved"),
        ("admin", "reserved"),
        ("api", "reserved"),
        ("app", "reserved"),
        ("public", "reserved"),
        ("static", "reserved"),
        ("tenant_template", "reserved"),
        ("tenant-template", "reserved"),
        ("information-schema", "reserved"),
        ("information_schema", "reserved"),
        ("pg-catalog", "reserved"),
        ("pg-toast", "reserved"),
        ("citus", "reserved"),
        ("Public", "reserved"),
        ("pg_catalog", "reserved"),
        ("pg_anything", "reserved"),
        ("Loja", "lowercase"),
        ("lojá", "lowercase"),
        ("loja do joao", "lowercase"),
        ("loja'x", "lowercase"),
        ('loja"x', "lowercase"),
        ("loja;drop", "lowercase"),
        ("loja_x", "lowercase"),
        ("-loja", "lowercase"),
        ("loja-", "lowercase"),
        ("loja--x", "lowercase"),
        ("1loja", "lowercase"),
        ("ab", "at least 3"),
        ("x" * 64, "at most 63"),
    ],
)
def test_invalid_slugs_are_explained(slug, expected):
    with translation.override("en"):  # the msgids; the signup page's pt-BR is tested there
        problems = slug_problems(slug)
    assert problems, slug
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Loja do João", "loja-do-joao"),
        ("  ** 123 Brinquedos!! ", "brinquedos"),
        ("Ação & Cia", "acao-cia"),
    ],
)
def test_suggested_slug_from_a_store_name_is_valid(name, slug):
    assert slug_suggest(name) == slug
    assert slug_problems(slug) == []


def test_every_internal_schema_is_reserved_in_both_spellings(settings):
    settings.PEEPERS_TEMPLATE_SCHEMA = "clone_source_v2"

    for name in ("clone_source_v2", "clone-source-v2", settings.PUBLIC_SCHEMA_NAME):
        with translation.override("en"):
            assert any("reserved" in p for p in slug_problems(name)), name
