"""Notices: published versions are read-only records, rendered safely on the legal pages."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from compliance.notices.errors import NoticeError, NoticePublished
from compliance.notices.markdown import markdown_html
from compliance.notices.models import LegalBasis, Notice, NoticeKind, Purpose
from compliance.notices.selectors import notice_current, privacy_notice_version
from compliance.notices.services import notice_draft_from, notice_publish

pytestmark = pytest.mark.django_db


def published(kind=NoticeKind.PRIVACY, version="2026-12-01", days_ago=1, body="# Dados\n\nTexto."):
    notice = Notice.objects.create(
        kind=kind,
        version=version,
        title=f"Aviso {version}",
        body=body,
        effective_at=timezone.now() - timedelta(days=days_ago),
    )
    return notice_publish(notice=notice)


def test_markdown_is_escaped_and_renders_the_subset():
    html = markdown_html(
        "# Título\n\nUm **forte** e *leve* [link](https://x.example) <script>x</script>\n\n"
        "- um\n- dois\n\n1. primeiro\n\n[mau](javascript:alert(1))"
    )

    assert "<h2>Título</h2>" in html
    assert "<strong>forte</strong>" in html
    assert "<em>leve</em>" in html
    assert '<a href="https://x.example" rel="noopener">link</a>' in html
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<ul>\n<li>um</li>\n<li>dois</li>\n</ul>" in html
    assert "<ol>\n<li>primeiro</li>\n</ol>" in html
    assert 'href="javascript' not in html


def test_the_seeded_purposes_carry_their_legal_basis():
    bases = dict(Purpose.objects.values_list("code", "legal_basis"))

    assert bases == {
        "service_contract": LegalBasis.CONTRACT,
        "billing": LegalBasis.CONTRACT,
        "marketing_email": LegalBasis.CONSENT,
        "product_analytics": LegalBasis.CONSENT,
        "security_logs": LegalBasis.LEGAL_OBLIGATION,
    }
    assert set(Purpose.objects.filter(needs_consent=True).values_list("code", flat=True)) == {
        "marketing_email",
        "product_analytics",
    }


def test_the_current_notice_is_the_latest_published_one_in_force():
    published(version="2026-12-01", days_ago=10)
    published(version="2026-12-15", days_ago=1)
    Notice.objects.create(  # a draft: not published
        kind=NoticeKind.PRIVACY, version="draft", title="x", body="x", effective_at=timezone.now()
    )
    published(version="2027-01-01", days_ago=-5)  # published, but not in force yet

    assert notice_current(kind=NoticeKind.PRIVACY).version == "2026-12-15"
    assert privacy_notice_version() == "2026-12-15"
    assert notice_current(kind=NoticeKind.TERMS) is None


def test_without_a_notice_the_version_is_the_setting(settings):
    assert privacy_notice_version() == settings.PEEPERS_PRIVACY_NOTICE_VERSION


def test_a_published_notice_cannot_change_or_be_deleted():
    notice = published()
    notice.body = "outro texto"

    with pytest.raises(NoticePublished):
        notice.save()
    with pytest.raises(NoticePublished):
        notice.delete()
    with pytest.raises(NoticePublished):
        notice_publish(notice=notice)


def test_a_new_version_is_a_new_row():
    notice = published()

    draft = notice_draft_from(notice=notice, version="2027-02-01")

    assert (draft.pk != notice.pk, draft.published, draft.body) == (True, False, notice.body)
    with pytest.raises(NoticeError, match="already exists"):
        notice_draft_from(notice=notice, version="2027-02-01")


@pytest.mark.parametrize("host", ["localhost", "tenant-a.localhost"])
def test_the_legal_pages_render_the_published_notice(host, tenant_a):
    published(body="# Seus dados\n\nTratamos **apenas** o necessário. <b>x</b>")
    published(kind=NoticeKind.TERMS, version="2026-12-02", body="Termos do serviço novos.")
    client = Client(HTTP_HOST=host)

    privacy = client.get("/legal/privacy/")
    terms = client.get("/legal/terms/")

    assert privacy.status_code == 200
    assert "<h2>Seus dados</h2>" in privacy.text
    assert "<strong>apenas</strong>" in privacy.text
    assert "&lt;b&gt;x&lt;/b&gt;" in privacy.text
    assert "2026-12-01" in privacy.text
    assert "Termos do serviço novos." in terms.text


def test_the_legal_pages_fall_back_to_their_templates(settings):
    response = Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="en").get("/legal/privacy/")

    assert response.status_code == 200
    assert settings.PEEPERS_PRIVACY_NOTICE_VERSION in response.text
    assert "Privacy notice" in response.text
