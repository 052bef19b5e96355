"""The 500 page is rendered with no RequestContext (Django's ``server_error`` gives it none), so
its text must come from the language active when the error happened, not from context."""

import pytest
from django.test import RequestFactory
from django.utils import translation

from api.error_handlers import server_error


@pytest.mark.parametrize(
    ("language", "lang_attribute", "heading", "text"),
    [
        ("pt-br", 'lang="pt-BR"', "Algo deu errado", "Já fomos avisados."),
        ("en", 'lang="en"', "Something went wrong", "We have been notified."),
    ],
)
def test_the_500_page_speaks_the_active_language(language, lang_attribute, heading, text):
    with translation.override(language):
        response = server_error(RequestFactory().get("/products/"))

    page = response.content.decode()
    assert response.status_code == 500
    assert page.startswith("<!doctype html>")
    assert f"<html {lang_attribute}>" in page
    assert f"<h1>{heading}</h1>" in page
    assert text in page
